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
	left   time.Duration // how long a leave is kept (LinesConfig.LeftKeep)
	n      atomic.Uint64 // lines published, for the message ids
	log    *slog.Logger

	recheck wake // RecheckNow's wake-up of RunRecheck
}

// LinesConfig says how the stream is made.
type LinesConfig struct {
	Node     string        // this node's name, carried by each line it publishes
	Replicas int           // copies of the stream: 3 (R3) if 0
	History  int           // lines kept per room (MaxMsgsPerSubject); chat.DefaultHistoryLen if 0
	LeftKeep time.Duration // how long a session's leave stays in the stream (rosterSubject); DefaultLeftKeep if 0, at least a second
	Logger   *slog.Logger  // nil: discard
}

// OpenLines creates the stream, or opens it as another node made it.
func OpenLines(ctx context.Context, js jetstream.JetStream, cfg LinesConfig) (*Lines, error) {
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	if cfg.History <= 0 {
		cfg.History = chat.DefaultHistoryLen
	}
	if cfg.LeftKeep <= 0 {
		cfg.LeftKeep = DefaultLeftKeep
	}
	st, err := openStream(ctx, js, jetstream.StreamConfig{
		Name:              LinesStream,
		Subjects:          []string{linesSubjects},
		Storage:           jetstream.FileStorage,
		Replicas:          cfg.Replicas,
		MaxMsgsPerSubject: int64(cfg.History),
		Duplicates:        2 * time.Minute,
		AllowDirect:       true,
		AllowRollup:       true, // a session's roster event replaces its last (rosterSubject)
		AllowMsgTTL:       true, // a leave is kept LeftKeep, then nothing of the session is
	})
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", LinesStream, err)
	}
	return &Lines{js: js, stream: st, node: cfg.Node, idBase: cfg.Node + "." + nuid.Next() + ".", left: max(cfg.LeftKeep, time.Second),
		log: orDiscard(cfg.Logger), recheck: newWake()}, nil
}

// roomSubject is the subject of l: chat.room.<room>.msg for a line,
// rosterSubject for a roster event.
func roomSubject(l chat.Line) string {
	if l.Roster != "" {
		return rosterSubject(l)
	}
	return "chat.room." + Key(chat.Fold(l.Room)) + ".msg"
}

// rosterSubject is the subject of the roster event l: one per room and
// session, chat.room.<room>.roster.<member> (member: Key of l.Member, the
// session's node and id). Each event is published as a roll-up of the
// subject, so the stream keeps only a session's last event in a room:
// its enter while it is there, its leave for LinesConfig.LeftKeep after
// it left, then nothing. A node that reads the stream from its start
// (Run) thus finds every member there is, in the order they entered (the
// enters' sequences), whatever MaxMsgsPerSubject dropped of the rooms'
// lines, and no more roster events than members and recent leaves
// (DESIGN.md, "The roster").
func rosterSubject(l chat.Line) string {
	return memberSubject(l.Room, l.Member())
}

// memberSubject is the roster subject of the member id (chat.Line.Member)
// in room.
func memberSubject(room, id string) string {
	return "chat.room." + Key(chat.Fold(room)) + ".roster." + Key(id)
}

// DefaultLeftKeep is how long the stream keeps a session's leave (or
// gone) event, which replaced its enter, unless LinesConfig says: long
// enough for every node's consumer to read it however far behind (a node
// cut off longer than that and back misses the leave, and lists the
// member until it restarts), short enough that the leaves kept stay few
// (those of the last hour).
const DefaultLeftKeep = time.Hour

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
	ack, err := ls.publish(ctx, l, ls.idBase+strconv.FormatUint(ls.n.Add(1), 10), 0)
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// publish is Publish with the message id id. A roster event rolls its
// subject up (rosterSubject); a leave or gone event is kept ls.left; a
// gone event is stored only if the subject's last event is still the
// enter it ends (entered: JetStream refuses it otherwise, with an error
// for which wrongLastSequence holds).
func (ls *Lines) publish(ctx context.Context, l chat.Line, id string, entered uint64) (*jetstream.PubAck, error) {
	l.Node = ls.node
	data, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("publish line: %w", err)
	}
	if len(data) > MaxLineBytes { // every node's DecodeLine would skip it, once stored and acknowledged
		return nil, fmt.Errorf("publish line to %s: %w: %d bytes, over %d", l.Room, errBadLine, len(data), MaxLineBytes)
	}
	m := nats.NewMsg(roomSubject(l))
	m.Data = data
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(id)}
	if l.Roster != "" {
		m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
		if l.Roster != chat.RosterEnter {
			opts = append(opts, jetstream.WithMsgTTL(ls.left))
		}
		if l.Roster == chat.RosterGone {
			opts = append(opts, jetstream.WithExpectLastSequencePerSubject(entered))
		}
	}
	nc := ls.js.Conn()
	said := l.Kind == chat.KindChat && l.Roster == ""
	for tried := false; ; tried = true {
		if said && !nc.IsConnected() {
			if !tried { // not handed on yet: a failover's blip is waited for, a cut refused
				gctx, cancel := context.WithTimeout(ctx, cutGrace)
				err := awaitConnected(gctx, nc)
				cancel()
				if err != nil {
					return nil, fmt.Errorf("publish line to %s: %w", m.Subject, chat.ErrCutOff)
				}
			} else if err := awaitConnected(ctx, nc); err != nil {
				return nil, fmt.Errorf("publish line to %s: %w", m.Subject, err)
			}
		}
		tctx, cancel := context.WithTimeout(ctx, publishTry)
		ack, err := ls.js.PublishMsg(tctx, m, opts...)
		cancel()
		if err == nil {
			return ack, nil
		}
		var api *jetstream.APIError
		if errors.As(err, &api) || errors.Is(err, nats.ErrConnectionClosed) || ctx.Err() != nil { // refused, closed, or out of time
			return nil, fmt.Errorf("publish line to %s: %w", m.Subject, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("publish line to %s: %w", m.Subject, err)
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
// not nil, is called once they have been given (or once none is pending:
// the last may have expired since, a leave's TTL). A line that does not
// decode (DecodeLine) is logged and skipped. Its consumer is the node's
// own, made again from the line after the last one delivered whenever it
// is lost (a NATS server gone, the connection lost and back, a gap in its
// deliveries): no line is missed or given twice (cluster/DESIGN.md,
// "Reconnect").
func (ls *Lines) Run(ctx context.Context, deliver func(l chat.Line, seq uint64, mine, live bool), ready func()) error {
	state, err := ls.streamState(ctx)
	if err != nil {
		return nil // ctx done
	}
	last := state.LastSeq
	readied := false
	markReady := func() {
		if !readied && ready != nil {
			ready()
		}
		readied = true
	}
	if state.Msgs == 0 {
		markReady()
	}
	next := uint64(1) // the sequence of the next line to give
	give := func(m jetstream.Msg, seq, pending uint64) {
		l, err := DecodeLine(m.Data())
		if err != nil {
			ls.log.Warn("lines: bad line skipped", "seq", seq, "err", err)
		} else {
			deliver(l, seq, l.Node == ls.node, seq > last)
		}
		next = seq + 1
		if seq >= last || pending == 0 { // the last message may be gone (a leave's TTL)
			markReady()
		}
	}
	for {
		err := ls.consume(ctx, next, give, markReady)
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

// streamState returns the stream's state, asking again (each try
// bounded to consumerTry) until it is answered or ctx is done: a node
// whose first ask went unanswered (a leader being elected, the cluster
// cut off at that moment) would otherwise never consume.
func (ls *Lines) streamState(ctx context.Context) (jetstream.StreamState, error) {
	for {
		tctx, cancel := context.WithTimeout(ctx, consumerTry)
		info, err := ls.stream.Info(tctx)
		cancel()
		if err == nil {
			return info.State, nil
		}
		ls.log.Warn("lines: stream info, asking again", "err", err)
		select {
		case <-ctx.Done():
			return jetstream.StreamState{}, ctx.Err()
		case <-time.After(reconnectPoll):
		}
	}
}

// consume makes a consumer of every room's lines from the sequence from
// (calling idle if it has none to give) and gives each line to give, in
// order, with how many are pending after it, until ctx is done (nil) or the
// consumer is lost (the error says how). It deletes the consumer when it
// returns, if it can, on a goroutine of its own that ends within
// consumerTry.
func (ls *Lines) consume(ctx context.Context, from uint64, give func(m jetstream.Msg, seq, pending uint64), idle func()) error {
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
	if ci := cons.CachedInfo(); ci != nil && ci.NumPending == 0 { // nothing to give (what there was may have expired)
		idle()
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
		give(m, md.Sequence.Stream, md.NumPending)
		from = md.Sequence.Stream + 1
	}
}

// RunGone watches the names online (kv, the bucket chat_online) until ctx
// is done: a name purged there ran out of its TTL, so the node holding it
// died or was cut off (a clean logout deletes it, and that node published
// its own leave). For such a name still a member somewhere (gone, from
// chat.Hub.Gone), this node records its departure (Depart): every node
// tries, one succeeds and runs the leave hooks (left, chat.Hub.LeftElsewhere),
// so the leave line goes out once. A watch that ends under it is started
// again (watch).
func (ls *Lines) RunGone(ctx context.Context, kv jetstream.KeyValue, gone func(folded string) (chat.Departure, bool), left func(name, room string)) error {
	return watch(ctx, ls.log, kv, "names online", []jetstream.WatchOpt{jetstream.UpdatesOnly(), jetstream.MetaOnly()}, func(e jetstream.KeyValueEntry) {
		if e == nil || e.Operation() != jetstream.KeyValuePurge {
			return
		}
		name, ok := unkey(e.Key())
		if !ok {
			return
		}
		if d, ok := gone(name); ok {
			ls.Depart(ctx, d, left)
		}
	})
}

// Depart records d, a member's departure, unless their session's roster
// changed since the enter d ends (another node recorded it first, or the
// session left after all): the stream stores it for one node only, which
// runs the leave hooks (left, chat.Hub.LeftElsewhere), so the room gets
// one leave line. The message id, the same on every node, makes a retry
// after a lost answer a duplicate, which runs no hooks. A failure is
// logged.
func (ls *Lines) Depart(ctx context.Context, d chat.Departure, left func(name, room string)) {
	id := "gone." + Key(d.Line.ID) + "." + strconv.FormatUint(d.Entered, 10)
	ack, err := ls.publish(ctx, d.Line, id, d.Entered)
	switch {
	case wrongLastSequence(err):
		return // recorded by another node, or the session left
	case err != nil:
		ls.log.Warn("departure not recorded", "room", chat.LogName(d.Line.Room), "member", d.Line.ID, "err", err)
	case !ack.Duplicate:
		left(d.Line.From, d.Line.Room)
	}
}

// Sweep records the departures of the members whose sessions are gone
// though no node said so (departed, chat.Hub.Departed: this node's own
// sessions from before a restart, and members of nodes no longer alive),
// each as Depart does. Node.Run calls it once Run read the roster there
// was at start; it returns once each is recorded or failed.
func (ls *Lines) Sweep(ctx context.Context, departed []chat.Departure, left func(name, room string)) {
	for _, d := range departed {
		ls.Depart(ctx, d, left)
	}
	if len(departed) > 0 {
		ls.log.Info("members of dead sessions taken out of their rooms", "count", len(departed))
	}
}

// RecheckNow has RunRecheck check the node's roster against the stream,
// after the node's connection to NATS was lost and is back. It does not
// block.
func (ls *Lines) RecheckNow() { ls.recheck.now() }

// RunRecheck checks, at each RecheckNow until ctx is done, every member
// the node's roster lists (members, chat.Hub.SharedMembers) against the
// stream: one whose roster subject's last event is no longer the enter
// the node applied left (or entered again) while the node was cut off,
// and the stream may no longer hold the leave for the node's consumer to
// read (its LeftKeep ran out), so drop (chat.Hub.DropShared) takes them
// out; a later enter, if any, comes through the consumer. The members are
// listed before the stream is read, so a member who entered meanwhile is
// never taken for one who left. A read that fails keeps the member.
func (ls *Lines) RunRecheck(ctx context.Context, members func() []chat.SharedMember, drop func(chat.SharedMember)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ls.recheck:
		}
		dropped := 0
		for _, m := range members() {
			last, err := ls.lastOf(ctx, memberSubject(m.Room, m.ID))
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				ls.log.Warn("roster not checked", "room", chat.LogName(m.Room), "member", m.ID, "err", err)
				continue
			}
			if last != m.Entered {
				drop(m)
				dropped++
			}
		}
		if dropped > 0 {
			ls.log.Info("members who left while the node was cut off taken out of their rooms", "count", dropped)
		}
	}
}

// lastOf returns the sequence of the last message on subj, 0 if there is
// none, as the stream's leader says (a direct get may be answered by a
// replica behind it: openBucket).
func (ls *Lines) lastOf(ctx context.Context, subj string) (uint64, error) {
	req, err := json.Marshal(map[string]string{"last_by_subj": subj})
	if err != nil {
		return 0, fmt.Errorf("last of %s: %w", subj, err)
	}
	rctx, cancel := context.WithTimeout(ctx, publishTry)
	defer cancel()
	msg, err := ls.js.Conn().RequestWithContext(rctx, "$JS.API.STREAM.MSG.GET."+LinesStream, req)
	if err != nil {
		return 0, fmt.Errorf("last of %s: %w", subj, err)
	}
	var resp struct {
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, fmt.Errorf("last of %s: %w", subj, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return 0, nil
	case resp.Error != nil:
		return 0, fmt.Errorf("last of %s: %w", subj, resp.Error)
	case resp.Message == nil:
		return 0, fmt.Errorf("last of %s: %w", subj, jetstream.ErrInvalidJetStreamResponse)
	}
	return resp.Message.Seq, nil
}
