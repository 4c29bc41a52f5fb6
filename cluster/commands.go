package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"chatserver/chat"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Commands sends and answers the commands on a user connected to another
// node (chat.Cluster's Remote; cluster/DESIGN.md, slice 5c): a core NATS
// request on the subject of the node that holds the user's name online
// (its key's value in NamesBucket names it), answered by that node's hub
// (chat.Hub.Remote). Safe for concurrent use.
type Commands struct {
	nc   *nats.Conn
	kv   jetstream.KeyValue // the names online
	node string
	log  *slog.Logger
}

// MaxCommandBytes caps a command request and its reply: a whisper of
// chat.MaxMessageLen runes of 4 bytes, JSON-escaped, fits with room.
const MaxCommandBytes = 8 << 10

// maxReplyBytes caps a reply: a /whois lists every room its user is an
// admin of, which may be many.
const maxReplyBytes = 256 << 10

// commandVersion is the version of the request this node speaks; a node
// answers a request of another version with chat.ReplyBadRequest.
const commandVersion = 1

// maxInFlight bounds the requests a node answers at once; more wait in
// the subscription's queue (nats.go's pending limits bound that).
const maxInFlight = 64

// CommandSubject is the subject node answers commands on.
func CommandSubject(node string) string { return "chat.node." + Key(node) + ".cmd" }

// wireRequest is a chat.RemoteRequest as it travels, with its version.
type wireRequest struct {
	V int `json:"v"`
	chat.RemoteRequest
}

// NewCommands returns the commands of the node called node, which finds
// the holders of names in the names bucket of names.
func NewCommands(nc *nats.Conn, names *Names, node string, log *slog.Logger) *Commands {
	return &Commands{nc: nc, kv: names.kv, node: node, log: orDiscard(log)}
}

// Remote sends req to the node that holds the name of its target online
// and returns that node's answer (chat.Cluster's Remote). It fails with
// an error wrapping chat.ErrNotFound if nobody holds the name, this node
// does (then it is not online here yet, or any more), or the holder does
// not answer before ctx is done (a node that is gone: no responders).
func (c *Commands) Remote(ctx context.Context, req chat.RemoteRequest) (chat.RemoteReply, error) {
	key := req.Key()
	if key == "" {
		return chat.RemoteReply{}, fmt.Errorf("%s %q: %w", req.Verb, req.Target, chat.ErrNotFound)
	}
	e, err := c.kv.Get(ctx, Key(key))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return chat.RemoteReply{}, fmt.Errorf("%s %s: nobody holds the name: %w", req.Verb, key, chat.ErrNotFound)
	case err != nil:
		return chat.RemoteReply{}, fmt.Errorf("%s %s: find its node: %w", req.Verb, key, err)
	}
	node, _, _ := strings.Cut(string(e.Value()), " ")
	if node == c.node || node == "" {
		return chat.RemoteReply{}, fmt.Errorf("%s %s: held by this node: %w", req.Verb, key, chat.ErrNotFound)
	}
	data, err := EncodeCommand(req)
	if err != nil {
		return chat.RemoteReply{}, err
	}
	msg, err := c.nc.RequestWithContext(ctx, CommandSubject(node), data)
	switch {
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return chat.RemoteReply{}, fmt.Errorf("%s %s on node %s: %w: %w", req.Verb, key, node, chat.ErrNotFound, err)
	case err != nil:
		return chat.RemoteReply{}, fmt.Errorf("%s %s on node %s: %w", req.Verb, key, node, err)
	}
	var rep chat.RemoteReply
	if len(msg.Data) > maxReplyBytes {
		return chat.RemoteReply{}, fmt.Errorf("%s %s on node %s: reply of %d bytes", req.Verb, key, node, len(msg.Data))
	}
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return chat.RemoteReply{}, fmt.Errorf("%s %s on node %s: reply: %w", req.Verb, key, node, err)
	}
	return rep, nil
}

// EncodeCommand encodes req as it travels; a request over MaxCommandBytes
// is an error.
func EncodeCommand(req chat.RemoteRequest) ([]byte, error) {
	data, err := json.Marshal(wireRequest{V: commandVersion, RemoteRequest: req})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", req.Verb, err)
	}
	if len(data) > MaxCommandBytes {
		return nil, fmt.Errorf("encode %s: %d bytes, over %d", req.Verb, len(data), MaxCommandBytes)
	}
	return data, nil
}

// errBadCommand is the error of a request DecodeCommand refuses.
var errBadCommand = errors.New("bad command")

// knownVerbs are the verbs a node answers.
var knownVerbs = map[string]bool{
	chat.VerbWhisper: true, chat.VerbTell: true, chat.VerbMove: true,
	chat.VerbDisconnect: true, chat.VerbWhois: true, chat.VerbGhost: true,
}

// DecodeCommand decodes a request another node sent: at most
// MaxCommandBytes of JSON, this version, a known verb and a target that
// could be a name; anything else is an error wrapping errBadCommand.
func DecodeCommand(data []byte) (chat.RemoteRequest, error) {
	if len(data) > MaxCommandBytes {
		return chat.RemoteRequest{}, fmt.Errorf("%w: %d bytes, over %d", errBadCommand, len(data), MaxCommandBytes)
	}
	var w wireRequest
	if err := json.Unmarshal(data, &w); err != nil {
		return chat.RemoteRequest{}, fmt.Errorf("%w: %w", errBadCommand, err)
	}
	switch {
	case w.V != commandVersion:
		return chat.RemoteRequest{}, fmt.Errorf("%w: version %d", errBadCommand, w.V)
	case !knownVerbs[w.Verb]:
		return chat.RemoteRequest{}, fmt.Errorf("%w: verb %.40q", errBadCommand, w.Verb)
	case w.Key() == "":
		return chat.RemoteRequest{}, fmt.Errorf("%w: target %.40q", errBadCommand, w.Target)
	}
	return w.RemoteRequest, nil
}

// Run answers the commands sent to this node with hub (chat.Hub.Remote)
// until ctx is done, at most maxInFlight at once, and returns once the
// last answer is sent. A request it cannot read is answered with
// chat.ReplyBadRequest and logged.
func (c *Commands) Run(ctx context.Context, hub interface {
	Remote(chat.RemoteRequest) chat.RemoteReply
}) error {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stopped bool // guarded by mu: no answer starts any more
	)
	slots := make(chan struct{}, maxInFlight)
	sub, err := c.nc.Subscribe(CommandSubject(c.node), func(m *nats.Msg) {
		var req chat.RemoteRequest
		err := errBadCommand // if decoding panicked (a panic in a NATS callback ends the process)
		recovered(c.log, "a node command's decoding", func() { req, err = DecodeCommand(m.Data) })
		if err != nil {
			c.log.Warn("node command refused", "subject", m.Subject, "bytes", len(m.Data), "err", err)
			if m.Reply != "" { // a request, not a bare publish: it waits for the answer
				c.respond(m, chat.RemoteReply{Err: chat.ReplyBadRequest})
			}
			return
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			<-slots
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			rep := chat.RemoteReply{Err: replyFailed}
			recovered(c.log, "node command "+req.Verb, func() { rep = hub.Remote(req) })
			c.respond(m, rep)
		})
	})
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", CommandSubject(c.node), err)
	}
	<-ctx.Done()
	if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		c.log.Warn("unsubscribe node commands", "err", err)
	}
	mu.Lock()
	stopped = true
	mu.Unlock()
	wg.Wait()
	return nil
}

// replyFailed answers a request whose handling panicked (logged); the
// asking node takes a code it does not know for not found.
const replyFailed = "failed"

// respond sends rep as the answer to m.
func (c *Commands) respond(m *nats.Msg, rep chat.RemoteReply) {
	data, err := json.Marshal(rep)
	if err == nil {
		err = m.Respond(data)
	}
	if err != nil {
		c.log.Warn("answer node command", "subject", m.Subject, "err", err)
	}
}
