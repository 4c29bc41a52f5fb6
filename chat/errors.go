package chat

import (
	"errors"
	"strconv"
)

// Sentinel errors of the engine. Doors branch on them with errors.Is and
// turn the login refusals into protocol lines with RefusalText.
var (
	ErrNameTooLong  = errors.New("name too long")
	ErrNameInvalid  = errors.New("name has characters other than letters, digits, '-', '_' and '.'")
	ErrNameReserved = errors.New("name reserved")
	ErrNameTaken    = errors.New("name taken")
	ErrNameOwned    = errors.New("name belongs to another ssh key")
	ErrShutdown     = errors.New("server shutting down")
	ErrNotFound     = errors.New("no such user in that room")
	ErrNotBanned    = errors.New("not banned")
	ErrRoomInvalid  = errors.New("invalid room name")
	ErrStore        = errors.New("store failed")
	ErrTooManyRooms = errors.New("too many rooms")
	ErrBanned       = errors.New("banned from that room")
)

// RefusalText returns the text of the system line that answers a login
// refused with err, as PROTOCOL.md words it.
func RefusalText(err error) string {
	switch {
	case errors.Is(err, ErrNameTooLong):
		return "Username must be less than 20 characters."
	case errors.Is(err, ErrNameInvalid):
		return "Usernames may only use letters, digits, '-', '_' and '.'."
	case errors.Is(err, ErrNameReserved):
		return "That username is reserved, please try another one."
	case errors.Is(err, ErrNameTaken):
		return "That username is already taken, please try another one."
	case errors.Is(err, ErrNameOwned):
		return "That username belongs to another SSH key, please try another one."
	case errors.Is(err, ErrShutdown):
		return TextShutdown
	default:
		return "Login failed, please try again."
	}
}

// Protocol texts the doors send themselves (without the "<system> " tag).
const (
	TextWelcome      = "Welcome to the chat room!"
	TextNotConnected = "You're not currently connected."
	TextEnterName    = "Please enter a username:"
	TextShutdown     = "The server is shutting down."
	TextTooFast      = "You're sending too fast, slow down."
	TextTooLong      = "Message cannot exceed 450 characters."
	TextLoginTimeout = "Login timed out, goodbye."
	TextTooMany      = "Too many connections, please try again later."
	TextTooManyRooms = "There are too many rooms to create another, please use an existing one."
)

// DroppedText is the notice a slow reader gets in place of the n lines the
// engine had to drop from its full outbox.
func DroppedText(n int) string {
	return strconv.Itoa(n) + " lines were dropped because your connection is too slow."
}
