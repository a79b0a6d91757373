package alert

import "slices"

// UIDs keeps the uids of the MaxUIDs earliest connections behind an alert
// (by time, then uid), each once: the same list whatever order the
// records come in (with several workers they come in no fixed order).
type UIDs struct {
	list []stampedUID
}

type stampedUID struct {
	ts  float64
	uid string
}

// Add offers the connection uid seen at ts; "" is ignored. It allocates
// only when the uid is kept.
func (u *UIDs) Add(ts float64, uid []byte) {
	if len(uid) == 0 {
		return
	}
	if len(u.list) == MaxUIDs && !before(ts, uid, u.list[MaxUIDs-1]) {
		return
	}
	for _, s := range u.list {
		if s.uid == string(uid) {
			return
		}
	}
	i := len(u.list)
	if i > 0 && before(ts, uid, u.list[i-1]) {
		// Out of order (several workers): find its place.
		i, _ = slices.BinarySearchFunc(u.list, stampedUID{}, func(s, _ stampedUID) int {
			if before(ts, uid, s) {
				return 1
			}
			return -1
		})
	}
	if len(u.list) == MaxUIDs {
		u.list = u.list[:MaxUIDs-1]
	}
	u.grow()
	u.list = slices.Insert(u.list, i, stampedUID{ts, string(uid)})
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

// before reports whether (ts, uid) sorts before s.
func before(ts float64, uid []byte, s stampedUID) bool {
	if ts != s.ts {
		return ts < s.ts
	}
	return string(uid) < s.uid
}

// Len returns the number of uids kept.
func (u *UIDs) Len() int { return len(u.list) }

// List returns the uids kept, earliest first.
func (u *UIDs) List() []string {
	out := make([]string, len(u.list))
	for i, s := range u.list {
		out[i] = s.uid
	}
	return out
}

// Merge offers every uid of o.
func (u *UIDs) Merge(o *UIDs) {
	for _, s := range o.list {
		u.Add(s.ts, []byte(s.uid))
	}
}

// Each calls fn with every uid kept and the time it was offered with,
// earliest first (a detector's state file keeps them; Add restores them).
func (u *UIDs) Each(fn func(ts float64, uid string)) {
	for _, s := range u.list {
		fn(s.ts, s.uid)
	}
}
