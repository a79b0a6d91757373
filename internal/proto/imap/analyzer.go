package imap

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

type side struct {
	line   []byte
	skipLF bool
	lit    uint64 // literal bytes still to skip
	cont   bool   // the next line continues a command or response after a literal
	long   bool   // the line in progress was cut at MaxLine
}

// Analyzer is the IMAP analyzer of one connection; it implements
// proto.Analyzer, proto.Finisher and proto.Upgrader.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	sides       [2]side
	starttlsTag string // tag of the STARTTLS waiting for its answer
	hasStartTLS bool
	confirmed   bool
	tls         bool
	tlsAt       int  // bytes of the last Data call parsed before TLS began
	handedTLS   bool // Upgrade reported the hand-over

	// event, when set (tests), is told of each command and response parsed.
	event func(ev string)
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Service implements proto.Analyzer.
func (a *Analyzer) Service() string {
	if a.confirmed {
		return "imap"
	}
	return ""
}

// Finished implements proto.Finisher: after STARTTLS nothing more is
// parsed.
func (a *Analyzer) Finished() bool { return a.tls }

// Upgrade implements proto.Upgrader: after a STARTTLS answered by
// "<tag> OK" the connection is handed over to TLS ("ssl"), as Zeek's IMAP
// analyzer does; consumed is how much of the last Data call was IMAP.
func (a *Analyzer) Upgrade() (next string, consumed int, ok bool) {
	if !a.tls || a.handedTLS {
		return "", 0, false
	}
	a.handedTLS = true
	return "ssl", a.tlsAt, true
}

// Gap implements proto.Analyzer: the partial line is dropped, a literal in
// progress shrinks by the bytes missed.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	s := &a.sides[dir&1]
	s.line = s.line[:0]
	s.long = false
	if s.lit > 0 && n > 0 {
		if uint64(n) >= s.lit {
			s.lit = 0
		} else {
			s.lit -= uint64(n)
		}
	}
}

// End implements proto.Analyzer (IMAP writes no log).
func (a *Analyzer) End(ts int64) {}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	s := &a.sides[dir]
	total := len(data)
	a.tlsAt = 0
	for len(data) > 0 && !a.tls {
		if s.skipLF {
			s.skipLF = false
			if data[0] == '\n' {
				data = data[1:]
				continue
			}
		}
		if s.lit > 0 {
			n := uint64(len(data))
			if n > s.lit {
				n = s.lit
			}
			s.lit -= n
			data = data[n:]
			continue
		}
		i := 0
		for i < len(data) && data[i] != '\n' && data[i] != '\r' {
			i++
		}
		room := MaxLine - len(s.line)
		if room > 0 {
			s.line = append(s.line, data[:min(i, room)]...)
		}
		if i > room {
			s.long = true
		}
		if i == len(data) {
			return
		}
		if data[i] == '\r' {
			s.skipLF = true
		}
		data = data[i+1:]
		line, cont, long := s.line, s.cont, s.long
		s.line = s.line[:0]
		s.long = false
		s.cont = false
		if !long {
			if n, ok := literal(line); ok {
				s.lit = n // it starts after the line's CRLF
				s.cont = true
			}
		}
		if !cont {
			if dir == proto.FromOrig {
				a.clientLine(line)
			} else {
				a.serverLine(line)
			}
		}
		if a.tls {
			if s.skipLF && len(data) > 0 && data[0] == '\n' {
				s.skipLF = false
				data = data[1:]
			}
			a.tlsAt = total - len(data)
		}
	}
}

// literal reports whether line ends in a literal's announcement ("{N}"
// or the non-synchronizing "{N+}") and its size (at most MaxLiteral).
func literal(line []byte) (uint64, bool) {
	n := len(line)
	if n < 3 || line[n-1] != '}' {
		return 0, false
	}
	end := n - 1
	if line[end-1] == '+' {
		end--
	}
	i := end
	for i > 0 && line[i-1] >= '0' && line[i-1] <= '9' {
		i--
	}
	if i == end || i == 0 || line[i-1] != '{' || end-i > 13 {
		return 0, false
	}
	var v uint64
	for _, c := range line[i:end] {
		v = v*10 + uint64(c-'0')
	}
	return min(v, MaxLiteral), true
}

func (a *Analyzer) emit(ev string) {
	if a.event != nil {
		a.event(ev)
	}
}

// clientLine handles the first line of a client command.
func (a *Analyzer) clientLine(line []byte) {
	tag, cmd, _ := split(line)
	if !validTag(tag) || cmd == "" {
		return
	}
	a.emit("C " + string(tag) + " " + cmd)
	switch cmd {
	case "CAPABILITY":
		a.confirmed = true
	case "STARTTLS":
		a.confirmed = true
		a.starttlsTag = string(tag)
		a.hasStartTLS = true
	}
}

// serverLine handles the first line of a server response.
func (a *Analyzer) serverLine(line []byte) {
	tag, status, _ := split(line)
	if len(tag) == 0 {
		return
	}
	if string(tag) == "+" {
		a.emit("S +")
		return
	}
	if status == "" {
		return
	}
	a.emit("S " + string(tag) + " " + status)
	if string(tag) == "*" {
		if status == "OK" {
			a.confirmed = true
		}
		return
	}
	if a.hasStartTLS && string(tag) == a.starttlsTag {
		a.hasStartTLS = false
		if status == "OK" {
			a.tls = true
			a.emit("TLS")
		}
	}
}
