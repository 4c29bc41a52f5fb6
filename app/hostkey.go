package app

import (
	"fmt"
	"os"

	gossh "golang.org/x/crypto/ssh"
)

// hostKeyFingerprint returns the SHA256 fingerprint of the SSH host key in
// the file at path, as ssh-keygen -l and SSH clients show it.
func hostKeyFingerprint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	signer, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return "", fmt.Errorf("read host key %s: %w", path, err)
	}
	return gossh.FingerprintSHA256(signer.PublicKey()), nil
}

// logHostKey logs the SSH host key's path and fingerprint, and whether it
// was generated at this start, so that its first fingerprint is on record.
func (a *App) logHostKey(path string, generated bool) {
	fp, err := hostKeyFingerprint(path)
	if err != nil {
		a.log.Warn("ssh host key", "path", path, "err", err)
		return
	}
	a.log.Info("ssh host key", "path", path, "fingerprint", fp, "generated", generated)
}
