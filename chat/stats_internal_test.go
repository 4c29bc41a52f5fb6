package chat

import (
	"errors"
	"fmt"
	"testing"
)

// TestRefusalReason: each login error is counted under its reason, a
// wrapped one too, and an unknown one as "other".
func TestRefusalReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{ErrNameTooLong, "name_invalid"},
		{ErrNameInvalid, "name_invalid"},
		{ErrNameReserved, "name_reserved"},
		{ErrNameTaken, "name_taken"},
		{&TooManyNamesError{Max: 3}, "too_many_names"},
		{ErrWrongPassword, "wrong_password"},
		{ErrTooManyAttempts, "too_many_attempts"},
		{fmt.Errorf("login: %w", ErrServerBanned), "server_banned"},
		{ErrReplaced, "replaced"},
		{fmt.Errorf("bind name x: %w: %w", ErrStore, errors.New("disk")), "other"},
	} {
		if got := RefusalReasons[refusalReason(tc.err)]; got != tc.want {
			t.Errorf("refusalReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
