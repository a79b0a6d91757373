package dnstunnel

// inlineKeys is how many keys a counts holds without a map: most parent
// domains are asked by a client or two, of a resolver or two, in a query
// type or two.
const inlineKeys = 4

// counts counts records by key (a domain's clients, servers, query
// types), up to a bound on the distinct keys. The first inlineKeys keys
// are held in place and a map is made only for more: a domain's state
// then costs no map per field, and a record of a known key no hashing.
type counts[K comparable] struct {
	keys [inlineKeys]K
	n    [inlineKeys]int
	used int       // keys in use in keys
	rest map[K]int // the keys past inlineKeys
	most int       // the largest count
}

// add counts one record of k when k is counted already or fewer than
// limit keys are.
func (c *counts[K]) add(k K, limit int) {
	for i := range c.used {
		if c.keys[i] == k {
			c.n[i]++
			c.most = max(c.most, c.n[i])
			return
		}
	}
	switch {
	case c.len() >= limit:
		if n, ok := c.rest[k]; ok {
			c.rest[k] = n + 1
			c.most = max(c.most, n+1)
		}
	case c.used < inlineKeys:
		c.keys[c.used], c.n[c.used] = k, 1
		c.used++
		c.most = max(c.most, 1)
	default:
		if c.rest == nil {
			c.rest = map[K]int{}
		}
		n := c.rest[k] + 1
		c.rest[k] = n
		c.most = max(c.most, n)
	}
}

// len returns the number of distinct keys counted.
func (c *counts[K]) len() int { return c.used + len(c.rest) }

// asMap returns the counts as a map (for an alert).
func (c *counts[K]) asMap() map[K]int {
	m := make(map[K]int, c.len())
	for i := range c.used {
		m[c.keys[i]] = c.n[i]
	}
	for k, n := range c.rest {
		m[k] = n
	}
	return m
}
