package bench

// The order check: every reader of a room must see the room's lines in
// one order, the same for all of them, whichever node each is logged in
// through (not only each sender's lines in the order it sent them: the
// lines of different senders too). Each receiver logs the lines it gets,
// at their first arrival, as 4-byte keys (ledger.saw). At the end one
// receiver of each room is the reference: a line's place is its index in
// the reference's log, and in every other receiver's log the places must
// rise. A fall is an order violation: that receiver got a line before one
// the reference got before it. A line the reference never got has no
// place and is counted apart (the reference's loss is already in
// Missing); a line the receiver never got is simply absent from its log.

// lineRef names one line: its sender's slot and its number.
type lineRef struct{ Sender, Seq int }

// orderViolation is the first fall the check found: receiver got After
// right after Before, which the reference got in the other order.
type orderViolation struct {
	Receiver, Reference int // indexes into ledger.recv
	Before, After       lineRef
}

// orderTally is the outcome of the order check.
type orderTally struct {
	Checked      int64 // deliveries placed and compared (the references' own included)
	Violations   int64 // falls: a line got before one that came earlier at the reference
	NotInRef     int64 // deliveries of lines the room's reference never got
	Unchecked    int64 // deliveries past a receiver's log bound, not checked
	First        *orderViolation
	roomsChecked int
}

// order runs the order check over every room. Call it once the readers
// are done.
func (l *ledger) order() orderTally {
	var t orderTally
	byRoom := make([][]int, len(l.readers))
	for i, r := range l.recv {
		t.Unchecked += r.unordered
		byRoom[r.room] = append(byRoom[r.room], i)
	}
	var place []uint32 // reused: key -> index in the reference's log + 1, 0 if absent
	for room, recvs := range byRoom {
		if len(recvs) < 2 {
			continue
		}
		ref := l.reference(recvs)
		place = placesOf(place, l.recv[ref].order)
		t.Checked += int64(len(l.recv[ref].order))
		t.roomsChecked++
		for _, i := range recvs {
			if i == ref {
				continue
			}
			checked, falls, absent, at := fallsIn(l.recv[i].order, place)
			t.Checked += checked
			t.Violations += falls
			t.NotInRef += absent
			if falls > 0 && t.First == nil {
				log := l.recv[i].order
				t.First = &orderViolation{Receiver: i, Reference: ref,
					Before: l.lineOf(room, log[at[0]]), After: l.lineOf(room, log[at[1]])}
			}
		}
	}
	return t
}

// reference picks a room's reference among its receivers: one that does
// not send, so that it gets every sender's lines, with the longest log.
func (l *ledger) reference(recvs []int) int {
	best := -1
	for _, i := range recvs {
		r := l.recv[i]
		if best < 0 {
			best = i
			continue
		}
		b := l.recv[best]
		if (r.self < 0) != (b.self < 0) {
			if r.self < 0 {
				best = i
			}
			continue
		}
		if len(r.order) > len(b.order) {
			best = i
		}
	}
	return best
}

// lineOf decodes a key of room's order log.
func (l *ledger) lineOf(room int, key uint32) lineRef {
	n := uint32(len(l.roomSenders[room]))
	return lineRef{Sender: l.roomSenders[room][key%n], Seq: int(key / n)}
}

// placesOf fills place (grown as needed, cleared) so that place[key] is
// key's index in log plus one, 0 for a key not in log.
func placesOf(place []uint32, log []uint32) []uint32 {
	var top uint32
	for _, k := range log {
		top = max(top, k+1)
	}
	if uint32(cap(place)) < top {
		place = make([]uint32, top)
	} else {
		place = place[:top]
		clear(place)
	}
	for i, k := range log {
		place[k] = uint32(i) + 1
	}
	return place
}

// fallsIn walks log against the reference's places: it returns how many
// of its keys had a place, how many times a place was below the one
// before it, how many keys had none, and, for the first fall, the
// indexes in log of the two keys.
func fallsIn(log, place []uint32) (checked, falls, absent int64, first [2]int) {
	var last uint32
	lastAt := -1
	for i, k := range log {
		var p uint32
		if int(k) < len(place) {
			p = place[k]
		}
		if p == 0 {
			absent++
			continue
		}
		checked++
		if p < last {
			if falls == 0 {
				first = [2]int{lastAt, i}
			}
			falls++
		}
		last, lastAt = p, i
	}
	return checked, falls, absent, first
}
