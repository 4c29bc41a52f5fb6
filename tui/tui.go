// Package tui is the Bubble Tea model of one SSH session: the rooms on the
// left, the messages in the centre, the users of the current room on the
// right, an input line and a status bar, all driven by one chat.Session.
//
// Everything the user types goes through Session.Input, so every command
// behaves as on the line door. Events come from the session's outbox,
// whose hook wakes the program (Program.Send) when something arrives; the
// wake-up drains everything queued, so a burst of a thousand events is one
// Update and one frame, and an idle session has no goroutine waiting.
//
// A frame is not cheap, so the model draws as little as it can: each
// message is styled and wrapped once, the first time it shows, and again
// only after a resize; the panes are redrawn only when their data or size
// changed. With Config.Output the model also skips Bubble Tea's renderer,
// which parses and diffs every frame: it writes only the pieces of rows
// that changed (see screen), at most FPS frames a second.
package tui

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"chatserver/chat"
)

// FPS is the highest frame rate a session should be drawn at; the door
// passes it to tea.WithFPS. Events arriving between two frames are drawn
// together, so a flood costs at most FPS frames a second per session, and
// 30 is still smooth to type and scroll at.
const FPS = 30

// rosterGap is the least time between two frames that change only the
// rooms pane, the users pane or the status bar.
const rosterGap = 250 * time.Millisecond

// rosterEvery is how often the rooms pane refreshes its unread counts,
// which change without a roster event.
const rosterEvery = time.Second

// Config is what one session's UI is built from.
type Config struct {
	Ctx        context.Context // the SSH connection's context: Session.Input blocks on store writes under it
	Hub        *chat.Hub
	Session    *chat.Session // already logged in with chat.LoginOptions{Roster: true}
	Width      int           // initial pty size (already clamped by the door)
	Height     int
	FloodBurst int     // flood control for typed lines (chat.NewLimiter), as on the line door
	FloodRate  float64 // lines a second after the burst; <= 0 turns flood control off

	// Output, if set, is the terminal: the model draws itself there, row
	// by row, sending only the rows that changed, at most FPS frames a
	// second, and the program must run with tea.WithoutRenderer. This
	// skips the stock renderer's parsing and diffing of every frame, which
	// costs about 0.25 ms at 120x40, and its two cell buffers (~400 KB a
	// session). Without Output, View returns the frame for the renderer.
	Output io.Writer
	// Shared is what the door's sessions share (NewShared); nil: the
	// session makes its own.
	Shared *Shared
	// Profile is what the terminal can show, as colorprofile.Env tells
	// from its TERM and environment (NO_COLOR); the colours are brought
	// down to it. Unknown is taken as ANSI256.
	Profile colorprofile.Profile
}

// engine is what the UI reads of the chat engine besides its session; a
// *chat.Hub is one. Model tests stand in for it to show what the engine
// may report (a topic, marks), the same way the hub would.
type engine interface {
	Rooms() []chat.RoomInfo
	Members(room string) []chat.Member
	Topic(room string) string
	CommandNames() []string
	CanEnter(room, name string) bool
	OnlineNames(prefix string, limit int) []string
}

// Model is the Bubble Tea model of one session. A *Model implements
// tea.Model. It is driven by one tea.Program and is not safe for
// concurrent use; it only talks to the engine through its Session and Hub.
//
// The screen is six panes (see pane), each over its own state: the rooms,
// the topic, the messages, the users, the status bar and the input line.
// The model lays them out, routes each message to the panes it concerns,
// sends what the user typed to the engine, and joins the panes' lines into
// frames.
type Model struct {
	ctx     context.Context
	hub     engine
	sess    *chat.Session
	name    string
	limiter *chat.Limiter
	th      *theme // the colours, for the terminal's profile

	width, height int
	room          string // the room shown

	rooms    *roomsPane
	topic    *topicLine
	topicRow bool // the topic takes the first row of the messages column
	msgs     *messagesPane
	users    *usersPane
	status   *statusBar
	input    *inputLine

	// the outbox and the engine
	evbuf   []*chat.Event
	closed  bool
	post    func(tea.Msg) // the program's Send
	woken   atomic.Bool   // a readyMsg is on its way
	drained bool          // the login's lines (the MOTD among them) were drained
	ticker  *time.Timer   // the rooms refresh
	pending []string      // typed lines waiting for Session.Input
	sending bool

	// the frame: the panes' lines as pieces of rows
	segs       []seg
	frame      string // segs joined, for View
	frameCap   int
	frameDirty bool // drawn anew even if no pane changed (a resize, the bell)

	// drawing without the stock renderer (Config.Output)
	scr         *screen
	lastDraw    time.Time
	drawPending bool
	pendingAt   time.Time // when the pending drawMsg comes
	rosterStale bool      // the room's users changed since the panes reloaded them
	farewell    string    // the last line, if a system line, shown after the UI closes: it may have been drained before the close
}

// New returns the model for cfg.Session, showing the last messages of its
// room. It does not start anything; the program calls Init.
func New(cfg Config) *Model { return newModel(cfg, cfg.Hub) }

// newModel is New reading the rooms, users and topics from hub.
func newModel(cfg Config, hub engine) *Model {
	ctx := cfg.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	m := &Model{
		ctx:     ctx,
		hub:     hub,
		sess:    cfg.Session,
		name:    cfg.Session.Name(),
		limiter: chat.NewLimiter(cfg.FloodBurst, cfg.FloodRate),
		width:   cfg.Width,
		height:  cfg.Height,
	}
	shared := cfg.Shared
	if shared == nil {
		shared = NewShared()
	}
	look := shared.look(cfg.Profile)
	m.th = look.theme
	if cfg.Output != nil {
		m.scr = newScreen(cfg.Output, shared)
	}
	m.room = m.sess.Room()
	m.sess.RosterSeen()
	m.rooms = newRoomsPane(m.hub, m.th, m.room)
	m.users = newUsersPane(m.hub, m.th, m.name, m.room)
	m.topic = newTopicLine(m.hub, m.th, m.room)
	m.msgs = newMessagesPane(ctx, m.sess, m.th, m.room)
	m.status = &statusBar{th: m.th}
	m.input = &inputLine{in: look.input, pool: m.completions}
	m.layout()
	m.syncStatus()
	m.frameDirty = true
	return m
}

// eventsMsg is what one drain of the outbox brought.
type eventsMsg struct {
	evs     []*chat.Event
	dropped int
	closed  bool
}

// readyMsg says the outbox has something to drain.
type readyMsg struct{}

// tickMsg refreshes the rooms pane.
type tickMsg struct{}

// drawMsg is a frame that was put off to keep to FPS.
type drawMsg struct{}

// olderMsg carries messages loaded by scrolling past the top.
type olderMsg struct {
	gen  int
	msgs []chat.Message
	err  error
}

// NewProgram returns the Bubble Tea program that runs m, with opts. The
// session's events and the rooms refresh wake the program when they come,
// by Program.Send, so an idle session has no goroutine waiting for them:
// run a Model with this, not tea.NewProgram.
func NewProgram(m *Model, opts ...tea.ProgramOption) *tea.Program {
	p := tea.NewProgram(m, opts...)
	m.post = p.Send
	return p
}

// Init starts listening to the session's outbox and the rooms refresh,
// if the model runs in a program from NewProgram (a test that drives
// Update by hand delivers both itself), and draws the first frame.
func (m *Model) Init() tea.Cmd {
	if m.post != nil {
		m.sess.Outbox().OnReady(m.wake)
		m.ticker = time.AfterFunc(rosterEvery, func() { m.post(tickMsg{}) })
	}
	return m.present()
}

// wake is the outbox's hook: it runs on the pushing goroutine and must not
// block, so it sends readyMsg from a goroutine of its own, one at a time.
func (m *Model) wake() {
	if m.woken.CompareAndSwap(false, true) {
		go m.post(readyMsg{})
	}
}

// drain takes everything queued in the outbox. The flag is cleared first,
// so a push that lands during the drain wakes the program again rather
// than being missed.
func (m *Model) drain() tea.Cmd {
	m.woken.Store(false)
	evs, dropped, closed := m.sess.Outbox().Drain(m.evbuf)
	m.evbuf = nil
	if len(evs) == 0 && dropped == 0 && !closed {
		m.evbuf = evs
		return nil
	}
	return m.events(eventsMsg{evs, dropped, closed})
}

// Update handles one message, routing it to the panes it concerns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case readyMsg:
		cmd = m.drain()
	case eventsMsg:
		cmd = m.events(msg)
	case tickMsg:
		if m.closed {
			return m, nil
		}
		m.rooms.Update(msg)
		if m.ticker != nil {
			m.ticker.Reset(rosterEvery)
		}
	case sentMsg:
		cmd = m.sendNext()
	case drawMsg:
		m.drawPending = false
	case olderMsg:
		m.msgs.Update(msg)
	case tea.WindowSizeMsg:
		if msg.Width != m.width || msg.Height != m.height {
			m.width, m.height = msg.Width, msg.Height
			if m.scr != nil {
				m.scr.clear()
			}
			m.layout()
			m.rooms.Update(tickMsg{}) // not refreshed while hidden
			m.frameDirty = true
		}
	case tea.KeyPressMsg:
		cmd = m.key(msg)
	case tea.PasteMsg:
		cmd = m.input.Update(msg)
	case tea.MouseWheelMsg:
		cmd = m.msgs.Update(msg)
	default:
		return m, nil
	}
	m.syncStatus()
	m.frameDirty = m.frameDirty || m.dirty()
	if m.scr != nil && !m.closed {
		cmd = tea.Batch(cmd, m.present())
	}
	return m, cmd
}

// syncStatus tells the status bar what the other panes show.
func (m *Model) syncStatus() {
	st := statusMsg{name: m.name, room: m.room, here: len(m.users.members)}
	m.msgs.status(&st)
	m.status.Update(st)
}

// present draws the frame now if it changed and the last frame is old
// enough, or asks for a drawMsg when it will be: events arriving meanwhile
// are drawn together. Old enough is 1/FPS when messages or the input line
// changed, rosterGap when only the side panes or the status bar did. It
// does nothing without Output.
func (m *Model) present() tea.Cmd {
	if m.scr == nil || !m.frameDirty && !m.rosterStale {
		return nil
	}
	gap := time.Second / FPS
	if !m.msgs.Dirty() && !m.input.Dirty() {
		// Only the side panes or the status bar changed: during a storm of
		// logins every UI in the room sees every one, and redrawing each
		// at FPS made the logins cost N² frames.
		gap = rosterGap
	}
	due := m.lastDraw.Add(gap)
	if wait := time.Until(due); wait > 0 {
		if m.drawPending && !m.pendingAt.After(due) {
			return nil // a drawMsg comes by then
		}
		m.drawPending, m.pendingAt = true, due
		return tea.Tick(wait, func(time.Time) tea.Msg { return drawMsg{} })
	}
	if m.rosterStale {
		// Once a frame, however many logins and logouts came since the last.
		m.rosterStale = false
		m.refreshRoster()
		m.syncStatus()
		m.frameDirty = m.frameDirty || m.dirty()
		if !m.frameDirty {
			return nil
		}
	}
	m.renderFrame()
	m.scr.draw(m.segs, m.input.cursor)
	m.lastDraw = time.Now()
	return nil
}

// quit ends the program, first restoring the terminal when the model draws it.
func (m *Model) quit() tea.Cmd {
	m.closed = true
	if m.ticker != nil {
		m.ticker.Stop()
	}
	if m.scr != nil {
		m.scr.stop(m.farewell)
	}
	return tea.Quit
}

// key routes a key press: the screen's keys to the model, scrolling to the
// messages pane, the rest to the input line.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	s := k.String()
	if s != "tab" && s != "shift+tab" {
		m.input.comp = completion{}
	}
	switch s {
	case "ctrl+c":
		return m.quit()
	case "enter":
		return m.submit()
	case "pgup", "pgdown", "esc":
		return m.msgs.Update(k)
	case "ctrl+n":
		return m.switchRoom(1)
	case "ctrl+p":
		return m.switchRoom(-1)
	default:
		return m.input.Update(k)
	}
}

// events handles one drain of the outbox.
func (m *Model) events(msg eventsMsg) tea.Cmd {
	if msg.dropped > 0 {
		m.local(chat.DroppedText(msg.dropped))
	}
	if r := m.sess.Room(); r != m.room && !msg.closed {
		m.enter(r)
	}
	// An outbox never drops a roster event (Outbox.dropOldest), so one
	// queued is the only sign the roster changed.
	roster := false
	before := len(m.msgs.entries)
	for _, ev := range msg.evs {
		if ev.Kind == chat.KindRoster {
			roster = true
			continue
		}
		m.msgs.add(ev, m.room)
		m.farewell = ""
		if ev.Kind == chat.KindSystem {
			m.farewell = strings.TrimSuffix(string(ev.Line()), "\n")
		}
	}
	added := len(m.msgs.entries) - before
	m.msgs.added()
	if !m.drained {
		// The first drain holds what the login sent: the MOTD, the topic
		// and the join line, shown from their start if they do not fit.
		m.drained = true
		m.msgs.showFrom(len(m.msgs.entries) - added)
	}
	if roster && !msg.closed {
		if m.scr != nil {
			m.rosterStale = true // reloaded when the next frame is drawn
		} else {
			m.refreshRoster()
		}
	}
	// Keep the drained slice for the next drain unless a burst grew it.
	if cap(msg.evs) <= 64 {
		m.evbuf = msg.evs
	}
	if msg.closed {
		return m.quit()
	}
	if m.msgs.bell {
		m.msgs.bell = false
		if m.scr != nil {
			m.scr.bell = true
			m.frameDirty = true
			return nil
		}
		return tea.Raw("\a") // the bell is the one control character we print
	}
	return nil
}

// enter shows room r in every pane.
func (m *Model) enter(r string) {
	m.room = r
	m.sess.RosterSeen()
	for _, p := range [...]pane{m.rooms, m.users, m.topic, m.msgs} {
		p.Update(enterMsg{r})
	}
	m.topicLayout()
}

// refreshRoster reloads the rooms, and the users and the topic of the
// current room: what a KindRoster event says may have changed. The topic
// is read here and on entering a room, never for a frame.
func (m *Model) refreshRoster() {
	m.sess.RosterSeen()
	m.rooms.Update(rosterMsg{})
	m.users.Update(rosterMsg{})
	m.topic.Update(rosterMsg{})
	m.topicLayout()
}

// topicLayout lays the panes out again when the topic row comes or goes.
func (m *Model) topicLayout() {
	if m.topicFits() != m.topicRow {
		m.layout()
		m.frameDirty = true
	}
}

// View returns the screen. It is the same string as long as nothing
// changed, which the renderer recognises and skips.
func (m *Model) View() tea.View {
	if m.scr != nil {
		return tea.View{} // the model draws itself (Config.Output)
	}
	if m.frameDirty {
		m.renderFrame()
	}
	v := tea.NewView(m.frame)
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.Cursor = m.input.cursor
	return v
}
