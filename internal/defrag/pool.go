package defrag

// classes are the buffer sizes handed out; a request takes the smallest
// class that fits it. 1536 and 9216 fit Ethernet and jumbo-frame fragments.
var classes = [...]int{64, 128, 256, 512, 1024, 1536, 2048, 4096, 9216, 16384, 32768, 65536, 131072}

// classOf returns the index of the smallest class holding n bytes, or -1.
func classOf(n int) int {
	for i, c := range classes {
		if n <= c {
			return i
		}
	}
	return -1
}

// chargeFor is the capacity a buffer of n bytes takes.
func chargeFor(n int) int {
	if i := classOf(n); i >= 0 {
		return classes[i]
	}
	return n
}

// bufPool keeps freed buffers per size class for reuse, at most limit bytes
// in all.
type bufPool struct {
	free  [len(classes)][][]byte
	bytes int // capacity held in free lists
	limit int
}

// get returns a buffer of length n and capacity chargeFor(n).
func (p *bufPool) get(n int) []byte {
	i := classOf(n)
	if i < 0 {
		return make([]byte, n)
	}
	if l := len(p.free[i]); l > 0 {
		b := p.free[i][l-1]
		p.free[i][l-1] = nil
		p.free[i] = p.free[i][:l-1]
		p.bytes -= cap(b)
		return b[:n]
	}
	return make([]byte, n, classes[i])
}

// put returns b for reuse; b must not be used afterwards.
func (p *bufPool) put(b []byte) {
	c := cap(b)
	i := classOf(c)
	if i < 0 || classes[i] != c || p.bytes+c > p.limit {
		return
	}
	p.free[i] = append(p.free[i], b[:0])
	p.bytes += c
}
