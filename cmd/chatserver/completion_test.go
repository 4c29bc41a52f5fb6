package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMain runs the test binary as chatserver itself when asked, so that
// a shell's completion script can call it back as its completions ask.
func TestMain(m *testing.M) {
	if os.Getenv("CHATSERVER_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCompletionScripts: chatserver completion bash|zsh|fish prints a
// script for each, listed in --help; each is valid for its shell where
// that shell is installed.
func TestCompletionScripts(t *testing.T) {
	help, err := run(t, "--help")
	if err != nil || !strings.Contains(help, "\n  completion ") {
		t.Errorf("chatserver --help does not list completion (%v):\n%s", err, help)
	}
	for _, tc := range []struct{ shell, want string }{
		{"bash", "__start_chatserver"},
		{"zsh", "#compdef chatserver"},
		{"fish", "complete -c chatserver"},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			out, err := run(t, "completion", tc.shell)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("completion %s = %v, and no %q in:\n%.300s", tc.shell, err, tc.want, out)
			}
			sh, err := exec.LookPath(tc.shell)
			if err != nil {
				t.Skipf("%s not installed: script not checked", tc.shell)
			}
			file := filepath.Join(t.TempDir(), "chatserver."+tc.shell)
			if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.CommandContext(t.Context(), sh, "-n", file).CombinedOutput(); err != nil {
				t.Errorf("%s -n of the script: %v\n%s", tc.shell, err, out)
			}
		})
	}
}

// TestBashCompletes loads the bash script as a user's shell would, with
// the bash-completion package it needs, and asks it to complete command
// lines; it calls this test binary back as chatserver for the candidates.
func TestBashCompletes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Skip("the bash-completion package is not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script, err := run(t, "completion", "bash")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "completion.bash"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nCHATSERVER_TEST_AS_MAIN=1 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "chatserver"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"chatserver se", []string{"serve"}},
		{"chatserver ver", []string{"version"}},
		{"chatserver completion ", []string{"bash", "fish", "powershell", "zsh"}},
		{"chatserver serve --data-", []string{"--data-dir"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), bash, "--norc", "--noprofile", "-c", `
source `+bashCompletion+`
source "$DIR/completion.bash"
read -ra COMP_WORDS <<<"$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$LINE COMP_POINT=${#LINE}
__start_chatserver chatserver "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
printf '%s\n' "${COMPREPLY[@]}"`)
			cmd.Env = append(os.Environ(), "DIR="+dir, "LINE="+tc.line, "PATH="+dir+":"+os.Getenv("PATH"))
			out, err := cmd.Output() // stderr has compopt's complaint: no completion under way
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("bash completes %q to %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}
