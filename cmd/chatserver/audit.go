package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"chatserver/app"
	"chatserver/chat"
	"chatserver/chat/store"
)

// newAudit returns chatserver audit, which prints the audit log.
func newAudit() *cobra.Command {
	var (
		dataDir string
		f       store.AuditFilter
		since   string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Print the moderation acts recorded (who kicked, banned, muted… whom), also while the server runs",
		Long: `Print the audit log of the database in the data folder, oldest first:
every kick, ban, unban, mute, unmute, op, deop, topic set or cleared,
lock, unlock, invite, server ban (gban) and unban (gunban) and password
set (never the password), with when, who (their name, SSH key and
address), to whom, in which room and with what arguments.

The server may keep running: the database is read, not written, and the
data folder's lock is left to the server.

--since takes a duration back from now (90m, 24h, 7d).
--data-dir can also be set with CHATSERVER_DATA_DIR.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return flagsFromEnv(cmd.Flags())
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since != "" {
				d, err := parseSince(since)
				if err != nil {
					return err
				}
				f.Since = time.Now().Add(-d)
			}
			recs, err := store.ReadAudit(cmd.Context(), filepath.Join(dataDir, app.DBFile), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printAuditJSON(cmd.OutOrStdout(), recs)
			}
			return printAuditTable(cmd.OutOrStdout(), recs)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "folder of the database")
	cmd.Flags().StringVar(&f.Room, "room", "", "only the acts in this room")
	cmd.Flags().StringVar(&f.Actor, "actor", "", "only the acts of this user")
	cmd.Flags().StringVar(&since, "since", "", "only the acts of the last DURATION (24h, 7d)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

// parseSince reads --since: a Go duration (90m, 1h30m) or one of the
// chat's (7d).
func parseSince(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	d, err := chat.ParseDuration(s)
	if err != nil || d.Std() <= 0 {
		return 0, fmt.Errorf("--since %q: not a duration such as 90m, 24h or 7d", s)
	}
	return d.Std(), nil
}

// printAuditJSON writes recs one JSON object per line.
func printAuditJSON(w io.Writer, recs []chat.AuditRecord) error {
	enc := json.NewEncoder(w)
	for _, r := range recs {
		r.Time = r.Time.UTC()
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// printAuditTable writes recs as a table with a header, times in UTC.
func printAuditTable(w io.Writer, recs []chat.AuditRecord) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tACTION\tACTOR\tKEY\tADDRESS\tTARGET\tROOM\tARGS")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.DateTime), r.Action,
			r.Actor, dash(r.ActorKey), dash(r.ActorAddr), dash(r.Target), dash(r.Room), r.Args)
	}
	return tw.Flush()
}

// dash shows an empty field of the table as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
