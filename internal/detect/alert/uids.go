package alert

import (
	"slices"
	"sort"
)

// UIDs keeps the uids of the MaxUIDs earliest connections behind an alert
// (by time, then uid), each once: the same list whatever order the
// records come in (with several workers they come in no fixed order).
type UIDs struct {
	list []stampedUID
	// long holds, beside list (long[i] for list[i]), the uids longer
	// than shortUID, "" for the others; nil while list has none.
	long []string
}

// stampedUID is a uid kept with its time. A uid of at most shortUID bytes
// (Vigil's have 12 at most) is kept in the entry itself: copied, not
// allocated one by one; a longer one is UIDs.long's.
type stampedUID struct {
	ts    float64
	short [shortUID]byte
	n     uint8 // bytes of short in use; 0 for a long uid
}

// shortUID is the longest uid a stampedUID holds in place: with its
// length and time, an entry takes 24 bytes, as a string and a time do.
const shortUID = 15

// Add offers the connection uid seen at ts; "" is ignored. It allocates
// only when the list grows (twice at most: grow) or keeps a uid longer
// than shortUID.
func (u *UIDs) Add(ts float64, uid []byte) {
	if len(uid) == 0 {
		return
	}
	if len(u.list) == MaxUIDs && !u.before(ts, uid, MaxUIDs-1) {
		return
	}
	for i := range u.list {
		if u.is(i, uid) {
			return
		}
	}
	i := len(u.list)
	if i > 0 && u.before(ts, uid, i-1) {
		// Out of order (several workers): find its place.
		i = sort.Search(i, func(j int) bool { return u.before(ts, uid, j) })
	}
	if len(u.list) == MaxUIDs {
		u.list = u.list[:MaxUIDs-1]
		if u.long != nil {
			u.long = u.long[:MaxUIDs-1]
		}
	}
	u.insert(i, ts, uid)
}

// insert puts uid, seen at ts, at list[i].
func (u *UIDs) insert(i int, ts float64, uid []byte) {
	s := stampedUID{ts: ts}
	if len(uid) <= shortUID {
		s.n = uint8(copy(s.short[:], uid))
	} else if u.long == nil {
		u.long = make([]string, len(u.list), MaxUIDs)
	}
	if u.long != nil {
		long := ""
		if s.n == 0 {
			long = string(uid)
		}
		u.long = slices.Insert(u.long, i, long)
	}
	u.grow()
	u.list = slices.Insert(u.list, i, s)
}

// is reports whether the uid at i is uid.
func (u *UIDs) is(i int, uid []byte) bool {
	if s := &u.list[i]; s.n > 0 {
		return string(uid) == string(s.short[:s.n])
	}
	return string(uid) == u.long[i]
}

// before reports whether (ts, uid) sorts before the uid at i.
func (u *UIDs) before(ts float64, uid []byte, i int) bool {
	s := &u.list[i]
	switch {
	case ts != s.ts:
		return ts < s.ts
	case s.n > 0:
		return string(uid) < string(s.short[:s.n])
	}
	return string(uid) < u.long[i]
}

// uid returns the uid at i as a string.
func (u *UIDs) uid(i int) string {
	if s := &u.list[i]; s.n > 0 {
		return string(s.short[:s.n])
	}
	return u.long[i]
}

// firstUIDs is the capacity of a list's first allocation: most alerts'
// states see a few connections; the second allocation holds MaxUIDs.
const firstUIDs = 4

// grow makes room for one more uid: firstUIDs at first, then MaxUIDs, so
// that a list is allocated at most twice rather than once per doubling.
func (u *UIDs) grow() {
	if len(u.list) < cap(u.list) {
		return
	}
	n := firstUIDs
	if cap(u.list) > 0 {
		n = MaxUIDs
	}
	u.list = append(make([]stampedUID, 0, n), u.list...)
}

// Reset empties the list and keeps its memory for the uids to come (a
// detector that starts a thing's next episode in the same state).
func (u *UIDs) Reset() {
	clear(u.long)
	u.list, u.long = u.list[:0], u.long[:0]
}

// Len returns the number of uids kept.
func (u *UIDs) Len() int { return len(u.list) }

// List returns the uids kept, earliest first.
func (u *UIDs) List() []string {
	out := make([]string, len(u.list))
	for i := range u.list {
		out[i] = u.uid(i)
	}
	return out
}

// Merge offers every uid of o.
func (u *UIDs) Merge(o *UIDs) {
	for i := range o.list {
		if s := &o.list[i]; s.n > 0 {
			u.Add(s.ts, s.short[:s.n])
		} else {
			u.Add(s.ts, []byte(o.long[i]))
		}
	}
}

// Each calls fn with every uid kept and the time it was offered with,
// earliest first (a detector's state file keeps them; Add restores them).
func (u *UIDs) Each(fn func(ts float64, uid string)) {
	for i := range u.list {
		fn(u.list[i].ts, u.uid(i))
	}
}
