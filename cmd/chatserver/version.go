package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit may be set at build time, where the build has no
// git metadata of its own (deploy/Dockerfile):
//
//	go build -ldflags "-X main.version=v1.4.0 -X main.commit=$(git rev-parse HEAD)"
//
// Left empty, they come from what Go recorded in the binary.
var version, commit = "", ""

// buildInfo is what chatserver version prints.
type buildInfo struct {
	Version   string // -X main.version, else the module version Go stamped, else "devel"
	Commit    string // -X main.commit, else vcs.revision; "" if unknown
	Modified  bool   // vcs.modified: built from a tree with uncommitted changes
	GoVersion string // the Go that built the binary
	Platform  string // GOOS/GOARCH
}

// readBuild returns the build's description from bi (nil if the binary
// has none) and the values set with -ldflags, which win.
func readBuild(bi *debug.BuildInfo, ldVersion, ldCommit string) buildInfo {
	b := buildInfo{
		Version: ldVersion, Commit: ldCommit,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi != nil {
		if bi.GoVersion != "" {
			b.GoVersion = bi.GoVersion
		}
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if ldCommit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				b.Modified = ldCommit == "" && s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// thisBuild describes the running binary.
func thisBuild() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return readBuild(bi, version, commit)
}

// versionString returns the version set at build time, else the module
// version Go recorded, else "devel".
func versionString() string { return thisBuild().Version }

// print writes b as chatserver version shows it.
func (b buildInfo) print(w io.Writer) error {
	c := b.Commit
	switch {
	case c == "":
		c = "unknown"
	case b.Modified:
		c += " (modified)"
	}
	_, err := fmt.Fprintf(w, "chatserver %s\ncommit: %s\ngo: %s %s\n", b.Version, c, b.GoVersion, b.Platform)
	return err
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and the Go it was built with",
		Long: `Print the version, the git commit (with "(modified)" if the tree had
uncommitted changes) and the Go version and platform the binary was built
with, from what Go recorded in it; -ldflags "-X main.version=V -X main.commit=C"
overrides the first two.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return thisBuild().print(cmd.OutOrStdout())
		},
	}
}
