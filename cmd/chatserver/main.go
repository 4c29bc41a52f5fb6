// Command chatserver is a chat server reached over telnet and SSH.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	ctx, stop := stopOnSignal(context.Background(), sigc, os.Exit)
	defer stop()
	hup := make(chan os.Signal, 1) // a reload asked while one runs is kept; more are one
	signal.Notify(hup, syscall.SIGHUP)
	if err := newRoot(hup).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "chatserver:", err)
		os.Exit(1)
	}
}

// stopOnSignal returns a context cancelled by the first signal on sigc; a
// second one, for a shutdown that takes too long, is logged and calls
// exit(1) at once. stop ends the watch.
func stopOnSignal(parent context.Context, sigc <-chan os.Signal, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; ; n++ {
			select {
			case sig := <-sigc:
				if n == 0 {
					cancel()
					continue
				}
				slog.Default().Warn("second signal, exiting at once", "signal", sig.String())
				exit(1)
				return
			case <-quit:
				return
			}
		}
	}()
	return ctx, func() {
		close(quit)
		<-done
		cancel()
	}
}

// reloader is what SIGHUP reloads: app.App.
type reloader interface{ Reload() }

// reloadOn calls r.Reload for every signal on sigs until ctx is done or
// the returned stop is called; stop waits for a reload under way.
func reloadOn(ctx context.Context, sigs <-chan os.Signal, r reloader, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case sig := <-sigs:
				log.Info("reloading settings", "signal", sig.String())
				r.Reload()
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
