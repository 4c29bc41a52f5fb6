// Package app assembles chatserver: it opens the store, builds the hub,
// registers the plugins, starts both doors and shuts them down in order.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"chatserver/app/lineproto"
	"chatserver/app/telnet"
	"chatserver/chat"
	"chatserver/chat/store"
)

// Config is everything chatserver serve can be told.
type Config struct {
	TelnetAddr     string        // telnet listen address; "" disables the door
	SSHAddr        string        // SSH listen address; "" disables the door
	DataDir        string        // where the database and the SSH host key live
	Plugins        []chat.Plugin // see PluginsByName
	FloodBurst     int           // lines a connection may send at once
	FloodRate      float64       // lines a second after the burst; 0 turns flood control off
	HistoryPerRoom int           // messages kept per room
	MaxConns       int           // connections per door in total
	MaxConnsPerIP  int           // connections per door from one address
	ShutdownGrace  time.Duration // how long users get to be told of a shutdown
	Logger         *slog.Logger
	Store          chat.Store // overrides the store in DataDir (tests)
}

// App is a running chatserver.
type App struct {
	cfg    Config
	log    *slog.Logger
	hub    *chat.Hub
	telnet *telnet.Door
}

// New opens the store, builds the hub and listens on the doors' addresses.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 3 * time.Second
	}
	st := cfg.Store
	if st == nil {
		st = store.NewMemory(cfg.HistoryPerRoom)
	}
	hub, err := chat.New(ctx, chat.Config{Store: st, Plugins: cfg.Plugins, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("build hub: %w", err)
	}
	a := &App{cfg: cfg, log: cfg.Logger, hub: hub}
	line := lineproto.Options{FloodBurst: cfg.FloodBurst, FloodRate: cfg.FloodRate}
	if cfg.TelnetAddr != "" {
		a.telnet, err = telnet.New(telnet.Config{
			Addr: cfg.TelnetAddr, Hub: hub, Logger: cfg.Logger,
			MaxConns: cfg.MaxConns, MaxConnsPerIP: cfg.MaxConnsPerIP, Line: line,
		})
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Hub returns the chat engine.
func (a *App) Hub() *chat.Hub { return a.hub }

// TelnetAddr returns the telnet door's address, or nil if it is disabled.
func (a *App) TelnetAddr() net.Addr {
	if a.telnet == nil {
		return nil
	}
	return a.telnet.Addr()
}

// Run serves until ctx is done, then shuts down in order: every user is
// told, the doors stop accepting, and connections get ShutdownGrace to
// drain before they are cut. It returns once everything it started ended.
func (a *App) Run(ctx context.Context) error {
	doorCtx, stopDoors := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDoors()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if a.telnet != nil {
		a.log.Info("listening", "door", "telnet", "addr", a.telnet.Addr().String())
		wg.Go(func() { errc <- a.telnet.Run(doorCtx) })
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.log.Info("shutting down", "users", a.hub.Online())
	a.hub.Shutdown()
	stopDoors()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(a.cfg.ShutdownGrace):
		a.log.Warn("shutdown grace over, cutting connections")
		if a.telnet != nil {
			a.telnet.CloseAll()
		}
		<-done
	}
	a.log.Info("stopped")
	return err
}
