package pop3

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// pend is a command waiting for its reply.
type pend struct {
	cmd    string // upper case
	hasArg bool
}

// Analyzer is the POP3 analyzer of one connection; it implements
// proto.Analyzer, proto.Finisher and proto.Upgrader.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	// After an STLS answered by "+OK" the connection is handed over to
	// TLS ("ssl"), as Zeek's POP3 analyzer does (proto.Upgrader).
	proto.TLSHandover

	sides       [2]proto.LineBuffer
	pending     []pend // commands waiting for a reply
	multi       bool   // in the body of a multi-line reply
	authCont    bool   // an AUTH challenge was sent: client lines are SASL data
	proto.Named        // conn.log service, once confirmed
	tls         bool   // STLS was accepted

	// user is the last USER argument seen, commands the commands counted.
	user     string
	commands int

	// event, when set (tests), is told of each command and reply parsed.
	event func(ev string)

	now    int64 // the time of the data being parsed
	weirds proto.Weirds
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Finished implements proto.Finisher: after STLS nothing more is parsed.
func (a *Analyzer) Finished() bool { return a.tls }

// Gap implements proto.Analyzer: the partial line is dropped.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	a.sides[dir&1].Reset()
}

// End implements proto.Analyzer (POP3 writes no log).
func (a *Analyzer) End(ts int64) {}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	a.now = ts
	s := &a.sides[dir]
	total := len(data)
	a.Begin()
	for len(data) > 0 && !a.tls {
		if data = s.SkipLF(data); len(data) == 0 {
			break
		}
		line, _, rest, ok := s.Next(data, MaxLine)
		if !ok {
			return
		}
		data = rest
		if dir == proto.FromOrig {
			a.clientLine(line)
		} else {
			a.serverLine(line)
		}
		if a.tls {
			data = s.SkipLF(data)
			a.Start(total - len(data))
		}
	}
}

// clientCommands are the client commands of Zeek's POP3 analyzer.
var clientCommands = map[string]bool{
	"USER": true, "PASS": true, "APOP": true, "AUTH": true, "STAT": true, "LIST": true, "RETR": true,
	"DELE": true, "RSET": true, "NOOP": true, "LAST": true, "QUIT": true, "TOP": true, "CAPA": true,
	"UIDL": true, "STLS": true, "XSENDER": true,
}

// commandWord is the command a line's first token names as Zeek's
// ParseCmd reads it: one leading '+' or '-' dropped, in upper case.
func commandWord(tok []byte) string {
	if len(tok) > 0 && (tok[0] == '+' || tok[0] == '-') {
		tok = tok[1:]
	}
	return upper(tok)
}

// bytesIndexSpace returns the index of b's first space, or len(b).
func bytesIndexSpace(b []byte) int {
	for i, c := range b {
		if c == ' ' {
			return i
		}
	}
	return len(b)
}

// weird logs one of Zeek's POP3 weirds for the connection.
func (a *Analyzer) weird(name, addl string) {
	a.weirds.Log(a.out, a.now, a.ci, name, addl, "POP3")
}

func (a *Analyzer) emit(ev string) {
	if a.event != nil {
		a.event(ev)
	}
}

// clientLine handles one line from the client.
func (a *Analyzer) clientLine(line []byte) {
	if a.authCont {
		// A SASL response (or "*" to cancel); the reply to AUTH follows.
		a.emit("C sasl")
		return
	}
	i := 0
	for i < len(line) && line[i] != ' ' {
		i++
	}
	if i == 0 {
		return
	}
	cmd := upper(line[:i])
	switch word := commandWord(line[:i]); {
	case word == "OK" || word == "ERR":
		a.weird("pop3_client_sending_server_commands", "")
	case !clientCommands[word]:
		a.weird("pop3_client_command_unknown", string(line[:i]))
	}
	arg := ""
	if i < len(line) {
		arg = string(line[i+1:])
	}
	if len(a.pending) < MaxPendingCmds {
		a.pending = append(a.pending, pend{cmd, len(arg) > 0})
	}
	a.commands++
	if cmd == "USER" {
		a.user = arg
	}
	a.emit("C " + cmd)
}

// multiLine says whether a "+OK" to cmd (sent with an argument or not) is
// followed by lines up to ".".
func multiLine(cmd string, hasArg bool) bool {
	switch cmd {
	case "CAPA", "RETR", "TOP":
		return true
	case "LIST", "UIDL":
		return !hasArg
	}
	return false
}

// serverLine handles one line from the server.
func (a *Analyzer) serverLine(line []byte) {
	if a.multi {
		if len(line) == 1 && line[0] == '.' {
			a.multi = false
			a.emit("S .")
		}
		return
	}
	if len(line) >= 1 && line[0] == '+' && (len(line) == 1 || line[1] == ' ') {
		// An AUTH challenge.
		if len(a.pending) > 0 && a.pending[0].cmd == "AUTH" {
			a.authCont = true
			a.emit("S +")
		} else {
			a.weird("pop3_server_command_unknown", "+")
		}
		return
	}
	ok := len(line) >= 3 && upper(line[:3]) == "+OK"
	bad := len(line) >= 4 && upper(line[:4]) == "-ERR"
	if !ok && !bad {
		tok := line[:bytesIndexSpace(line)]
		switch word := commandWord(tok); {
		case a.authCont:
		case clientCommands[word]:
			a.weird("pop3_server_sending_client_commands", "")
		case word != "OK" && word != "ERR":
			a.weird("pop3_server_command_unknown", string(tok))
		}
		a.emit("S ?")
		return
	}
	var p pend
	if len(a.pending) > 0 {
		p = a.pending[0]
		a.pending = a.pending[1:]
	}
	cmd := p.cmd
	a.authCont = false
	if !ok {
		a.emit("S -ERR " + cmd)
		return
	}
	a.emit("S +OK " + cmd)
	if multiLine(cmd, p.hasArg) {
		a.multi = true
	}
	switch cmd {
	case "USER", "CAPA":
		a.Confirm("pop3")
	case "STLS":
		a.Confirm("pop3")
		a.tls = true
		a.emit("TLS")
	}
}
