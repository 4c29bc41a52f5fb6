package sshd

import (
	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"chatserver/chat"
)

// passwordExt marks, in the permissions of the authentication method that
// let a connection in, that it answered its name's password
// (keyboardInteractive). The SSH library keeps only the permissions of
// the method that succeeded, so a key that was offered and not proved,
// and a password asked by a method that failed, leave no trace.
const passwordExt = "chatserver.password"

// publicKey is the server's public key callback. A name with a password
// takes only the key that owns it: any other key is turned away, so that
// the client goes on to keyboard-interactive and is asked for the
// password. Any key is taken for another name; the login then binds an
// unowned name to it, or refuses a name another key owns.
func (d *Door) publicKey(ctx ssh.Context, key ssh.PublicKey) bool {
	owner, password := d.cfg.Hub.Protection(ctx.User())
	return !password || owner == gossh.FingerprintSHA256(key)
}

// keyboardInteractive is the server's keyboard-interactive callback: a
// name with a password is asked for it ("Password for NAME: ", not
// echoed) and gets in with the right one; any other name gets in with no
// questions, for the login to take it if no key owns it. The check runs
// as Hub.CheckPassword does for telnet: off every lock, a bounded number
// at a time, limited per address, never logged.
func (d *Door) keyboardInteractive(ctx ssh.Context, challenge gossh.KeyboardInteractiveChallenge) bool {
	name := ctx.User()
	if _, password := d.cfg.Hub.Protection(name); !password {
		return true
	}
	answers, err := challenge("", "", []string{"Password for " + chat.Sanitize(name) + ": "}, []bool{false})
	if err != nil || len(answers) != 1 {
		return false
	}
	if err := d.cfg.Hub.CheckPassword(ctx, name, answers[0], ctx.RemoteAddr().String()); err != nil {
		return false
	}
	perms := ctx.Permissions()
	if perms.Extensions == nil {
		perms.Extensions = map[string]string{}
	}
	perms.Extensions[passwordExt] = "yes"
	return true
}

// passwordProven reports whether the connection of ctx got in by its
// name's password.
func passwordProven(ctx ssh.Context) bool {
	p := ctx.Permissions()
	return p != nil && p.Permissions != nil && p.Extensions[passwordExt] != ""
}
