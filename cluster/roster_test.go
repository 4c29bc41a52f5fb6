package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// openLines opens the lines' stream for node on the server-th server of
// c: 5 lines kept per room, leaves kept a second.
func openLines(t *testing.T, c *clustertest.Cluster, node string, server int) *cluster.Lines {
	t.Helper()
	ls, err := cluster.OpenLines(t.Context(), connectTo(t, c, node, server),
		cluster.LinesConfig{Node: node, History: 5, LeftKeep: time.Second})
	if err != nil {
		t.Fatalf("OpenLines %s: %v", node, err)
	}
	return ls
}

// roster publishes the roster event of the session id of name in room
// "chat" through ls, and returns its sequence.
func roster(t *testing.T, ls *cluster.Lines, event, name, id string) uint64 {
	t.Helper()
	seq, err := ls.Publish(t.Context(), chat.Line{Room: "chat", From: name, Time: time.Now(), Roster: event, ID: id})
	if err != nil {
		t.Fatalf("%s of %s: %v", event, name, err)
	}
	return seq
}

// TestRosterSnapshot: in a room whose roster saw many more events than
// the lines kept per room, a node reading the stream from its start (one
// started later) finds exactly the members there are, in the order they
// entered, and no more roster events than that once the leaves' time is
// up; a dead member's departure is recorded once however many nodes
// notice it.
func TestRosterSnapshot(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	a, b := openLines(t, c, "a", 0), openLines(t, c, "b", 1)
	for i := range 15 { // k0, 4 come and go, k1, 4 more, k2, 4 more
		if i%5 == 0 {
			roster(t, a, chat.RosterEnter, fmt.Sprintf("k%d", i/5), fmt.Sprint(i))
			continue
		}
		roster(t, a, chat.RosterEnter, fmt.Sprintf("x%d", i), fmt.Sprint(i))
		roster(t, a, chat.RosterLeave, fmt.Sprintf("x%d", i), fmt.Sprint(i))
	}
	entered := roster(t, b, chat.RosterEnter, "gil", "1") // on node b, which dies
	d := chat.Departure{Line: chat.Line{Room: "chat", From: "gil", Time: time.Now(), Roster: chat.RosterGone, ID: "b/1"}, Entered: entered}
	var left []string
	var mu sync.Mutex
	leftHook := func(name, room string) { mu.Lock(); left = append(left, name+" left "+room); mu.Unlock() }
	a.Depart(t.Context(), d, leftHook)
	openLines(t, c, "c", 2).Depart(t.Context(), d, leftHook) // noticed too, later
	if !slices.Equal(left, []string{"gil left chat"}) {
		t.Fatalf("leave hooks run: %q, want gil's once", left)
	}

	js := connectTo(t, c, "probe", 2)
	if err := clustertest.Eventually(t.Context(), 15*time.Second, func(ctx context.Context) error {
		st, err := js.Stream(ctx, cluster.LinesStream)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx, jetstream.WithSubjectFilter("chat.room.*.roster.>"))
		if err != nil {
			return err
		}
		if info.State.NumSubjects != 3 || info.State.Msgs != 3 {
			return fmt.Errorf("roster holds %d events on %d subjects, want the 3 members' enters", info.State.Msgs, info.State.NumSubjects)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	later := openLines(t, c, "d", 2)
	var got []string
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- later.Run(ctx, func(l chat.Line, _ uint64, _, live bool) {
			if l.Roster != "" && !live {
				got = append(got, l.Roster+" "+l.From)
			}
		}, cancel)
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []string{"enter k0", "enter k1", "enter k2"}; !slices.Equal(got, want) {
		t.Fatalf("a node started later read the roster %q, want %q", got, want)
	}
}

// TestRosterRecheck: after a reconnect, a node's roster is checked
// against the stream: a member who left while the node was cut off is
// dropped, whether the stream still has the leave or its time ran out,
// and a member still there is kept.
func TestRosterRecheck(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	a := openLines(t, c, "a", 0)
	kept := chat.SharedMember{Room: "chat", ID: "a/1", Entered: roster(t, a, chat.RosterEnter, "kim", "1")}
	gone := chat.SharedMember{Room: "chat", ID: "a/2", Entered: roster(t, a, chat.RosterEnter, "xia", "2")}
	roster(t, a, chat.RosterLeave, "xia", "2")
	dropped := make(chan chat.SharedMember, 4)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- a.RunRecheck(ctx, func() []chat.SharedMember { return []chat.SharedMember{kept, gone} },
			func(m chat.SharedMember) { dropped <- m })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	expectDropped := func(when string) {
		t.Helper()
		a.RecheckNow()
		select {
		case m := <-dropped:
			if m != gone {
				t.Fatalf("%s: dropped %+v, want only %+v", when, m, gone)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("%s: xia not dropped", when)
		}
	}
	expectDropped("with the leave in the stream")
	js := connectTo(t, c, "probe", 1)
	if err := clustertest.Eventually(t.Context(), 15*time.Second, func(ctx context.Context) error {
		st, err := js.Stream(ctx, cluster.LinesStream)
		if err != nil {
			return err
		}
		if _, err := st.GetLastMsgForSubject(ctx, "chat.room.chat.roster.a=2F2"); err == nil {
			return fmt.Errorf("xia's leave still in the stream")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	expectDropped("once the leave's time ran out")
	select {
	case m := <-dropped:
		t.Fatalf("dropped %+v too", m)
	default:
	}
}
