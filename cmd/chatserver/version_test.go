package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestReadBuild: the -ldflags values win over what Go stamped, and each
// part falls back on its own.
func TestReadBuild(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.11",
		Main:      debug.Module{Path: "chatserver", Version: "v0.0.0-20261204230000-34d633b1a2b3+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"},
			{Key: "vcs.revision", Value: "34d633b1a2b3c4d5"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name       string
		bi         *debug.BuildInfo
		ldV, ldC   string
		wantOutput string
	}{
		{"stamped by go build", stamped, "", "",
			"chatserver v0.0.0-20261204230000-34d633b1a2b3+dirty\ncommit: 34d633b1a2b3c4d5 (modified)\ngo: go1.26.11 " + platform + "\n"},
		{"ldflags win", stamped, "v1.4.0", "abcdef",
			"chatserver v1.4.0\ncommit: abcdef\ngo: go1.26.11 " + platform + "\n"},
		{"ldflags version only", stamped, "v1.4.0", "",
			"chatserver v1.4.0\ncommit: 34d633b1a2b3c4d5 (modified)\ngo: go1.26.11 " + platform + "\n"},
		{"go run, no vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "", "",
			"chatserver devel\ncommit: unknown\ngo: go1.26.8 " + platform + "\n"},
		{"no build info", nil, "", "",
			"chatserver devel\ncommit: unknown\ngo: " + runtime.Version() + " " + platform + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := readBuild(tc.bi, tc.ldV, tc.ldC).print(&out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.wantOutput {
				t.Errorf("version printed\n%s\nwant\n%s", out.String(), tc.wantOutput)
			}
		})
	}
}

// TestVersionCommand: chatserver version of the test binary (which Go
// stamps with no commit) prints its three lines.
func TestVersionCommand(t *testing.T) {
	out, err := run(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "chatserver ") || !strings.HasPrefix(lines[1], "commit: ") ||
		lines[2] != "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("chatserver version printed %q", out)
	}
}

// TestStaticBuild builds chatserver as deploy/Dockerfile's builder stage
// does (no cgo, -trimpath, no VCS stamping, the version and the commit
// given with -ldflags) and checks that the binary is static, as the
// distroless final stage needs, and that its version command reports the
// version, the commit git has checked out and the Go that built it.
func TestStaticBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head := "0123456789abcdef0123456789abcdef01234567"
	if out, err := exec.CommandContext(t.Context(), "git", "rev-parse", "HEAD").Output(); err == nil {
		head = strings.TrimSpace(string(out))
	}
	bin := filepath.Join(t.TempDir(), "chatserver")
	build := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X main.version=v9.9.9-test -X main.commit="+head, "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for a dynamic loader: it is not static")
		}
	}

	out, err := exec.CommandContext(t.Context(), bin, "version").Output()
	if err != nil {
		t.Fatalf("chatserver version: %v", err)
	}
	got := string(out)
	if !strings.HasPrefix(got, "chatserver v9.9.9-test\n") || !strings.HasSuffix(got, "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n") {
		t.Errorf("chatserver version printed %q", got)
	}
	if want := "commit: " + head + "\n"; !strings.Contains(got, want) {
		t.Errorf("chatserver version printed %q, want the line %q", got, want)
	}
}
