package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/chat"
)

// maxSettingsFile is the largest operators or MOTD file read: anything
// longer is an error, not something to hold in memory.
const maxSettingsFile = 1 << 20

// operators is the set of SSH key fingerprints of the operators file.
type operators map[string]bool

// readSettingsFile returns the contents of path, at most maxSettingsFile bytes.
func readSettingsFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSettingsFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSettingsFile {
		return nil, fmt.Errorf("longer than %d bytes", maxSettingsFile)
	}
	return b, nil
}

// parseOperators reads an OpenSSH authorized_keys file: one public key a
// line, with options before it and a comment after it, blank lines and
// '#' comments skipped. Options (from=, restrict, …) are not applied: a
// listed key is an operator's. A line that is not a key is an error that
// names it, so that a typo never silently drops an operator.
func parseOperators(b []byte) (operators, error) {
	ops := operators{}
	for n, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, _, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		ops[gossh.FingerprintSHA256(key)] = true
	}
	return ops, nil
}

// loadOperators reads and parses the operators file at path.
func loadOperators(path string) (operators, error) {
	b, err := readSettingsFile(path)
	if err == nil {
		var ops operators
		if ops, err = parseOperators(b); err == nil {
			return ops, nil
		}
	}
	return nil, fmt.Errorf("ops file %s: %w", path, unwrapPathErr(err))
}

// loadMOTD reads the message-of-the-day file at path as chat.ParseMOTD
// does; dropped is how many lines were past chat.MaxMOTDLines.
func loadMOTD(path string) (lines []string, dropped int, err error) {
	b, err := readSettingsFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("motd file %s: %w", path, unwrapPathErr(err))
	}
	lines, dropped = chat.ParseMOTD(string(b))
	return lines, dropped, nil
}

// unwrapPathErr drops the operation and path of an *os.PathError, which
// the caller's message names already.
func unwrapPathErr(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err
	}
	return err
}

// isOperator reports whether the SSH key of fingerprint keyID is in the
// operators file as last read. Safe for concurrent use.
func (a *App) isOperator(keyID string) bool {
	ops := a.ops.Load()
	return ops != nil && (*ops)[keyID]
}

// loadSettings reads the operators file and the MOTD file named in the
// config, for New: a file that cannot be read or parsed is an error.
func (a *App) loadSettings() error {
	if a.cfg.OpsFile != "" {
		ops, err := loadOperators(a.cfg.OpsFile)
		if err != nil {
			return err
		}
		a.ops.Store(&ops)
		a.log.Info("ops file loaded", "path", a.cfg.OpsFile, "keys", len(ops))
	}
	if a.cfg.MOTDFile != "" {
		lines, dropped, err := loadMOTD(a.cfg.MOTDFile)
		if err != nil {
			return err
		}
		a.hub.SetMOTD(lines)
		a.logMOTD("motd file loaded", lines, dropped)
	}
	return nil
}

func (a *App) logMOTD(msg string, lines []string, dropped int) {
	a.log.Info(msg, "path", a.cfg.MOTDFile, "lines", len(lines))
	if dropped > 0 {
		a.log.Warn("motd file has more lines than are sent", "path", a.cfg.MOTDFile, "max", chat.MaxMOTDLines, "left_out", dropped)
	}
}

// reloadOperators reads the operators file at path and, if it can, puts
// it in force in place of the one read last.
func (a *App) reloadOperators(path string) {
	ops, err := loadOperators(path)
	if err != nil {
		a.log.Error("ops file not reloaded, the old one stays", "err", err)
		return
	}
	a.cfg.OpsFile = path
	a.setOperators(ops)
}

// setOperators puts ops in force and logs what changed.
func (a *App) setOperators(ops operators) {
	var old operators
	if p := a.ops.Load(); p != nil {
		old = *p
	}
	var added, removed []string
	for k := range ops {
		if !old[k] {
			added = append(added, k)
		}
	}
	for k := range old {
		if !ops[k] {
			removed = append(removed, k)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	a.ops.Store(&ops)
	a.log.Info("ops file reloaded", "path", a.cfg.OpsFile, "keys", len(ops),
		"added", strings.Join(added, ","), "removed", strings.Join(removed, ","))
	for _, c := range a.hub.SetOperators(func(keyID string) bool { return ops[keyID] }) {
		if c.Operator {
			a.log.Info("operator rights granted", "user", chat.LogName(c.Name), "key", c.KeyID)
		} else {
			a.log.Info("operator rights revoked", "user", chat.LogName(c.Name), "key", c.KeyID)
		}
	}
}

// reloadMOTD reads the MOTD file at path and, if it can, puts it in force.
func (a *App) reloadMOTD(path string) {
	lines, dropped, err := loadMOTD(path)
	if err != nil {
		a.log.Error("motd file not reloaded, the old one stays", "err", err)
		return
	}
	a.cfg.MOTDFile = path
	if slices.Equal(lines, a.hub.MOTD()) {
		a.log.Info("motd file reloaded, unchanged", "path", a.cfg.MOTDFile, "lines", len(lines))
		return
	}
	a.hub.SetMOTD(lines)
	a.logMOTD("motd file reloaded, changed", lines, dropped)
}
