package chat

import (
	"errors"
	"fmt"
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
	ErrNotMuted     = errors.New("not muted")
	ErrRoomInvalid  = errors.New("invalid room name")
	ErrStore        = errors.New("store failed")
	ErrTooManyRooms = errors.New("too many rooms")
	ErrIsAdmin      = errors.New("is an admin of the room")
	ErrRoomsTooFast = errors.New("too many rooms created lately")
	ErrTooManyNames = errors.New("ssh key owns too many names")
	ErrBanned       = errors.New("banned from that room")
	// Room rights (rights.go).
	ErrNotAdmin     = errors.New("not an admin of the room")
	ErrIsCreator    = errors.New("is the creator of the room")
	ErrNotLocked    = errors.New("room is not invite-only")
	ErrInviteOnly   = errors.New("room is invite-only")
	ErrOpenRoom     = errors.New("room is open to everyone: it cannot be locked, nor anyone banned or kicked from it")
	ErrTopicTooLong = errors.New("topic too long")
	// ErrRoomRecordsFull refuses a new ban, mute, admin or invitation in
	// a room that holds MaxRoomRecords of that kind already.
	ErrRoomRecordsFull = errors.New("too many of that kind kept for the room")
	// ErrRoomExists is what a Store's CreateRoom wraps when it holds a
	// room of that folded name already.
	ErrRoomExists = errors.New("room exists in the store")
	// ErrCutOff is what a ClusterLines' Publish wraps when it refused a
	// user's line, never handed to the cluster, because the node
	// is cut off from it (reconnecting): the line is not stored anywhere.
	ErrCutOff = errors.New("cut off from the rest of the server")
)

// TooManyNamesError refuses a login that would bind a new name to an SSH
// key that owns Max names already. It wraps ErrTooManyNames.
type TooManyNamesError struct{ Max int }

func (e *TooManyNamesError) Error() string {
	return fmt.Sprintf("%v (%d)", ErrTooManyNames, e.Max)
}

// Unwrap returns ErrTooManyNames.
func (e *TooManyNamesError) Unwrap() error { return ErrTooManyNames }

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
	case errors.Is(err, ErrTooManyNames):
		n := 0
		if e, ok := errors.AsType[*TooManyNamesError](err); ok {
			n = e.Max
		}
		return "Your SSH key already owns " + strconv.Itoa(n) + " names, please log in with one of them."
	case errors.Is(err, ErrShutdown):
		return TextShutdown
	case errors.Is(err, ErrServerBanned):
		return TextServerBanned
	case errors.Is(err, ErrWrongPassword):
		return TextWrongPassword
	case errors.Is(err, ErrReplaced):
		return TextReplaced
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
	TextRoomsTooFast = "You've created too many rooms lately, please use an existing one."
	TextRoomInvalid  = "Room names may only use letters, digits, '-', '_' and '.' (at most 32)."
	// TextNotDelivered: a cluster's node could not get a message
	// confirmed (cluster.go, sayShared).
	TextNotDelivered = "Your message could not be delivered; please try again."
	// TextNotSent: a message said while the node is cut off from the
	// rest of the server (ErrCutOff): refused at once, sent nowhere.
	TextNotSent = "Your message was not sent: the connection to the rest of the server is lost; please try again once reconnected."
)

// DroppedText is the notice a slow reader gets in place of the n lines the
// engine had to drop from its full outbox.
func DroppedText(n int) string {
	return strconv.Itoa(n) + " lines were dropped because your connection is too slow."
}
