// Package hellobot is the example plugin of the README: it greets whoever
// says hello.
package hellobot

import (
	"context"
	"strings"

	"chatserver/chat"
)

// Bot answers a message that starts with "hello", in any case, with
// "<hellobot> Hello, NAME", to its author only.
type Bot struct{ chat.BasePlugin }

// Name returns "hellobot".
func (Bot) Name() string { return "hellobot" }

// MessageReceived greets the author of a message starting with "hello".
func (Bot) MessageReceived(_ context.Context, b *chat.Bot, m chat.Message) {
	if strings.HasPrefix(strings.ToLower(m.Text), "hello") {
		b.Reply(m.From, "Hello, "+m.From)
	}
}
