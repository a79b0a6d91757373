package imap

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

type side struct {
	proto.LineBuffer
	lit  uint64 // literal bytes still to skip
	cont bool   // the next line continues a command or response after a literal
}

// Analyzer is the IMAP analyzer of one connection; it implements
// proto.Analyzer, proto.Finisher and proto.Upgrader.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	// After a STARTTLS answered by "<tag> OK" the connection is handed
	// over to TLS ("ssl"), as Zeek's IMAP analyzer does (proto.Upgrader).
	proto.TLSHandover

	sides       [2]side
	starttlsTag string // tag of the STARTTLS waiting for its answer
	hasStartTLS bool
	proto.Named      // conn.log service, once confirmed
	tls         bool // STARTTLS was accepted

	// event, when set (tests), is told of each command and response parsed.
	event func(ev string)
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Finished implements proto.Finisher: after STARTTLS nothing more is
// parsed.
func (a *Analyzer) Finished() bool { return a.tls }

// Gap implements proto.Analyzer: the partial line is dropped, a literal in
// progress shrinks by the bytes missed.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	s := &a.sides[dir&1]
	s.Reset()
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
	a.Begin()
	for len(data) > 0 && !a.tls {
		if data = s.SkipLF(data); len(data) == 0 {
			break
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
		line, long, rest, ok := s.Next(data, MaxLine)
		if !ok {
			return
		}
		data = rest
		cont := s.cont
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
			data = s.SkipLF(data)
			a.Start(total - len(data))
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
		a.Confirm("imap")
	case "STARTTLS":
		a.Confirm("imap")
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
			a.Confirm("imap")
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
