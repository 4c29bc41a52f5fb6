package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"chatserver/chat"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// LinesStream is the stream of every room's lines, in one order: subjects
// chat.room.<Key(Fold(room))>.msg.
const LinesStream = "CHAT_ROOMS"

// linesSubjects is the subject filter of LinesStream.
const linesSubjects = "chat.room.>"

// publishTry bounds one try of a publish: a try that got no ack (a server
// gone mid-flight) is retried with the same message id, which the stream
// stores once (its Duplicates window).
const publishTry = time.Second

// Lines carries the rooms' lines through LinesStream (slice 4): Publish
// records one, Run gives every line, in the stream's order, to the node's
// hub (chat.Hub.Deliver), one NATS message per line per node. Safe for
// concurrent use.
type Lines struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	node   string
	idBase string        // node and a nuid of this process: ids never repeat across restarts
	n      atomic.Uint64 // lines published, for the message ids
	log    *slog.Logger
}

// LinesConfig says how the stream is made.
type LinesConfig struct {
	Node     string       // this node's name, carried by each line it publishes
	Replicas int          // copies of the stream: 3 (R3) if 0
	History  int          // lines kept per room (MaxMsgsPerSubject); chat.DefaultHistoryLen if 0
	Logger   *slog.Logger // nil: discard
}

// OpenLines creates the stream, or opens it as another node made it.
func OpenLines(ctx context.Context, js jetstream.JetStream, cfg LinesConfig) (*Lines, error) {
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	if cfg.History <= 0 {
		cfg.History = chat.DefaultHistoryLen
	}
	var st jetstream.Stream
	err := placed(ctx, func() (err error) {
		st, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:              LinesStream,
			Subjects:          []string{linesSubjects},
			Storage:           jetstream.FileStorage,
			Replicas:          cfg.Replicas,
			MaxMsgsPerSubject: int64(cfg.History),
			Duplicates:        2 * time.Minute,
			AllowDirect:       true,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", LinesStream, err)
	}
	return &Lines{js: js, stream: st, node: cfg.Node, idBase: cfg.Node + "." + nuid.Next() + ".", log: orDiscard(cfg.Logger)}, nil
}

// roomSubject is the subject of l: chat.room.<room>.msg for a line,
// chat.room.<room>.roster for a roster event.
func roomSubject(l chat.Line) string {
	if l.Roster != "" {
		return "chat.room." + Key(chat.Fold(l.Room)) + ".roster"
	}
	return "chat.room." + Key(chat.Fold(l.Room)) + ".msg"
}

// Publish records l (chat.ClusterLines): it returns the line's stream
// sequence once the stream acknowledged it, retrying a try that got no
// answer with the same message id until ctx is done, so a line is stored
// once whatever was lost on the way.
func (ls *Lines) Publish(ctx context.Context, l chat.Line) (uint64, error) {
	ack, err := ls.publish(ctx, l, ls.idBase+strconv.FormatUint(ls.n.Add(1), 10))
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// publish is Publish with the message id id.
func (ls *Lines) publish(ctx context.Context, l chat.Line, id string) (*jetstream.PubAck, error) {
	l.Node = ls.node
	data, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("publish line: %w", err)
	}
	subj := roomSubject(l)
	for {
		tctx, cancel := context.WithTimeout(ctx, publishTry)
		ack, err := ls.js.Publish(tctx, subj, data, jetstream.WithMsgID(id))
		cancel()
		if err == nil {
			return ack, nil
		}
		var api *jetstream.APIError
		if errors.As(err, &api) || errors.Is(err, nats.ErrConnectionClosed) || ctx.Err() != nil { // refused, closed, or out of time
			return nil, fmt.Errorf("publish line to %s: %w", subj, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("publish line to %s: %w", subj, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Run gives every line of the stream to deliver, in the stream's order,
// until ctx is done: an ordered consumer from the stream's start, which
// resumes by itself from its last sequence after a lost server. The lines
// there were when it started (up to the stream's last sequence then) are
// history only (live false); ready, if not nil, is called once they have
// been given. A line that does not decode is logged and skipped.
func (ls *Lines) Run(ctx context.Context, deliver func(l chat.Line, seq uint64, mine, live bool), ready func()) error {
	info, err := ls.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("lines: stream info: %w", err)
	}
	last := info.State.LastSeq
	readied := false
	markReady := func() {
		if !readied && ready != nil {
			ready()
		}
		readied = true
	}
	if last == 0 {
		markReady()
	}
	oc, err := ls.js.OrderedConsumer(ctx, LinesStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{linesSubjects}, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("lines: consumer: %w", err)
	}
	it, err := oc.Messages()
	if err != nil {
		return fmt.Errorf("lines: consume: %w", err)
	}
	defer it.Stop()
	defer context.AfterFunc(ctx, it.Stop)()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			ls.log.Warn("lines: next", "err", err)
			continue
		}
		md, err := m.Metadata()
		if err != nil {
			ls.log.Warn("lines: metadata", "err", err)
			continue
		}
		seq := md.Sequence.Stream
		l, err := DecodeLine(m.Data())
		if err != nil {
			ls.log.Warn("lines: bad line skipped", "seq", seq, "err", err)
		} else {
			deliver(l, seq, l.Node == ls.node, seq > last)
		}
		if seq >= last {
			markReady()
		}
	}
}

// RunGone watches the names online (kv, the bucket chat_online) until ctx
// is done: a name purged there ran out of its TTL, so the node holding it
// died or was cut off (a clean logout deletes it, and that node published
// its own leave). For such a name still a member somewhere (gone, from
// chat.Hub.Gone), this node publishes a leave of it, with the message id
// gone.<key>.<revision>: every node does, the stream stores one, and the
// node whose publish was not the duplicate runs the leave hooks (left,
// chat.Hub.LeftElsewhere), so the leave line goes out once. A watch that
// ends under it is started again (watch).
func (ls *Lines) RunGone(ctx context.Context, kv jetstream.KeyValue, gone func(folded string) (chat.Line, bool), left func(name, room string)) error {
	return watch(ctx, ls.log, kv, "names online", []jetstream.WatchOpt{jetstream.UpdatesOnly(), jetstream.MetaOnly()}, func(e jetstream.KeyValueEntry) {
		if e == nil || e.Operation() != jetstream.KeyValuePurge {
			return
		}
		name, ok := unkey(e.Key())
		if !ok {
			return
		}
		l, ok := gone(name)
		if !ok {
			return
		}
		ack, err := ls.publish(ctx, l, "gone."+e.Key()+"."+strconv.FormatUint(e.Revision(), 10))
		if err != nil {
			ls.log.Warn("leave of a name gone not published", "key", e.Key(), "err", err)
			return
		}
		if !ack.Duplicate {
			left(l.From, l.Room)
		}
	})
}
