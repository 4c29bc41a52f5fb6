package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"
)

// errPprofNotLoopback refuses a debug listener anyone else could reach.
var errPprofNotLoopback = errors.New("--pprof-addr must be a loopback address, e.g. 127.0.0.1:6060")

// checkLoopbackListen accepts a listen address on the loopback only: an IP
// of 127.0.0.0/8 or ::1, or localhost. An empty host (all interfaces) is refused.
func checkLoopbackListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--pprof-addr %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--pprof-addr %q: %w", addr, errPprofNotLoopback)
}

// startPprof serves net/http/pprof on addr, a loopback address, until ctx
// is done. It returns the address it listens on and a function that stops
// the server and waits for it.
func startPprof(ctx context.Context, addr string, log *slog.Logger) (net.Addr, func(), error) {
	if err := checkLoopbackListen(addr); err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("pprof listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof server ended", "err", err)
		}
	})
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	log.Info("pprof listening", "addr", ln.Addr().String())
	return ln.Addr(), func() {
		stop()
		srv.Close()
		wg.Wait()
	}, nil
}
