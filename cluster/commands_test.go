package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// FuzzNodeCommand: whatever another node (or anyone on the subject)
// sends, DecodeCommand returns an error or a request that encodes back to
// itself, with a target that could be a name; it never panics.
func FuzzNodeCommand(f *testing.F) {
	for _, req := range []chat.RemoteRequest{
		{Verb: chat.VerbWhisper, Target: "bob", From: "anna", Bot: "helperbot", Text: "hi"},
		{Verb: chat.VerbMove, Target: "Bob", Bot: "helperbot", Room: "lounge", To: chat.DefaultRoom},
		{Verb: chat.VerbWhois, Target: "ｂｏｂ", Operator: true},
		{Verb: chat.VerbGhost, Target: "dora", From: "dora"},
		{Verb: chat.VerbDisconnect, Target: "troll", Text: chat.TextServerBanned},
		{Verb: chat.VerbTell, Target: "bob", Text: "line\nbreak"},
	} {
		data, err := cluster.EncodeCommand(req)
		if err != nil {
			f.Fatalf("encode %+v: %v", req, err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "null", "{}", `{"v":2,"verb":"whois","target":"bob"}`, `{"v":1,"verb":"x","target":"bob"}`,
		`{"v":1,"verb":"whois","target":""}`, `{"v":1,"verb":"whois","target":"\u0000"}`, `[1,2]`, `{"v":1e999}`,
		`{"v":1,"verb":"whisper","target":"` + strings.Repeat("a", 40) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := cluster.DecodeCommand(data)
		if err != nil {
			return
		}
		if req.Key() == "" {
			t.Fatalf("decoded %+v: a target nobody could log in with", req)
		}
		again, err := cluster.EncodeCommand(req)
		if err != nil {
			if len(data) <= cluster.MaxCommandBytes/2 {
				t.Fatalf("re-encode %+v from %d bytes: %v", req, len(data), err)
			}
			return
		}
		back, err := cluster.DecodeCommand(again)
		if err != nil || back != req {
			t.Fatalf("round trip of %+v = %+v, %v", req, back, err)
		}
	})
}

// TestCommands: node a asks node b about b's user and gets b's hub's
// answer; a request b cannot read (garbage, too big, another version) is
// answered with chat.ReplyBadRequest and b goes on; a name held by a node
// that is gone, or that does not answer, is not found, within the
// request's deadline.
func TestCommands(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	a, b := openNode(t, c, "a", 0), openNode(t, c, "b", 1)
	hub := chattest.NewHub(t, chat.Config{Cluster: b})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := b.Run(ctx, hub, nil); err != nil {
			t.Errorf("b's Run: %v", err)
		}
	})
	defer wg.Wait()
	defer cancel()
	chattest.Login(t, hub, "Mike")

	var rep chat.RemoteReply
	if err := clustertest.Eventually(t.Context(), 5*time.Second, func(ctx context.Context) (err error) {
		rep, err = a.Remote(ctx, chat.RemoteRequest{Verb: chat.VerbWhois, Target: "MIKE"})
		return err
	}); err != nil {
		t.Fatalf("whois of b's user from a: %v", err)
	}
	if rep.Name != "Mike" || rep.Whois == nil || rep.Whois.Room != chat.DefaultRoom {
		t.Fatalf("whois of b's user from a = %+v", rep)
	}
	if _, err := b.Remote(t.Context(), chat.RemoteRequest{Verb: chat.VerbWhois, Target: "mike"}); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("b asking about its own user = %v, want ErrNotFound (no request to itself)", err)
	}

	nc := c.Connect(t)
	for _, bad := range [][]byte{[]byte("garbage"), []byte(`{"v":2,"verb":"whois","target":"mike"}`),
		[]byte(`{"v":1,"verb":"format","target":"mike"}`), make([]byte, cluster.MaxCommandBytes+1)} {
		msg, err := nc.Request(cluster.CommandSubject("b"), bad, 2*time.Second)
		if err != nil {
			t.Fatalf("request %.20q: %v", bad, err)
		}
		var got chat.RemoteReply
		if err := json.Unmarshal(msg.Data, &got); err != nil || got.Err != chat.ReplyBadRequest {
			t.Errorf("answer to %.20q = %s, want %q", bad, msg.Data, chat.ReplyBadRequest)
		}
	}

	// A name held by a node that is gone, then by one that never answers.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(t.Context(), cluster.NamesBucket)
	if err != nil {
		t.Fatalf("names bucket: %v", err)
	}
	if _, err := kv.Put(t.Context(), cluster.Key(chat.Fold("zed")), []byte("gone x")); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(t.Context(), cluster.Key(chat.Fold("quinn")), []byte("silent x")); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync(cluster.CommandSubject("silent"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for _, name := range []string{"zed", "quinn"} {
		rctx, rcancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		start := time.Now()
		_, err := a.Remote(rctx, chat.RemoteRequest{Verb: chat.VerbWhisper, Target: name, From: "anna", Text: "hi"})
		rcancel()
		if !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("whisper to %s = %v, want ErrNotFound", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("whisper to %s took %v, over its deadline", name, d)
		}
	}
}
