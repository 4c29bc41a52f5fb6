package cluster_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestLinesCutOff: with the only NATS server of a cluster stopped, a
// user's line is refused within 2 s with chat.ErrCutOff, while a roster
// event waits for the connection; once the server is back on its store,
// the event and a new line are stored, and the node's consumer, made
// again, gives every line stored once, in order, and never the refused
// one.
func TestLinesCutOff(t *testing.T) {
	c, nc, ls := oneServerLines(t)
	type given struct {
		text string
		seq  uint64
	}
	got := make(chan given, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- ls.Run(ctx, func(l chat.Line, seq uint64, _, _ bool) { got <- given{l.Text + l.Roster, seq} }, nil)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return once cancelled")
		}
	})
	line := func(text string) chat.Line {
		return chat.Line{Kind: chat.KindChat, Room: "chat", From: "anna", Text: text, Time: time.Now()}
	}
	publish := func(l chat.Line) (uint64, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		return ls.Publish(ctx, l)
	}
	if _, err := publish(line("one")); err != nil {
		t.Fatalf("publish one: %v", err)
	}

	c.Shutdown(0)
	waitFor(t, "the connection lost", func() bool { return !nc.IsConnected() })
	start := time.Now()
	if _, err := publish(line("cut")); !errors.Is(err, chat.ErrCutOff) {
		t.Fatalf("publish while cut off = %v, want chat.ErrCutOff", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("refused after %v, want within the 2 s a line waits for the connection", took)
	}
	roster := make(chan error, 1)
	go func() {
		_, err := publish(chat.Line{Room: "chat", From: "anna", Time: time.Now(), Roster: chat.RosterEnter, ID: "1"})
		roster <- err
	}()
	c.Restart(0)
	if err := <-roster; err != nil {
		t.Fatalf("roster event published across the cut: %v", err)
	}
	waitFor(t, "the connection back", nc.IsConnected)
	if _, err := publish(line("two")); err != nil {
		t.Fatalf("publish two: %v", err)
	}
	var texts []string
	var last uint64
	for len(texts) < 3 {
		select {
		case g := <-got:
			if g.seq <= last {
				t.Fatalf("line %q given with sequence %d after %d", g.text, g.seq, last)
			}
			last = g.seq
			texts = append(texts, g.text)
		case err := <-done:
			t.Fatalf("Run returned %v; lines given: %q", err, texts)
		case <-time.After(15 * time.Second):
			t.Fatalf("lines given: %q; want one, the roster event and two", texts)
		}
	}
	if texts[0] != "one" || !slices.Contains(texts, chat.RosterEnter) || !slices.Contains(texts, "two") {
		t.Fatalf("lines given: %q; want one, then the roster event and two", texts)
	}
	select {
	case g := <-got:
		t.Fatalf("a line more: %q", g.text)
	case <-time.After(3 * time.Second): // more than a consumer made again takes
	}
}

// waitFor polls cond until it holds, failing the test after 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPublishRefusesWhatNodesSkip: a line too big for DecodeLine (a
// plugin's, say: users' lines are bounded by MaxMessageLen) is refused by
// Publish, so its sender hears it was not delivered, rather than stored,
// acknowledged and then skipped by every node.
func TestPublishRefusesWhatNodesSkip(t *testing.T) {
	_, _, ls := oneServerLines(t)
	big := chat.Line{Kind: chat.KindBot, Room: "chat", From: "helperbot", Text: strings.Repeat("x", cluster.MaxLineBytes), Time: time.Now()}
	if _, err := ls.Publish(t.Context(), big); err == nil {
		t.Fatal("a line over MaxLineBytes was published")
	}
	small := big
	small.Text = "fits"
	if _, err := ls.Publish(t.Context(), small); err != nil {
		t.Fatalf("a small line: %v", err)
	}
}

// oneServerLines starts a one-server cluster and opens the lines of node
// "a" on it (R1), through the connection it returns.
func oneServerLines(t *testing.T) (*clustertest.Cluster, *nats.Conn, *cluster.Lines) {
	t.Helper()
	c := clustertest.Start(t, 1)
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := cluster.OpenLines(t.Context(), js, cluster.LinesConfig{Node: "a", Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c, nc, ls
}
