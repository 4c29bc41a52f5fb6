package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"chatserver/app"
)

func newBackup() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to FILE, also while the server runs",
		Long: `Write a consistent copy of the database in the data folder to FILE, and
the SSH host key to FILE` + app.HostKeyBackupSuffix + ` (mode 0600); neither may exist yet.
The server may keep running: the copy is one snapshot of the database,
taken without stopping anyone.

To restore, stop the server, delete ` + app.DBFile + `-wal and ` + app.DBFile + `-shm
from the data folder if they are there, copy FILE to ` + app.DBFile + ` and
FILE` + app.HostKeyBackupSuffix + ` to ` + app.HostKeyFile + ` (mode 0600) in the data folder,
and start the server.

--data-dir can also be set with CHATSERVER_DATA_DIR.`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return flagsFromEnv(cmd.Flags())
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dst := args[0]
			hostKey, err := app.Backup(cmd.Context(), dataDir, dst)
			if err != nil {
				return err
			}
			fi, err := os.Stat(dst)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s (%d bytes)\n", filepath.Join(dataDir, app.DBFile), dst, fi.Size())
			if hostKey != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s\n", filepath.Join(dataDir, app.HostKeyFile), hostKey)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "folder of the database")
	return cmd
}
