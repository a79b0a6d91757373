package lab

import "time"

// The dga scenario's domain generation algorithm, written for the lab (it
// is none of the malware families of the DGA detector's test corpus, and
// not one of the generators its model was trained with): the UTC date
// seeds a 32-bit xorshift generator (Marsaglia's 13/17/5), whose outputs
// make each day's names in turn — 12 to 18 letters, each taken from bits
// 8–15 of an output modulo 26, and one of three top-level domains. The
// day's list is long; the C2's operator registers one name of it (the
// lab's resolver answers that one), and the bot looks the names up in
// order until one answers.
const (
	// dgaPerDay is how many names the algorithm makes a day.
	dgaPerDay = 1000
	// dgaRegistered is the index of the day's name the operator
	// registered: the bot looks up this many unanswered names first.
	dgaRegistered = 240
)

var dgaTLDs = []string{"com", "net", "info"}

// dgaNames returns the first n names of day's list.
func dgaNames(day time.Time, n int) []string {
	y, m, d := day.UTC().Date()
	x := uint32(y)*10000 + uint32(m)*100 + uint32(d)
	x ^= 0x9e3779b9 // a seed of zero would stay zero
	next := func() uint32 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return x
	}
	out := make([]string, 0, n)
	for range n {
		b := make([]byte, 12+next()%7)
		for i := range b {
			b[i] = byte('a' + (next()>>8&0xff)%26)
		}
		out = append(out, string(b)+"."+dgaTLDs[next()%uint32(len(dgaTLDs))])
	}
	return out
}

// dgaC2Names are the names of the C2 the resolver answers: the registered
// name of day's list and of the next day's (an operator registers ahead,
// and a run may cross midnight between the resolver's start and the
// attack).
func dgaC2Names(day time.Time) []string {
	var out []string
	for _, t := range []time.Time{day, day.Add(24 * time.Hour)} {
		out = append(out, dgaNames(t, dgaRegistered+1)[dgaRegistered])
	}
	return out
}
