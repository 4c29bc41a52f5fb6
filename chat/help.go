package chat

import "strings"

// TextNoCommand answers a command nobody handles (without "<system> ").
const TextNoCommand = "Command not found."

// Documented is what a plugin implements to explain its commands to
// /help COMMAND; it is optional. The line a user gets is
// "<system> /COMMAND ARGS: DOES", from what Usage returns. A command of
// a plugin without it, or for which Usage returns does == "", is
// explained as "/COMMAND: a command of PLUGIN."
type Documented interface {
	// Usage returns how to use command, one of the plugin's Commands in
	// lower case: its arguments as the help line shows them (upper-case
	// placeholders, optional ones in brackets: "NAME [DURATION]"; "" for
	// none) and what it does, in one short sentence. It is called once,
	// when the plugin is registered.
	Usage(command string) (args, does string)
}

// systemUsage returns the arguments and the effect of a system command,
// for /help COMMAND; does is "" for a command that is not one.
func systemUsage(command string) (args, does string) {
	switch command {
	case "leave":
		return "", "Leave the chat: the server closes the connection."
	case "room":
		return "", "Show the room you're in."
	case "switch":
		return "ROOM", "Go to ROOM, which is created, with you as its admin, if it does not exist."
	case "history":
		return "[N]", "Show the last N messages of your room (20 if N is left out, at most 200)."
	case "me":
		return "TEXT", "Send TEXT to your room as an action, shown as * NAME TEXT."
	case "away":
		return "[REASON]", "Mark yourself as away, with an optional reason; whisperers are told."
	case "back":
		return "", "Mark yourself as no longer away."
	case "whois":
		return "NAME", "Show who NAME is: their room, door, time online and idle, and more."
	case "ignore":
		return "[NAME]", "Hide everything NAME says from you; without NAME, list whom you ignore."
	case "unignore":
		return "NAME", "Stop ignoring NAME."
	case "motd":
		return "", "Show the message of the day."
	case "password":
		return "NEW", "Protect your name with the password NEW (at least 8 characters), or change it."
	case "help":
		return "[COMMAND]", "List the commands, or explain COMMAND."
	}
	return "", ""
}

// usageLine is the /help COMMAND line of command, without "<system> ".
func usageLine(command, args, does string) string {
	if args != "" {
		return "/" + command + " " + args + ": " + does
	}
	return "/" + command + ": " + does
}

// usages returns the /help COMMAND line of every command, system ones and
// those of the registered plugins, by command.
func (h *Hub) usages() map[string]string {
	out := map[string]string{}
	for _, c := range append(systemCommands[:], "help") {
		args, does := systemUsage(c)
		out[c] = usageLine(c, args, does)
	}
	for _, b := range h.bots {
		d, _ := b.plugin.(Documented)
		for _, c := range b.plugin.Commands() {
			c = strings.ToLower(c)
			var args, does string
			if d != nil {
				b.safely(func(*Bot) { args, does = d.Usage(c) })
			}
			if does == "" {
				args, does = "", "a command of "+b.name+"."
			}
			out[c] = usageLine(c, args, does)
		}
	}
	return out
}

// help runs /help [COMMAND]: the help block, or the one line that
// explains COMMAND (with or without its '/').
func (s *Session) help(args string) {
	command, _ := CutArg(args)
	if command == "" {
		s.Notify(s.hub.help)
		return
	}
	line, ok := s.hub.usage[strings.ToLower(strings.TrimPrefix(command, "/"))]
	if !ok {
		s.Notify(TextNoCommand)
		return
	}
	s.Notify(line)
}
