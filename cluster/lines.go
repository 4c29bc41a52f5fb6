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
// once whatever was lost on the way. A user's line (chat.KindChat) while
// the connection is down waits for it cutGrace, then is refused
// (chat.ErrCutOff), never put
// in nats.go's reconnect buffer, where it would be stored once the
// connection is back although its sender was told it was not sent; one
// handed on before the connection went down is tried again, with its
// id, only once it is back (cluster/DESIGN.md, "Reconnect").
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
	nc := ls.js.Conn()
	said := l.Kind == chat.KindChat && l.Roster == ""
	for tried := false; ; tried = true {
		if said && !nc.IsConnected() {
			if !tried { // not handed on yet: a failover's blip is waited for, a cut refused
				gctx, cancel := context.WithTimeout(ctx, cutGrace)
				err := awaitConnected(gctx, nc)
				cancel()
				if err != nil {
					return nil, fmt.Errorf("publish line to %s: %w", subj, chat.ErrCutOff)
				}
			} else if err := awaitConnected(ctx, nc); err != nil {
				return nil, fmt.Errorf("publish line to %s: %w", subj, err)
			}
		}
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

// cutGrace is how long a user's line said while the connection is down
// waits for it before it is refused (chat.ErrCutOff): a NATS server of
// several lost, the node is connected to another within tens of
// milliseconds, and lines said meanwhile go through.
const cutGrace = 2 * time.Second

// reconnectPoll is how often a line handed on before the connection was
// lost looks whether it is back.
const reconnectPoll = 50 * time.Millisecond

// awaitConnected returns nil once nc is connected, or an error once it
// is closed for good or ctx is done.
func awaitConnected(ctx context.Context, nc *nats.Conn) error {
	for !nc.IsConnected() {
		if nc.IsClosed() {
			return nats.ErrConnectionClosed
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still cut off: %w", ctx.Err())
		case <-time.After(reconnectPoll):
		}
	}
	return nil
}

// linesHeartbeat is how often the server tells the node's consumer it is
// alive while no line comes: a consumer lost (with its NATS server, or
// with the whole cluster's restart) is found out after two missed
// heartbeats and made again from the line after the last one delivered.
const linesHeartbeat = 2 * time.Second

// consumerTry bounds one try to make the node's consumer: a try that got
// no answer (the stream's leader being elected again) is retried, where
// nats.go's ordered consumer waits 10 s for each of its own.
const consumerTry = 3 * time.Second

// consumerIdle is how long the server keeps a consumer nobody pulls from
// (one left behind by a node cut off, or killed).
const consumerIdle = time.Minute

// Run gives every line of the stream to deliver, in the stream's order,
// until ctx is done. The lines there were when it started (up to the
// stream's last sequence then) are history only (live false); ready, if
// not nil, is called once they have been given. A line that does not
// decode is logged and skipped. Its consumer is the node's own, made
// again from the line after the last one delivered whenever it is lost
// (a NATS server gone, the connection lost and back, a gap in its
// deliveries): no line is missed or given twice (cluster/DESIGN.md,
// "Reconnect").
func (ls *Lines) Run(ctx context.Context, deliver func(l chat.Line, seq uint64, mine, live bool), ready func()) error {
	last, err := ls.lastSeq(ctx)
	if err != nil {
		return nil // ctx done
	}
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
	next := uint64(1) // the sequence of the next line to give
	give := func(m jetstream.Msg, seq uint64) {
		var l chat.Line
		if err := json.Unmarshal(m.Data(), &l); err != nil {
			ls.log.Warn("lines: bad line skipped", "seq", seq, "err", err)
		} else {
			deliver(l, seq, l.Node == ls.node, seq > last)
		}
		next = seq + 1
		if seq >= last {
			markReady()
		}
	}
	for {
		err := ls.consume(ctx, next, give)
		switch {
		case ctx.Err() != nil:
			return nil
		case ls.js.Conn().IsClosed(): // closed for good (the node stops): nothing more comes
			return nil
		}
		ls.log.Warn("lines: consumer lost, resuming", "from", next, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(reconnectPoll):
		}
	}
}

// lastSeq returns the stream's last sequence, asking again (each try
// bounded to consumerTry) until it is answered or ctx is done: a node
// whose first ask went unanswered (a leader being elected, the cluster
// cut off at that moment) would otherwise never consume.
func (ls *Lines) lastSeq(ctx context.Context) (uint64, error) {
	for {
		tctx, cancel := context.WithTimeout(ctx, consumerTry)
		info, err := ls.stream.Info(tctx)
		cancel()
		if err == nil {
			return info.State.LastSeq, nil
		}
		ls.log.Warn("lines: stream info, asking again", "err", err)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(reconnectPoll):
		}
	}
}

// consume makes a consumer of every room's lines from the sequence from
// and gives each line to give, in order, until ctx is done (nil) or the
// consumer is lost (the error says how). It deletes the consumer when it
// returns, if it can, on a goroutine of its own that ends within
// consumerTry.
func (ls *Lines) consume(ctx context.Context, from uint64, give func(m jetstream.Msg, seq uint64)) error {
	nc := ls.js.Conn()
	// A reconnect loses what the server sent on the old connection (AckNone:
	// counted delivered), unseen until the next line shows a gap: the
	// consumer is made again at once, as nats.go's ordered consumer does.
	lost := nc.StatusChanged(nats.RECONNECTING, nats.CLOSED)
	defer nc.RemoveStatusListener(lost)
	if err := awaitConnected(ctx, nc); err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, consumerTry)
	cons, err := ls.stream.CreateOrUpdateConsumer(tctx, jetstream.ConsumerConfig{
		FilterSubjects:    []string{linesSubjects},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: consumerIdle,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("make the consumer from %d: %w", from, err)
	}
	defer func() { // off the way of the next consumer: a lost server's answers may take consumerTry
		go func() {
			dctx, cancel := context.WithTimeout(context.Background(), consumerTry)
			defer cancel()
			ls.stream.DeleteConsumer(dctx, cons.CachedInfo().Name) // else gone once idle for consumerIdle
		}()
	}()
	it, err := cons.Messages(jetstream.PullHeartbeat(linesHeartbeat), jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		return fmt.Errorf("consume from %d: %w", from, err)
	}
	defer it.Stop()
	defer context.AfterFunc(ctx, it.Stop)()
	var cut atomic.Bool
	watched := make(chan struct{})
	defer close(watched)
	go func() {
		select {
		case <-lost:
			cut.Store(true)
			it.Stop()
		case <-watched:
		}
	}()
	var delivered uint64 // the consumer's count of messages given
	for {
		m, err := it.Next()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return nil
			case cut.Load():
				return errors.New("connection lost")
			}
			return fmt.Errorf("next line: %w", err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("line's metadata: %w", err)
		}
		if md.Sequence.Consumer != delivered+1 { // one missed: go on from the last given
			return fmt.Errorf("consumer gave message %d after %d", md.Sequence.Consumer, delivered)
		}
		delivered = md.Sequence.Consumer
		if md.Sequence.Stream < from { // given already
			continue
		}
		give(m, md.Sequence.Stream)
		from = md.Sequence.Stream + 1
	}
}

// RunGone watches the names online (kv, the bucket chat_online) until ctx
// is done: a name purged there ran out of its TTL, so the node holding it
// died or was cut off (a clean logout deletes it, and that node published
// its own leave). For such a name still a member somewhere (gone, from
// chat.Hub.Gone), this node publishes a leave of it, with the message id
// gone.<key>.<revision>: every node does, the stream stores one, and the
// node whose publish was not the duplicate runs the leave hooks (left,
// chat.Hub.LeftElsewhere), so the leave line goes out once.
func (ls *Lines) RunGone(ctx context.Context, kv jetstream.KeyValue, gone func(folded string) (chat.Line, bool), left func(name, room string)) error {
	w, err := kv.WatchAll(ctx, jetstream.UpdatesOnly(), jetstream.MetaOnly())
	if err != nil {
		return fmt.Errorf("watch names online: %w", err)
	}
	defer w.Stop()
	for {
		var e jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return nil
		case e = <-w.Updates():
		}
		if e == nil || e.Operation() != jetstream.KeyValuePurge {
			continue
		}
		name, ok := unkey(e.Key())
		if !ok {
			continue
		}
		l, ok := gone(name)
		if !ok {
			continue
		}
		ack, err := ls.publish(ctx, l, "gone."+e.Key()+"."+strconv.FormatUint(e.Revision(), 10))
		if err != nil {
			ls.log.Warn("leave of a name gone not published", "key", e.Key(), "err", err)
			continue
		}
		if !ack.Duplicate {
			left(l.From, l.Room)
		}
	}
}
