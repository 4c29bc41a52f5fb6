package app

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
)

// ReleaseName frees the name called name in the database of the data
// folder dir: the SSH key that owns it, its password, its ignore list and
// the messages kept for it while offline are forgotten, so that anyone
// may take it. It reports whether the name was protected.
//
// It is refused while a server runs on the folder (it holds the folder's
// lock): the running engine keeps the names' keys and passwords in
// memory and would go on protecting the name, or a later write of its
// would bring the binding back. Stop the server, release, start it again.
func ReleaseName(ctx context.Context, dir, name string) (bool, error) {
	if err := chat.CheckName(chat.Normalize(name)); err != nil {
		return false, fmt.Errorf("release %q: %w", name, err)
	}
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return false, fmt.Errorf("release %s: no database: %w", name, err)
	}
	lock, err := lockDataDir(dir)
	if err != nil {
		return false, fmt.Errorf("release %s: %w (stop the server first)", name, err)
	}
	defer lock.release()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return false, err
	}
	released, err := st.ReleaseName(ctx, name)
	if err == nil && released {
		// The operator's act is in the audit log, as a moderator's is.
		err = st.SaveAudit(ctx, chat.AuditRecord{Time: time.Now(), Actor: osUser(), ActorAddr: chat.AuditLocal,
			Action: chat.AuditReleaseName, Target: name, Args: "chatserver names release"})
		if err != nil {
			err = fmt.Errorf("release %s: released, but not recorded in the audit log: %w", name, err)
		}
	}
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	return released, err
}

// osUser names the operating system's user this process runs as, for
// the audit log: their login name, else their uid.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Getuid())
}
