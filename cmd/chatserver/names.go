package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"chatserver/app"
)

// newNames returns chatserver names, the operator's commands on names.
func newNames() *cobra.Command {
	names := &cobra.Command{
		Use:   "names",
		Short: "Manage protected names",
	}
	var dataDir string
	release := &cobra.Command{
		Use:   "release NAME",
		Short: "Free a protected name: forget its SSH key and password (the server must be stopped)",
		Long: `Free the name NAME for anyone: forget the SSH key that owns it, its
password, its ignore list and the messages kept for it while offline.
Rooms it created or was made admin of stay its rights, by name.

The server must be stopped: it keeps names in memory, and the data
folder's lock tells whether it runs. Stop it, release the name, start it.

--data-dir can also be set with CHATSERVER_DATA_DIR.`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return flagsFromEnv(cmd.Flags())
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			protected, err := app.ReleaseName(cmd.Context(), dataDir, args[0])
			if err != nil {
				return err
			}
			if protected {
				fmt.Fprintf(cmd.OutOrStdout(), "released %s: anyone may now take it\n", args[0])
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s was not protected; nothing is kept for it\n", args[0])
			}
			return nil
		},
	}
	release.Flags().StringVar(&dataDir, "data-dir", "./data", "folder of the database")
	names.AddCommand(release)
	return names
}
