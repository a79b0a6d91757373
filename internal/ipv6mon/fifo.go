package ipv6mon

// stamp is a key and the time it was queued.
type stamp[K comparable] struct {
	key K
	ts  float64
}

// fifo queues keys in arrival order: the oldest is at the head, for
// expiry by age and for forgetting the oldest first when a table is full.
// Entries whose key has since been requeued or deleted are stale: their
// owner checks an entry against its table before acting on it.
type fifo[K comparable] struct {
	items []stamp[K]
	head  int
}

func (q *fifo[K]) len() int { return len(q.items) - q.head }

func (q *fifo[K]) push(key K, ts float64) { q.items = append(q.items, stamp[K]{key, ts}) }

// peek returns the head without removing it; ok is false when empty.
func (q *fifo[K]) peek() (s stamp[K], ok bool) {
	if q.len() == 0 {
		return s, false
	}
	return q.items[q.head], true
}

// pop removes and returns the head (the queue must not be empty). The
// slice is compacted once half of it is spent.
func (q *fifo[K]) pop() stamp[K] {
	s := q.items[q.head]
	q.items[q.head] = stamp[K]{}
	q.head++
	if q.head >= 64 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return s
}
