// Command jsonbot runs the example bot of package jsonbot against a
// chatserver's SSH door:
//
//	jsonbot -addr chat.example.org:2222 -name timebot -key ~/.ssh/id_ed25519
//
// The server's host key is checked against -known-hosts. Without -key the
// bot logs in by keyboard-interactive, answering a password prompt with
// $JSONBOT_PASSWORD if its name is protected by one.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"chatserver/bots/jsonbot"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "jsonbot:", err)
		os.Exit(1)
	}
}

func run() error {
	home, _ := os.UserHomeDir()
	addr := flag.String("addr", "127.0.0.1:2222", "the chatserver's SSH door, host:port")
	name := flag.String("name", "jsonbot", "the bot's chat name")
	keyFile := flag.String("key", "", "private key to log in with (the name becomes the key's); none: keyboard-interactive")
	known := flag.String("known-hosts", filepath.Join(home, ".ssh", "known_hosts"), "known_hosts file holding the server's host key")
	verbose := flag.Bool("v", false, "log every line read")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	hostKey, err := knownhosts.New(*known)
	if err != nil {
		return fmt.Errorf("known hosts: %w", err)
	}
	var auth []ssh.AuthMethod
	if *keyFile != "" {
		pem, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("read key: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			return fmt.Errorf("parse key %s: %w", *keyFile, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	password := os.Getenv("JSONBOT_PASSWORD")
	auth = append(auth, ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i := range answers {
			answers[i] = password
		}
		return answers, nil
	}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("connecting", "addr", *addr, "name", *name)
	return jsonbot.Run(ctx, jsonbot.Config{Addr: *addr, Name: *name, Auth: auth, HostKey: hostKey, Logger: log})
}
