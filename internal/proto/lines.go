package proto

// LineBuffer assembles the lines of one direction of a text protocol
// across Data calls. Bounds: a line keeps at most the max bytes its caller
// passes (the rest of the line is dropped and reported as long); nothing
// else is buffered. The zero value is ready to use.
type LineBuffer struct {
	line   []byte
	skipLF bool // the last line ended in CR: a LF right after belongs to it
	long   bool // the line in progress was cut at max
}

// Len is the number of bytes kept of the line in progress.
func (b *LineBuffer) Len() int { return len(b.line) }

// Pending is the part of the line in progress kept so far; it is valid
// until the next call on b.
func (b *LineBuffer) Pending() []byte { return b.line }

// Reset drops the line in progress (after a gap).
func (b *LineBuffer) Reset() {
	b.line = b.line[:0]
	b.long = false
}

// Release drops the line in progress and its memory.
func (b *LineBuffer) Release() {
	b.line = nil
	b.long = false
}

// SkipLF drops the LF that completes a CRLF split across calls, when data
// starts with it, and returns the rest of data. A line ends at CR, at LF
// or at CRLF.
func (b *LineBuffer) SkipLF(data []byte) []byte {
	if b.skipLF && len(data) > 0 {
		b.skipLF = false
		if data[0] == '\n' {
			return data[1:]
		}
	}
	return data
}

// Next adds the bytes of data up to the first CR or LF to the line in
// progress, keeping at most max bytes of it. When data holds a line end
// it returns the line (valid until the next call on b), whether bytes of it
// were dropped, and the bytes after the CR or LF (a LF after a CR is
// dropped by the next SkipLF); else ok is false and all of data was used.
func (b *LineBuffer) Next(data []byte, max int) (line []byte, long bool, rest []byte, ok bool) {
	i := 0
	for i < len(data) && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	b.add(data[:i], max)
	if i == len(data) {
		return nil, false, nil, false
	}
	if data[i] == '\r' {
		b.skipLF = true
	}
	line, long = b.line, b.long
	b.Reset()
	return line, long, data[i+1:], true
}

// NextLF is Next for protocols whose lines end at LF only: a CR before
// the LF is dropped from the line (when it was kept).
func (b *LineBuffer) NextLF(data []byte, max int) (line []byte, rest []byte, ok bool) {
	i := 0
	for i < len(data) && data[i] != '\n' {
		i++
	}
	b.add(data[:i], max)
	if i == len(data) {
		return nil, nil, false
	}
	line = b.line
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	b.Reset()
	return line, data[i+1:], true
}

func (b *LineBuffer) add(p []byte, max int) {
	room := max - len(b.line)
	if room > 0 {
		b.line = append(b.line, p[:min(len(p), room)]...)
	}
	if len(p) > room {
		b.long = true
	}
}

// TLSHandover is the hand-over to TLS of a text protocol with STARTTLS
// (or FTP's AUTH TLS); embedded in an analyzer it implements Upgrader.
// The analyzer calls Begin at the start of each Data call and Start once
// its protocol agreed to TLS, with how much of that Data call it parsed.
type TLSHandover struct {
	started bool
	at      int  // bytes of the last Data call parsed before TLS began
	handed  bool // Upgrade reported the hand-over
}

// Begin is called at the start of each Data call.
func (h *TLSHandover) Begin() { h.at = 0 }

// Start records that TLS begins after the first consumed bytes of the
// current Data call.
func (h *TLSHandover) Start(consumed int) {
	h.started = true
	h.at = consumed
}

// Upgrade implements Upgrader: once TLS started, the connection is handed
// over to TLS ("ssl"), once; consumed is how much of the last Data call was
// the text protocol.
func (h *TLSHandover) Upgrade() (next string, consumed int, ok bool) {
	if !h.started || h.handed {
		return "", 0, false
	}
	h.handed = true
	return "ssl", h.at, true
}
