package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"chatserver/app/metrics"
)

// observers are the metrics' hooks handed to the engine, the SSH door and
// the store; all nil without Config.MetricsAddr, so then they cost a nil
// check.
type observers struct {
	fanOut func(time.Duration)
	frame  func(time.Duration, int)
	batch  func(time.Duration)
}

// listenMetrics registers what the metrics read and listens on
// Config.MetricsAddr.
func (a *App) listenMetrics() error {
	var h metrics.History
	if a.db != nil {
		h = a.db
	}
	a.metrics.Watch(a.hub, h)
	srv, err := metrics.Listen(a.cfg.MetricsAddr, a.metrics.Handler(a.ready), a.log)
	if err != nil {
		return err
	}
	a.scrape = srv
	return nil
}

// MetricsAddr returns the metrics server's address, or nil if it is off.
func (a *App) MetricsAddr() net.Addr {
	if a.scrape == nil {
		return nil
	}
	return a.scrape.Addr()
}

// runMetrics serves the metrics until the returned stop is called, which
// waits for the server to end.
func (a *App) runMetrics() (stop func()) {
	if a.scrape == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.scrape.Run(ctx); err != nil {
			a.log.Error("metrics stopped", "err", err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// ready is /readyz: nil while every enabled door is serving, the server
// is not shutting down (draining: the balancer sends new users elsewhere),
// a node of a cluster is connected to NATS and the store takes writes. The store's check is a
// file created and removed in the data folder and the database opened for
// writing: no row is written.
func (a *App) ready(context.Context) error {
	if a.stopping.Load() {
		return errors.New("shutting down")
	}
	if up := a.doorsUp.Load(); up < a.doorsAll {
		return fmt.Errorf("%d of %d doors listening", up, a.doorsAll)
	}
	if !a.node.connected() {
		return errors.New("cut off from the cluster: reconnecting to NATS")
	}
	if a.cfg.DataDir == "" || a.db == nil {
		return nil
	}
	if err := checkWritable(a.cfg.DataDir); err != nil {
		return fmt.Errorf("store not writable: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(a.cfg.DataDir, DBFile), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("store not writable: %w", unwrapPath(err))
	}
	return f.Close()
}
