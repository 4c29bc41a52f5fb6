package helperbot

// Usage explains each of the bot's commands to /help COMMAND
// (chat.Documented): its arguments and what it does.
func (*Bot) Usage(command string) (args, does string) {
	switch command {
	case "users":
		return "", "List the users in your room, admins and away users marked."
	case "kick":
		return "NAME", "Admins: send NAME from your room back to 'chat'."
	case "ban":
		return "NAME [DURATION]", "Admins: keep NAME (and their SSH key) out of your room, for good or for DURATION (30m, 2h, 7d)."
	case "w":
		return "NAME TEXT", "Whisper TEXT to NAME only, wherever they are."
	case "rooms":
		return "", "List the rooms, in the order they were created."
	case "unban":
		return "NAME", "Admins: let NAME into your room again."
	case "topic":
		return "[TEXT]", "Show your room's topic; admins: set it to TEXT, or clear it with /topic -."
	case "op":
		return "NAME", "Admins: make NAME an admin of your room too."
	case "deop":
		return "NAME", "The room's creator, or a server operator: make NAME no longer an admin of your room."
	case "bans":
		return "", "Admins: list who is banned from your room, and until when."
	case "mute":
		return "NAME [DURATION]", "Admins: stop NAME from talking in your room, for good or for DURATION; whispers still work."
	case "unmute":
		return "NAME", "Admins: let NAME talk in your room again."
	case "lock":
		return "", "Admins: make your room invite-only: only admins and invited names may come in."
	case "unlock":
		return "", "Admins: open your room to everyone again; invitations are forgotten."
	case "invite":
		return "NAME", "Admins of a locked room: let NAME come in."
	case "gban":
		return "NAME [DURATION]", "Server operators: ban NAME, their SSH key and address from the server, for good or for DURATION."
	case "gunban":
		return "NAME", "Server operators: lift the server ban made with NAME."
	case "gbans":
		return "", "Server operators: list who is banned from the server."
	}
	return "", ""
}
