package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"chatserver/app/metrics"
)

// newHealth returns chatserver health, the container's health check.
func newHealth() *cobra.Command {
	var addr string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Ask a running server's /readyz; exit 0 if ready, 1 if not",
		Long: `Ask the /readyz of a server started with --metrics-addr: ready when both
doors are listening and the store takes writes. Exits 0 if ready, 1 with
the reason otherwise, for a container's HEALTHCHECK.

--addr (CHATSERVER_HEALTH_ADDR) defaults to serve's CHATSERVER_METRICS_ADDR,
so that one environment serves both, else ` + metrics.DefaultAddr + `; a bare port
or :PORT is loopback's, and 0.0.0.0 or [::] is asked on loopback.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if addr == "" {
				addr = os.Getenv("CHATSERVER_METRICS_ADDR")
			}
			if addr == "" {
				addr = metrics.DefaultAddr
			}
			body, err := readyz(cmd.Context(), addr, timeout)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), body)
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "the server's metrics address (--metrics-addr)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	return cmd
}

// readyz asks addr's /readyz and returns its body if the server is
// ready, else an error with the reason.
func readyz(ctx context.Context, addr string, timeout time.Duration) (string, error) {
	a, err := metrics.Addr(addr)
	if err != nil {
		return "", err
	}
	if host, port, _ := net.SplitHostPort(a); net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
		a = net.JoinHostPort("localhost", port)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a+"/readyz", nil)
	if err != nil {
		return "", fmt.Errorf("health %s: %w", a, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	body := strings.TrimSpace(string(b))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("health %s: %s: %s", a, resp.Status, body)
	}
	return body, nil
}
