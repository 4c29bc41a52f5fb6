package helperbot_test

import (
	"slices"
	"strconv"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestRoomRecordsBounded: an admin cannot grow a room's bans, mutes,
// admins or invitations without end (each is kept in memory and on disk,
// and a ban keeps the room from expiring): past chat.MaxRoomRecords of a
// kind a new name is refused, while a name already there may still be
// changed (a ban's time, say).
func TestRoomRecordsBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cmd, again, noun string }{
		{"/ban", "/ban u1 1h", "bans"},
		{"/mute", "/mute u1 1h", "mutes"},
		{"/op", "", "admins"},
		{"/invite", "/invite u1", "invitations"},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			t.Parallel()
			hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
			ctx := t.Context()
			admin := chattest.Login(t, hub, "admin")
			admin.Input(ctx, "/switch den")
			admin.Input(ctx, "/lock")
			for i := range chat.MaxRoomRecords {
				admin.Input(ctx, tc.cmd+" u"+strconv.Itoa(i))
			}
			chattest.Lines(admin)
			admin.Input(ctx, tc.cmd+" extra")
			want := "<helperbot> 'den' has too many " + tc.noun + " already.\n"
			if got := chattest.Lines(admin); !slices.Equal(got, []string{want}) {
				t.Errorf("%s extra: got %q, want %q", tc.cmd, got, want)
			}
			if tc.again == "" {
				return
			}
			admin.Input(ctx, tc.again)
			if got := chattest.Lines(admin); len(got) != 1 || got[0] == want {
				t.Errorf("%s: got %q, want it done", tc.again, got)
			}
		})
	}
}
