package scan

// idleOrder keeps one tier's records (its sources, or its slow records) in
// the order they were last active, the idlest at the front, so that evict
// takes them from there. A flood of spoofed sources fills the budget again
// and again; finding the idlest by a pass over every record each time, a
// pointer chase per record, cost more than the rest of the detector did.
// The order is that of the records' activity as it reached the detector,
// which is their Last's order but for records that come late.
type idleOrder[T any, P interface {
	*T
	link() *idleLink[T]
}] struct {
	front, back *T
}

// idleLink is a record's place in its tier's idleOrder.
type idleLink[T any] struct{ prev, next *T }

// touch moves x to the back (it was just active), adding it when it is
// not in the order.
func (o *idleOrder[T, P]) touch(x *T) {
	if o.back == x {
		return
	}
	o.remove(x)
	l := P(x).link()
	l.prev = o.back
	if o.back != nil {
		P(o.back).link().next = x
	} else {
		o.front = x
	}
	o.back = x
}

// remove takes x out of the order; a record not in it is left as it is.
func (o *idleOrder[T, P]) remove(x *T) {
	l := P(x).link()
	switch {
	case l.prev != nil:
		P(l.prev).link().next = l.next
	case o.front == x:
		o.front = l.next
	default:
		return // not in the order
	}
	if l.next != nil {
		P(l.next).link().prev = l.prev
	} else {
		o.back = l.prev
	}
	l.prev, l.next = nil, nil
}

func (s *source) link() *idleLink[source]          { return &s.idle }
func (sl *slowSource) link() *idleLink[slowSource] { return &sl.idle }
