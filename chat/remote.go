package chat

import (
	"context"
	"errors"
	"time"
)

// Commands on a user connected to another node (cluster/DESIGN.md, slice
// 5c): when a command finds nobody of the name on this hub and the hub is
// one node of several, it asks the cluster (Cluster.Remote), which sends
// the request to the node that holds the name online; that node answers
// through Hub.Remote, under its own locks, as if the command were its own.

// The verbs of a RemoteRequest.
const (
	VerbWhisper    = "whisper"    // a whisper from From, by the plugin Bot, of Text
	VerbTell       = "tell"       // a line of the plugin Bot (a system line if Bot is ""), Text
	VerbMove       = "move"       // a move from Room to To (a kick, or a ban's move out), by the plugin Bot
	VerbDisconnect = "disconnect" // the system line Text, then the connection closes (a /gban)
	VerbWhois      = "whois"      // what /whois tells of the user (Operator: asked by an operator)
	VerbGhost      = "ghost"      // a proven login of the name elsewhere: TextReplaced, then logged out
)

// RemoteRequest asks the node of the user called Target to act on them.
type RemoteRequest struct {
	Verb     string `json:"verb"`
	Target   string `json:"target"`             // the name as typed
	From     string `json:"from,omitempty"`     // who asks, as they logged in
	Bot      string `json:"bot,omitempty"`      // the plugin whose command it is
	Room     string `json:"room,omitempty"`     // VerbMove: the room they must be in
	To       string `json:"to,omitempty"`       // VerbMove: where they go
	Text     string `json:"text,omitempty"`     // the line, for VerbWhisper, VerbTell, VerbDisconnect
	Operator bool   `json:"operator,omitempty"` // VerbWhois: the asker is a server operator
}

// Key returns the folded form of the target's name (Fold of its normal
// form), the key of its hold in the cluster; "" for a name nobody could
// log in with.
func (r RemoteRequest) Key() string {
	_, key, _, err := loginName(r.Target)
	if err != nil {
		return ""
	}
	return key
}

// RemoteReply is a node's answer to a RemoteRequest.
type RemoteReply struct {
	// Err is "" when done, else one of the Reply… codes.
	Err   string     `json:"err,omitempty"`
	Name  string     `json:"name,omitempty"` // the target as they logged in
	Room  string     `json:"room,omitempty"` // their room (after a move: where they went)
	Whois *WhoisInfo `json:"whois,omitempty"`
}

// The codes of RemoteReply.Err.
const (
	ReplyNotFound   = "not_found"    // nobody of the name here (or not in the room, for a move)
	ReplyBanned     = "banned"       // a move into a room they are banned from
	ReplyInviteOnly = "invite_only"  // a move into a locked room they may not enter
	ReplyBadRequest = "bad_request"  // a request this node cannot read
	ReplyUnknown    = "unknown_verb" // a verb this node does not know
)

// replyErrors are the errors of the codes of RemoteReply.Err.
var replyErrors = map[string]error{
	ReplyNotFound: ErrNotFound, ReplyBanned: ErrBanned, ReplyInviteOnly: ErrInviteOnly,
}

// remote asks the cluster to do req on the node of its target, with no
// lock held, within remoteTimeout. Any failure (nobody holds the name,
// their node is gone or does not answer, it could not be done) is an
// error; one that wraps ErrNotFound when the user is not to be found.
func (h *Hub) remote(req RemoteRequest) (RemoteReply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	rep, err := h.cluster.Remote(ctx, req)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			h.log.Warn("remote command", "verb", req.Verb, "user", LogName(req.Target), "err", err)
		}
		return RemoteReply{}, err
	}
	if rep.Err != "" {
		if e, ok := replyErrors[rep.Err]; ok {
			return rep, e
		}
		h.log.Warn("remote command refused", "verb", req.Verb, "user", LogName(req.Target), "err", rep.Err)
		return rep, ErrNotFound
	}
	return rep, nil
}

// remoteTimeout bounds a command on a user of another node: a node that
// does not answer within it counts as not having the user online.
const remoteTimeout = 2 * time.Second

// Remote does req, which another node sent because this node holds the
// name of its target online (the cluster's subscription calls it), and
// says how it went. It takes the locks the same command of a local user
// takes, and makes no request to another node itself (a plugin hook a
// move runs may, bounded by remoteTimeout, which is why the cluster
// answers each request on a goroutine of its own). Safe from any
// goroutine with no engine lock held.
func (h *Hub) Remote(req RemoteRequest) RemoteReply {
	if req.Verb == VerbGhost {
		return h.remoteGhost(req)
	}
	s := h.find(req.Target)
	if s == nil {
		return RemoteReply{Err: ReplyNotFound}
	}
	switch req.Verb {
	case VerbWhisper:
		if !s.ignores(Fold(req.From)) {
			s.out.Push(&Event{Kind: KindWhisper, From: req.From, Bot: req.Bot, Text: req.Text, Time: h.now()})
		}
		return RemoteReply{Name: s.name}
	case VerbTell:
		if req.Bot == "" {
			s.Notify(req.Text)
		} else {
			s.out.Push(&Event{Kind: KindBot, From: req.Bot, Text: req.Text, Time: h.now()})
		}
		return RemoteReply{Name: s.name}
	case VerbMove:
		u, err := h.moveUser(s, req.Room, req.To, req.Bot)
		for code, e := range replyErrors {
			if errors.Is(err, e) {
				return RemoteReply{Err: code}
			}
		}
		return RemoteReply{Name: u.Name, Room: u.Room}
	case VerbDisconnect:
		h.log.Info("disconnected", "user", LogName(s.name), "door", s.door, "addr", s.addr, "by", LogName(req.From), "reason", "asked by another node")
		s.dropWith(req.Text)
		return RemoteReply{Name: s.name}
	case VerbWhois:
		w, ok := h.whoisOf(req.Target)
		if !ok {
			return RemoteReply{Err: ReplyNotFound}
		}
		if !req.Operator {
			w.Addr = "" // an operator's to see only
		}
		return RemoteReply{Name: w.Name, Room: w.Room, Whois: &w}
	}
	return RemoteReply{Err: ReplyUnknown}
}

// remoteGhost logs out the session of the name of req, replaced by a
// login that proved the name on another node: it is told TextReplaced
// and closed, and lets go of the name, so that the other node may hold
// it. A session still logging in is logged out too: the name is the
// newer login's.
func (h *Hub) remoteGhost(req RemoteRequest) RemoteReply {
	h.mu.RLock()
	s := h.users[req.Key()]
	h.mu.RUnlock()
	if s == nil {
		return RemoteReply{Err: ReplyNotFound}
	}
	h.log.Info("logout", "user", LogName(s.name), "door", s.door, "addr", s.addr, "reason", "logged in from another connection", "on", "another node")
	s.out.Push(h.systemEvent(TextReplaced))
	s.Close()
	return RemoteReply{Name: s.name}
}

// ghostWait bounds how long a proven login waits for the node that held
// its name to let go of it.
const ghostWait = 5 * time.Second

// takeOver holds the name of s, which another node holds, for a login
// that proved it (a ghost on another node): that node is asked to log its
// session out, then the hold is tried again until it succeeds, the name
// is taken by someone else than the ghost, or ghostWait passes. Called
// with no lock held.
func (h *Hub) takeOver(ctx context.Context, s *Session) (release func(context.Context) error, err error) {
	if _, err := h.remote(RemoteRequest{Verb: VerbGhost, Target: s.name, From: s.name}); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, ghostWait)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		release, err = h.cluster.HoldName(ctx, s.key)
		if !errors.Is(err, ErrNameTaken) {
			return release, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-t.C:
		}
	}
}
