package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"chatserver/app"
	"chatserver/app/sshd"
	"chatserver/chat"
)

// newRoot returns the chatserver command; a running serve reloads its
// operators and MOTD files on every value of reload (SIGHUP).
func newRoot(reload <-chan os.Signal) *cobra.Command {
	root := &cobra.Command{
		Use:           "chatserver",
		Short:         "A chat server for the terminal: telnet on 8999, SSH on 2222",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(reload), newVersion(), newBackup(), newBench(), newNames(), newAudit(), newHealth(),
		newConfig(func() *pflag.FlagSet { return serveFlagSet(&serveFlags{}) }))
	withEnv(root)
	return root
}

// serveFlags are the flags of chatserver serve.
type serveFlags struct {
	telnetAddr, sshAddr, dataDir string
	plugins                      []string
	floodBurst                   int
	floodRate                    float64
	historyPerRoom               int
	maxRooms                     int
	roomsPerHour                 int
	roomExpiry                   time.Duration
	namesPerKey                  int
	nameExpiry                   time.Duration
	maxConns, maxConnsPerIP      int
	proxyFrom                    []string
	logLevel, logFormat          string
	pprofAddr                    string
	opsFile, motdFile            string
	metricsAddr                  string
	shutdownGrace                time.Duration
	sshHandshakeTimeout          time.Duration
	sshIdleTimeout               time.Duration
	config                       string
	nats                         app.NATS
}

func newServe(reload <-chan os.Signal) *cobra.Command {
	var f serveFlags
	var given map[string]pflag.Value // the flags of the command line
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve chat on the telnet and SSH doors",
		Long: `Serve chat on the telnet and SSH doors until SIGINT or SIGTERM.

Every flag can also be set with an environment variable CHATSERVER_<FLAG>,
upper case with '-' as '_' (CHATSERVER_TELNET_ADDR=:2323), and in the TOML
file --config names, as key <flag> with '-' as '_' (telnet_addr = ':2323';
chatserver config example prints one with every key). A flag on the command
line wins over the environment, which wins over the file. These variables,
and CHATSERVER_DATA_DIR, are shared with the other commands (audit, backup,
names); another command's own flags have variables named for the command
(CHATSERVER_HEALTH_ADDR, CHATSERVER_BENCH_ROOM), so that the environment
of one command never changes another.

SIGHUP re-reads the config file's --log-level, --ops-file, --motd-file,
--flood-burst, --flood-rate, --max-conns and --max-conns-per-ip, and the
operators and MOTD files, without logging anyone out; what changed is
logged, and other settings that changed are logged as needing a restart. A
file that cannot be read is logged and the old settings kept.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			given = givenFlags(cmd.Flags())
			_, err := settings{fs: cmd.Flags(), lookupEnv: os.LookupEnv}.resolve()
			return err
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := new(slog.LevelVar)
			log, err := newLogger(level, f.logLevel, f.logFormat)
			if err != nil {
				return err
			}
			slog.SetDefault(log) // for main's line at a second signal
			plugins, err := app.PluginsByName(f.plugins)
			if err != nil {
				return err
			}
			if f.pprofAddr != "" {
				_, wait, err := startPprof(cmd.Context(), f.pprofAddr, log)
				if err != nil {
					return err
				}
				defer wait()
			}
			maxConns := fitConns(log, doors(f.telnetAddr, f.sshAddr), f.maxConns) // f keeps what was asked, for SIGHUP's comparison
			a, err := app.New(cmd.Context(), app.Config{
				TelnetAddr: f.telnetAddr, SSHAddr: f.sshAddr, DataDir: f.dataDir,
				Plugins: plugins, FloodBurst: f.floodBurst, FloodRate: f.floodRate,
				HistoryPerRoom: f.historyPerRoom, MaxRooms: f.maxRooms, MaxConns: maxConns, MaxConnsPerIP: f.maxConnsPerIP,
				ProxyFrom:    f.proxyFrom,
				RoomsPerHour: f.roomsPerHour, RoomExpiry: f.roomExpiry,
				NamesPerKey: f.namesPerKey, NameExpiry: f.nameExpiry,
				OpsFile: f.opsFile, MOTDFile: f.motdFile,
				Logger:        log,
				MetricsAddr:   f.metricsAddr,
				ShutdownGrace: f.shutdownGrace, SSHHandshakeTimeout: f.sshHandshakeTimeout, SSHIdleTimeout: f.sshIdleTimeout,
				NATS: f.nats,
			})
			if err != nil {
				return err
			}
			log.Info("chatserver started", "version", versionString(), "plugins", strings.Join(f.plugins, ","))
			r := &configReloader{app: a, log: log, level: level, given: given, lookupEnv: os.LookupEnv,
				running: cmd.Flags(), doors: doors(f.telnetAddr, f.sshAddr)}
			defer reloadOn(cmd.Context(), reload, r, log)()
			return a.Run(cmd.Context())
		},
	}
	cmd.Flags().AddFlagSet(serveFlagSet(&f))
	return cmd
}

// serveFlagSet returns the flags of chatserver serve, set into f: the one
// table of serve's settings, from which their environment variables, their
// config file keys and chatserver config example follow.
func serveFlagSet(f *serveFlags) *pflag.FlagSet {
	fl := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fl.StringVar(&f.config, configFlag, "", "TOML file of settings, as chatserver config example prints (re-read on SIGHUP)")
	fl.StringVar(&f.telnetAddr, "telnet-addr", ":8999", "telnet listen address (empty to disable)")
	fl.StringVar(&f.sshAddr, "ssh-addr", ":2222", "SSH listen address (empty to disable)")
	fl.StringVar(&f.dataDir, "data-dir", "./data", "folder of the database and the SSH host key")
	fl.StringSliceVar(&f.plugins, "plugins", []string{"helperbot"}, "plugins to load, comma-separated: "+strings.Join(app.BuiltinPlugins(), ", "))
	fl.IntVar(&f.floodBurst, "flood-burst", chat.DefaultFloodBurst, "lines a connection may send at once before flood control")
	fl.Float64Var(&f.floodRate, "flood-rate", chat.DefaultFloodRate, "lines a second a connection may send after the burst; 0 turns flood control off")
	fl.IntVar(&f.historyPerRoom, "history-per-room", 10000, "messages kept per room")
	fl.IntVar(&f.maxRooms, "max-rooms", chat.DefaultMaxRooms, "rooms there may be; past it /switch creates no new room")
	fl.IntVar(&f.roomsPerHour, "rooms-per-hour", chat.DefaultRoomsPerHour, "rooms one name, and one source address, may create in an hour; 0 for no limit")
	fl.DurationVar(&f.roomExpiry, "room-expiry", chat.DefaultRoomExpiry, "an empty room without topic, bans or messages for this long is removed; 0 for never")
	fl.IntVar(&f.namesPerKey, "names-per-key", 3, "names one SSH key may own; past it a new name is refused (0: no limit)")
	fl.DurationVar(&f.nameExpiry, "name-expiry", 180*24*time.Hour, "a name its SSH key has not used for this long is free again (0: never)")
	fl.IntVar(&f.maxConns, "max-conns", 50000, "connections per door in total; lowered to fit the open-file limit")
	fl.IntVar(&f.maxConnsPerIP, "max-conns-per-ip", 200, "connections per door from one source address")
	fl.StringSliceVar(&f.proxyFrom, "proxy-from", nil, "load balancers (addresses or CIDR ranges, comma-separated) whose connections must start with a PROXY header (v1 or v2) giving the user's address; none: no header is read")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&f.opsFile, "ops-file", "", "server operators' SSH public keys, in OpenSSH authorized_keys format")
	fl.StringVar(&f.motdFile, "motd-file", "", "message of the day sent after login, at most 20 lines")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus /metrics, /healthz and /readyz on this address; a bare port or :PORT is loopback's (off if empty)")
	fl.DurationVar(&f.sshHandshakeTimeout, "ssh-handshake-timeout", sshd.DefaultHandshakeTimeout, "an SSH client must end its handshake and authentication within this")
	fl.DurationVar(&f.sshIdleTimeout, "ssh-idle-timeout", sshd.DefaultIdleTimeout, "an SSH client that sends nothing for this long is cut")
	fl.DurationVar(&f.shutdownGrace, "shutdown-grace", app.DefaultShutdownGrace, "how long users get, at SIGINT or SIGTERM, to be told the server is shutting down")
	fl.StringVar(&f.pprofAddr, "pprof-addr", "", "serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (off if empty)")
	fl.StringSliceVar(&f.nats.URLs, "nats", nil, "join a cluster of nodes through these NATS servers, comma-separated (nats://host:4222,…; none: a single node)")
	fl.StringVar(&f.nats.Creds, "nats-creds", "", "NATS credentials file (JWT and nkey seed) of this node")
	fl.StringVar(&f.nats.TLS.CA, "nats-tls-ca", "", "PEM file of the CAs of the NATS servers' certificates (the system's if empty)")
	fl.StringVar(&f.nats.TLS.Cert, "nats-tls-cert", "", "PEM file of this node's client certificate for NATS (with --nats-tls-key)")
	fl.StringVar(&f.nats.TLS.Key, "nats-tls-key", "", "PEM file of the private key of --nats-tls-cert")
	fl.StringVar(&f.nats.Node, "node-name", "", "this node's name, unique among the nodes of a cluster (the host name if empty)")
	fl.DurationVar(&f.nats.NameTTL, "nats-name-ttl", app.DefaultNameTTL, "the names, and the node's entry among the nodes, of a node that died are free again after this")
	fl.IntVar(&f.nats.Replicas, "nats-replicas", 3, "copies NATS keeps of each stream and bucket the nodes share: 3 for a 3-server cluster, 1 for a single server")
	markReloadable(fl, "log-level", "ops-file", "motd-file", "flood-burst", "flood-rate", "max-conns", "max-conns-per-ip")
	return fl
}

// newLogger returns the logger of format at level, which lv is set to:
// setting lv later changes the level.
func newLogger(lv *slog.LevelVar, level, format string) (*slog.Logger, error) {
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
