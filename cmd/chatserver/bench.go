package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"chatserver/cmd/chatserver/bench"
)

// errNotExactlyOnce makes chatserver bench exit 1 when lines were lost,
// doubled or misdirected, after the result is printed.
var errNotExactlyOnce = errors.New("not every line reached every reader exactly once")

// errNotInOrder makes chatserver bench exit 1 when two readers of a room
// saw its lines in different orders.
var errNotInOrder = errors.New("the readers of a room did not all see its lines in one order")

func newBench() *cobra.Command {
	var (
		cfg        bench.Config
		door       string
		pty        string
		asJSON     bool
		cpuProfile string
		noBar      bool
		defaults   = bench.Config{Users: 100, Senders: 10, Rate: 5, Duration: 10 * time.Second}
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a chatserver with simulated users and measure it",
		Long: `Load a running chatserver with simulated users and measure it.

bench logs --users users in through a door (telnet, SSH with a pty, or SSH
without one) into one room, bench unless --room names another (or --rooms
rooms), then has --senders of them
send --rate lines a second each for --duration. Every line carries a
unique id and its send time; every receiver checks that each line of its
room arrives exactly once (with a pty: shows up on the screen at least once;
redraws are not errors). It prints logins a second, delivered/expected,
deliveries a second and the latency percentiles of a histogram, with a
progress bar on a terminal, or --json for scripts. It exits 1 if a line was
lost, doubled or misdirected, or a sender could not send.

Run the server with flood control off, or it will drop the senders' lines:
  chatserver serve --flood-rate 0 --max-conns-per-ip 100000 --rooms-per-hour 0
and pass --server-pid to read its CPU time and memory from /proc: CPU µs per
delivery during the send phase, and memory per logged-in user. With large
--users, also --plugins "" on the server: every login's join line goes to
every member, which is N² lines. With --rooms over 5, also
--rooms-per-hour 0 on the server: it lets one address create only 5 rooms
an hour, and bench stops at the refusal. The open-file limit (ulimit -n)
caps users per process, of the server and of bench alike.

--rate 0 is a ceiling test: each sender keeps up to --window lines in
flight (sent but not yet seen by every reader of its room) and sends as
fast as they are delivered.

Two runs at once against one server need different rooms (--room): each
would count the other's lines as stray.

Several addresses, --addr A,B,C (the nodes of a cluster), spread each
room's users over the nodes round-robin, with either door. Every reader
of a room must then see the room's lines in one order, the same on every
node: bench compares each reader's order with one reference reader of the
room, reports the violations (and the first) and exits 1 if there is one.
It prints users, deliveries and latency per node; --server-pid takes every
node's process (a list, or repeated) and adds their CPU time up.

Only loopback targets are allowed unless --allow-remote is given.`,
		Example: `  chatserver bench --users 1000 --senders 10 --rate 5 --duration 10s --server-pid $(pgrep -n chatserver)
  chatserver bench --users 1000 --senders 10 --rate 0 --duration 10s
  chatserver bench --users 20000 --senders 0 --duration 0 --source-ips 20
  chatserver bench --door ssh --addr 127.0.0.1:2222 --pty 120x40 --users 500 --senders 10 --rate 1
  chatserver bench --users 1000 --stalled 10 --senders 10 --rate 5 --json
  chatserver bench --addr 127.0.0.1:8999,127.0.0.1:8998,127.0.0.1:8997 --users 1000 --server-pid 101,102,103`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Door = bench.Door(door)
			if !cmd.Flags().Changed("addr") {
				cfg.Addr = "127.0.0.1:8999"
				if cfg.Door == bench.DoorSSH || cfg.Door == bench.DoorSSHNoPty {
					cfg.Addr = "127.0.0.1:2222"
				}
			}
			if _, err := fmt.Sscanf(pty, "%dx%d", &cfg.PtyWidth, &cfg.PtyHeight); err != nil {
				return fmt.Errorf("--pty %q: want WIDTHxHEIGHT, e.g. 120x40", pty)
			}
			if cfg.Users < 1 {
				return errors.New("--users must be at least 1")
			}
			stderr := cmd.ErrOrStderr()
			var bar *progressBar
			if !noBar && isTerminal(stderr) {
				bar = &progressBar{w: stderr}
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return runBench(cmd.Context(), cfg, cmd.OutOrStdout(), stderr, bar, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Addr, "addr", "127.0.0.1:8999", "the server's door, host:port (127.0.0.1:2222 by default with --door ssh or ssh-nopty); several, A,B,C, spread the users over a cluster's nodes")
	fl.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fl.StringVar(&door, "door", string(bench.DoorTelnet), "how users connect: telnet, ssh (with a pty: the UI) or ssh-nopty (line protocol)")
	fl.IntVar(&cfg.Users, "users", defaults.Users, "users to log in (stalled ones included)")
	fl.IntVar(&cfg.Senders, "senders", defaults.Senders, "users that send lines")
	fl.Float64Var(&cfg.Rate, "rate", defaults.Rate, "lines a second per sender; 0 = as fast as the in-flight window allows (a ceiling test)")
	fl.IntVar(&cfg.Window, "window", 0, "with --rate 0: lines a sender may have in flight (default 500/senders)")
	fl.DurationVar(&cfg.Duration, "duration", defaults.Duration, "how long the senders send (0: log in, measure memory, log out)")
	fl.DurationVar(&cfg.Drain, "drain", 10*time.Second, "how long to wait for the last lines once sending stops")
	fl.IntVar(&cfg.Size, "size", 64, "message length in bytes, id included")
	fl.IntVar(&cfg.Stalled, "stalled", 0, "users that log in and then never read")
	fl.StringVar(&cfg.Room, "room", bench.DefaultRoom, "the room users join (a room of the bench's own: its lines stay in that room's history)")
	fl.IntVar(&cfg.Rooms, "rooms", 1, "spread users over this many rooms, ROOM1…ROOMn (users i in room i mod n)")
	fl.IntVar(&cfg.SourceIPs, "source-ips", 0, "spread connections over this many source addresses 127.0.0.1… (past ~28k connections, or for per-address caps)")
	fl.StringVar(&pty, "pty", "120x40", "with --door ssh: the pty size, WIDTHxHEIGHT")
	fl.IntVar(&cfg.LoginConcurrency, "login-concurrency", 64, "logins in progress at once")
	fl.DurationVar(&cfg.LoginTimeout, "login-timeout", 30*time.Second, "how long one login may take")
	fl.IntSliceVar(&cfg.ServerPIDs, "server-pid", nil, "the server's process id: read its CPU time and memory from /proc (several, a list or repeated: added up)")
	fl.StringVar(&cfg.Name, "name", "", "user name prefix (default: u and three random characters)")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	fl.BoolVar(&noBar, "no-progress", false, "no progress bar, even on a terminal")
	fl.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator itself to this file")
	return cmd
}

// runBench runs cfg, drawing its progress on bar if it is not nil, and
// prints the result on out (as JSON if asJSON) and warnings on stderr.
func runBench(ctx context.Context, cfg bench.Config, out, stderr io.Writer, bar *progressBar, asJSON bool) error {
	if bar != nil {
		cfg.Progress = bar.draw
	}
	res, err := bench.Run(ctx, cfg)
	if bar != nil {
		bar.clear() // Run draws no more once it returns: the result starts on a clean line
	}
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
		if res.FloodWarnings > 0 {
			fmt.Fprintln(stderr, "warning: the server's flood control dropped lines; run it with --flood-rate 0")
		}
	} else {
		res.WriteText(out)
	}
	if cfg.Senders > 0 && cfg.Duration > 0 && !res.ExactlyOnce {
		return errNotExactlyOnce
	}
	if !res.InOrder {
		return errNotInOrder
	}
	if len(res.Errors) > 0 {
		return errors.New(res.Errors[0])
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws a run's progress on one terminal line.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (b *progressBar) draw(p bench.Progress) {
	const width = 30
	var frac float64
	var text string
	switch p.Phase {
	case "login":
		if p.Total > 0 {
			frac = float64(p.Done) / float64(p.Total)
		}
		text = fmt.Sprintf("login  %d/%d users", p.Done, p.Total)
	case "settle":
		frac, text = 1, "settle waiting for the join lines to pass"
	case "send", "drain":
		if p.Length > 0 {
			frac = min(1, p.Elapsed.Seconds()/p.Length.Seconds())
		}
		pct := 100.0
		if p.Total > 0 {
			pct = 100 * float64(p.Done) / float64(p.Total)
		}
		text = fmt.Sprintf("%-6s %.1fs/%s  %d/%d delivered (%.2f%%)", p.Phase, p.Elapsed.Seconds(), p.Length, p.Done, p.Total, pct)
	default:
		return
	}
	n := int(frac * width)
	fmt.Fprintf(b.w, "\r\x1b[K[%s%s] %s", strings.Repeat("#", n), strings.Repeat(".", width-n), text)
	b.drawn = true
}

func (b *progressBar) clear() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
	}
}
