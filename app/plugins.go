package app

import (
	"fmt"
	"strings"

	"chatserver/bots/hellobot"
	"chatserver/bots/helperbot"
	"chatserver/chat"
)

// BuiltinPlugins lists the names PluginsByName knows.
func BuiltinPlugins() []string { return []string{helperbot.Name, "hellobot"} }

// PluginsByName returns the built-in plugins named, in order.
func PluginsByName(names []string) ([]chat.Plugin, error) {
	var out []chat.Plugin
	for _, n := range names {
		switch strings.ToLower(strings.TrimSpace(n)) {
		case "":
		case helperbot.Name:
			out = append(out, helperbot.New())
		case "hellobot":
			out = append(out, hellobot.Bot{})
		default:
			return nil, fmt.Errorf("unknown plugin %q (built in: %s)", n, strings.Join(BuiltinPlugins(), ", "))
		}
	}
	return out, nil
}
