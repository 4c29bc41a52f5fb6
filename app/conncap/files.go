package conncap

// File descriptors a server keeps for what is not a counted connection.
const (
	// Reserved is for the database (a writing and four reading
	// connections, each with its file, WAL and shared memory), the log,
	// the listeners, the data folder's lock, the poller and pprof.
	Reserved = 64
	// RefusingPerDoor is for a door's connections over the caps, open
	// just long enough to be told why they are refused.
	RefusingPerDoor = 64
)

// Headroom is how many file descriptors a server with doors doors keeps
// for what is not a counted connection.
func Headroom(doors int) int { return Reserved + doors*RefusingPerDoor }

// Fit returns the largest connection cap per door, at most want, that lets
// doors doors at their caps stay under openFiles file descriptors with
// Headroom(doors) to spare; at least 1. With no doors, or openFiles 0
// (no limit known), it returns want.
func Fit(openFiles uint64, doors, want int) int {
	if doors <= 0 || openFiles == 0 {
		return want
	}
	room := int64(openFiles) - int64(Headroom(doors))
	if openFiles > 1<<40 {
		room = 1 << 40 // unlimited in practice
	}
	return int(max(1, min(int64(want), room/int64(doors))))
}
