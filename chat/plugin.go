package chat

import (
	"context"
	"strings"
)

// Plugin is a bot living inside the server, the Go form of the original
// project's plugin API. Hooks run on the goroutine of the user who caused
// them, with no engine lock held; they must not block, since that user
// waits. A hook that panics is logged and skipped. Embed BasePlugin to
// implement only the hooks you need.
type Plugin interface {
	// Name is the plugin's name: the tag of its lines, its /help section,
	// and a reserved user name.
	Name() string
	// Commands lists the commands (without '/') the plugin handles, in the
	// order /help shows them.
	Commands() []string
	// UserJoined is called after u entered u.Room (logging in, switching, or
	// being moved).
	UserJoined(ctx context.Context, b *Bot, u User)
	// UserLeft is called after u left u.Room.
	UserLeft(ctx context.Context, b *Bot, u User)
	// MessageReceived is called after m was delivered to its room: a
	// message, or an action (/me TEXT, m.Action set), shown to the room as
	// "* NAME TEXT".
	MessageReceived(ctx context.Context, b *Bot, m Message)
	// CommandReceived is called for each of the plugin's commands.
	CommandReceived(ctx context.Context, b *Bot, c Command)
	// TopicChanged is called after a room's topic was set or cleared
	// (t.Text ""), once the change is durable (Bot.SetTopic).
	TopicChanged(ctx context.Context, b *Bot, t Topic)
}

// BasePlugin gives a plugin no commands and no-op hooks; embed it.
type BasePlugin struct{}

// Commands returns no commands.
func (BasePlugin) Commands() []string { return nil }

// UserJoined does nothing.
func (BasePlugin) UserJoined(context.Context, *Bot, User) {}

// UserLeft does nothing.
func (BasePlugin) UserLeft(context.Context, *Bot, User) {}

// MessageReceived does nothing.
func (BasePlugin) MessageReceived(context.Context, *Bot, Message) {}

// CommandReceived does nothing.
func (BasePlugin) CommandReceived(context.Context, *Bot, Command) {}

// TopicChanged does nothing.
func (BasePlugin) TopicChanged(context.Context, *Bot, Topic) {}

// User is someone online, and the room they are in.
type User struct {
	Name string
	Room string
}

// Command is a command line addressed to a plugin.
type Command struct {
	From string // who typed it
	Room string // the room they were in
	Name string // the command word, lower case, without '/'
	Args string // the rest of the line after the command word and the spaces after it
}

// CutArg splits s at its first run of spaces: the first argument, and the
// rest of s after the spaces that follow it.
func CutArg(s string) (arg, rest string) {
	s = strings.TrimLeft(s, " ")
	arg, rest, _ = strings.Cut(s, " ")
	return arg, strings.TrimLeft(rest, " ")
}
