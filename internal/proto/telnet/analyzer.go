package telnet

import (
	"bytes"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// nvt strips telnet commands from one direction's bytes.
type nvt struct {
	st  uint8
	sbN int   // bytes skipped in the current subnegotiation
	cr  bool  // the last data byte was CR (a LF or NUL after it is part of the line end)
	esc uint8 // ANSI escape sequence state (see escape)
}

// nvt states.
const (
	nvtData = iota
	nvtIAC
	nvtOpt   // after WILL/WONT/DO/DONT: the option byte follows
	nvtSB    // inside IAC SB … IAC SE
	nvtSBIAC // IAC inside a subnegotiation
)

// Special values step returns besides data bytes.
const (
	tokNone = -1
	tokEC   = -2 // erase character
	tokEL   = -3 // erase line
)

// step feeds one byte; it returns the data byte (0–255), tokEC, tokEL or
// tokNone.
func (n *nvt) step(c byte) int {
	switch n.st {
	case nvtIAC:
		n.st = nvtData
		switch {
		case c == cmdIAC:
			return cmdIAC
		case c >= cmdWILL: // WILL, WONT, DO, DONT
			n.st = nvtOpt
		case c == cmdSB:
			n.st, n.sbN = nvtSB, 0
		case c == cmdEC:
			return tokEC
		case c == cmdEL:
			return tokEL
		}
		return tokNone
	case nvtOpt:
		n.st = nvtData
		return tokNone
	case nvtSB, nvtSBIAC:
		n.sbN++
		if n.sbN > MaxSubneg { // never closed: back to data
			n.st = nvtData
			return int(c)
		}
		if n.st == nvtSBIAC {
			n.st = nvtSB
			if c == cmdSE {
				n.st = nvtData
			}
			return tokNone
		}
		if c == cmdIAC {
			n.st = nvtSBIAC
		}
		return tokNone
	}
	if c == cmdIAC {
		n.st = nvtIAC
		return tokNone
	}
	return int(c)
}

// Dialogue states.
const (
	stIdle       = iota // waiting for a prompt
	stUser              // a login prompt is out: the next line is the user name
	stPassPrompt        // the user name was typed: waiting for the password prompt
	stPass              // a password prompt is out: the next line is the password
	stOutcome           // the password was typed: judging the server's answer
	stDone              // logged in, or given up
)

// Analyzer follows the login dialogue of one telnet connection; it
// implements proto.Analyzer and proto.Finisher.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	sides [2]nvt
	bytes int64 // both sides
	state uint8

	line      []byte   // the client's line in progress (≤ MaxField)
	typeahead [][]byte // lines typed before their prompt (≤ MaxTypeahead)

	sline   []byte // the server's line in progress, lower-cased (its last ≤ MaxLine bytes)
	handled int    // length of sline (trimmed) when its prompt was acted on; 0: none

	user, password []byte
	hasUser        bool

	// Judging an outcome.
	outBuf     []byte // server output after the password, lower-cased (≤ MaxOutput)
	outLines   int    // non-empty server lines after the password
	typedAfter int    // client lines after the password
	pending    bool   // a success is seen, decided when the client types again or at the end
	// noPass: the attempt judged is a login without a password (a shell
	// prompt came where the password prompt was awaited); it is only
	// decided by the client typing again, and a password prompt after
	// all makes it none.
	noPass     bool
	pendingTS  int64
	lastServer int64 // time of the server's last output

	attempts int
	buf      []byte
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Service implements proto.Analyzer: always "". Zeek attaches its Telnet
// analyzer to no port in its default scripts (its own tests register it
// for 23/tcp by hand) and the Login analyzer never confirms the protocol,
// so Zeek's conn.log has service "-" for telnet; Vigil matches it.
func (a *Analyzer) Service() string { return "" }

// Finished implements proto.Finisher: after a login, MaxAttempts attempts
// or MaxBytes bytes nothing more is learnt.
func (a *Analyzer) Finished() bool { return a.state == stDone }

// Gap implements proto.Analyzer: the dialogue cannot be followed across
// lost bytes; a success already seen is reported, the rest forgotten.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	if n <= 0 || a.state == stDone {
		return
	}
	a.finalize()
	a.sides[dir&1] = nvt{}
	a.line, a.sline, a.typeahead = a.line[:0], a.sline[:0], a.typeahead[:0]
	a.handled = 0
	if a.state != stDone {
		a.state = stIdle
	}
}

// End implements proto.Analyzer.
func (a *Analyzer) End(ts int64) {
	a.finalize()
}

// finalize decides an attempt being judged with what was seen.
func (a *Analyzer) finalize() {
	if a.state != stOutcome {
		return
	}
	a.judge(a.lastServer)
	if a.state == stOutcome && a.pending && !a.noPass {
		a.outcome(true, a.pendingTS)
	}
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	if a.state == stDone {
		return
	}
	a.bytes += int64(len(data))
	n := &a.sides[dir]
	if dir == proto.FromOrig {
		for _, c := range data {
			if t := n.step(c); t != tokNone {
				a.clientByte(n, t, ts)
			}
			if a.state == stDone {
				return
			}
		}
	} else {
		for _, c := range data {
			if t := n.step(c); t != tokNone {
				a.serverByte(n, t, ts)
			}
		}
		if len(data) > 0 {
			a.lastServer = ts
		}
		a.serverPause(ts)
	}
	if a.bytes > MaxBytes && a.state != stDone {
		a.finalize()
		a.state = stDone
	}
}

// clientByte handles one byte the client typed.
func (a *Analyzer) clientByte(n *nvt, t int, ts int64) {
	if n.cr {
		n.cr = false
		if t == '\n' || t == 0 {
			return
		}
	}
	switch {
	case t == '\r' || t == '\n':
		n.cr = t == '\r'
		a.typed()
		a.clientLine(ts)
		return
	case t == 0:
		return
	case t == tokEC || t == 0x08 || t == 0x7f:
		if k := len(a.line); k > 0 {
			a.line = a.line[:k-1]
		}
	case t == tokEL || t == 0x15:
		a.line = a.line[:0]
	case n.esc != 0:
		n.esc = escape(n.esc, byte(t))
		return
	case t == 0x1b:
		n.esc = 1
		return
	case t < 0x20 && t != '\t':
		return
	default:
		if len(a.line) < MaxField {
			a.line = append(a.line, byte(t))
		}
	}
	a.typed()
}

// escape advances an ANSI escape sequence (ESC, then '[' and parameters up
// to a final byte 0x40–0x7e, or one byte after ESC); 0 when it is over.
func escape(st uint8, c byte) uint8 {
	switch {
	case st == 1 && c == '[':
		return 2
	case st == 1:
		return 0
	case c >= 0x40 && c <= 0x7e:
		return 0
	case st >= 16: // bounded: an endless sequence is given up
		return 0
	}
	return st + 1
}

// typed: the client typed something while an attempt is judged: a
// success already seen is decided (the server had finished its answer).
func (a *Analyzer) typed() {
	if a.state == stOutcome && a.pending {
		a.outcome(true, a.pendingTS)
	}
}

// clientLine handles a line the client completed.
func (a *Analyzer) clientLine(ts int64) {
	line := a.line
	a.line = a.line[:0]
	switch a.state {
	case stUser:
		a.takeUser(line)
	case stPass:
		a.takePassword(line)
	case stOutcome:
		// Commands after a login, or the next user name and password
		// typed ahead of a refusal: kept until the outcome says which.
		a.typeAhead(line)
		a.typedAfter++
		if a.typedAfter >= 2 && a.outLines > 0 {
			a.judge(ts)
			if a.state == stOutcome {
				a.outcome(true, a.lastServer)
			}
		}
	case stIdle, stPassPrompt:
		a.typeAhead(line)
	}
}

// typeAhead keeps a line typed before its prompt.
func (a *Analyzer) typeAhead(line []byte) {
	if len(bytes.TrimSpace(line)) > 0 && len(a.typeahead) < MaxTypeahead {
		a.typeahead = append(a.typeahead, append([]byte(nil), line...))
	}
}

func (a *Analyzer) takeUser(line []byte) {
	u := bytes.TrimSpace(line)
	if len(u) == 0 {
		return // an empty line gets another prompt, or none
	}
	a.user = append(a.user[:0], u...)
	a.hasUser = true
	a.state = stPassPrompt
}

func (a *Analyzer) takePassword(line []byte) {
	a.password = append(a.password[:0], line...)
	a.state = stOutcome
	a.outBuf, a.outLines, a.typedAfter, a.pending, a.noPass = a.outBuf[:0], 0, 0, false, false
}

// popTypeahead returns the oldest line typed ahead, if any.
func (a *Analyzer) popTypeahead() ([]byte, bool) {
	if len(a.typeahead) == 0 {
		return nil, false
	}
	l := a.typeahead[0]
	copy(a.typeahead, a.typeahead[1:])
	a.typeahead = a.typeahead[:len(a.typeahead)-1]
	return l, true
}

// serverByte handles one byte of the server's output.
func (a *Analyzer) serverByte(n *nvt, t int, ts int64) {
	if t < 0 {
		if t == tokEC && len(a.sline) > 0 {
			a.sline = a.sline[:len(a.sline)-1]
		}
		return
	}
	c := byte(t)
	if n.esc != 0 {
		n.esc = escape(n.esc, c)
		return
	}
	switch {
	case c == '\r' || c == '\n':
		if a.state == stOutcome {
			if len(bytes.TrimSpace(a.sline)) > 0 {
				a.outLines++
			}
			a.output('\n')
		}
		if a.handled == 0 && a.state == stIdle && len(a.typeahead) > 0 && a.echoedPrompt() {
			a.loginPrompt(ts)
		}
		a.sline, a.handled = a.sline[:0], 0
		return
	case c == 0x08:
		if len(a.sline) > 0 {
			a.sline = a.sline[:len(a.sline)-1]
		}
		return
	case c == 0x1b:
		n.esc = 1
		return
	case c < 0x20 && c != '\t':
		return
	}
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	if len(a.sline) >= MaxLine { // keep the line's tail, where prompts are
		k := copy(a.sline, a.sline[MaxLine/2:])
		a.sline = a.sline[:k]
	}
	a.sline = append(a.sline, c)
	if a.state == stOutcome {
		a.output(c)
	}
}

// output adds a byte to the output judged; a full buffer decides.
func (a *Analyzer) output(c byte) {
	if len(a.outBuf) < MaxOutput {
		a.outBuf = append(a.outBuf, c)
	}
}

// serverPause runs at the end of each piece of server output: prompts are
// where the server waits for the client.
func (a *Analyzer) serverPause(ts int64) {
	if a.state == stOutcome {
		a.judge(ts)
		if a.state == stOutcome && !a.noPass && (len(a.outBuf) >= MaxOutput || a.outLines >= Lookahead) {
			a.mark(ts)
			a.outcome(true, a.pendingTS)
		}
	}
	line := bytes.TrimRight(a.sline, " \t")
	if a.state == stDone || len(line) == a.handled {
		return // nothing new since the prompt was acted on
	}
	switch {
	case len(line) == 0:
	case isLoginPrompt(line):
		a.handled = len(line)
		a.loginPrompt(ts)
	case isPasswordPrompt(line):
		a.handled = len(line)
		a.passwordPrompt(ts)
	case a.state == stOutcome && isShellPrompt(line):
		a.mark(ts)
	case a.state == stPassPrompt && isShellPrompt(line) && len(a.sline) > len(line):
		// A shell prompt ("# ", with its space) instead of the password
		// prompt: an account without a password let the user in.
		a.handled = len(line)
		a.takePassword(nil)
		a.noPass = true
		a.mark(ts)
	}
}

// isShellPrompt reports whether the server's partial line (trimmed on the
// right) looks like a shell prompt: at most MaxPrompt bytes ending in '#',
// '$', '>' or '%'.
func isShellPrompt(line []byte) bool {
	return len(line) <= MaxPrompt && bytes.IndexByte([]byte("#$>%"), line[len(line)-1]) >= 0
}

// echoedPrompt reports whether the server's line is a login prompt
// followed by the echo of the line the client typed ahead ("login: root"):
// a server that read typed-ahead input may send both in one piece.
func (a *Analyzer) echoedPrompt() bool {
	i := bytes.LastIndexByte(a.sline, ':')
	if i < 0 || !isLoginPrompt(a.sline[:i+1]) {
		return false
	}
	return bytes.EqualFold(bytes.TrimSpace(a.sline[i+1:]), bytes.TrimSpace(a.typeahead[0]))
}

// mark notes a success, decided later (see the package comment).
func (a *Analyzer) mark(ts int64) {
	if !a.pending {
		a.pending, a.pendingTS = true, ts
	}
}

// loginPrompt: the server asks for a user name.
func (a *Analyzer) loginPrompt(ts int64) {
	if a.state == stOutcome && !a.noPass {
		a.outcome(false, ts)
		if a.state == stDone {
			return
		}
	}
	a.pending, a.noPass = false, false
	a.state, a.hasUser = stUser, false
	for a.state == stUser {
		l, ok := a.popTypeahead()
		if !ok {
			break
		}
		a.takeUser(l)
	}
}

// passwordPrompt: the server asks for a password.
func (a *Analyzer) passwordPrompt(ts int64) {
	if a.state == stOutcome && !a.noPass {
		a.outcome(false, ts) // asked again: the last one was refused
		if a.state == stDone {
			return
		}
	}
	a.pending, a.noPass = false, false // a password asked after all: no login without one
	// From stIdle or stUser no user name was typed for this prompt: a
	// password-only login (no user), or a re-prompt after a failure (the
	// last user name stands, as in Zeek's Login analyzer).
	a.state = stPass
	if l, ok := a.popTypeahead(); ok {
		a.takePassword(l)
	}
}

// Words that decide an outcome, lower-case (see the package comment).
var (
	failureWords = []string{"incorrect", "fail", "denied", "invalid", "wrong", "unsuccessful", "bad password", "not allowed"}
	successWords = []string{"last login", "busybox", "built-in shell", "welcome", "login successful"}
)

// judge looks for the first failure or success word in the output after
// the password: a failure decides now, a success is marked.
func (a *Analyzer) judge(ts int64) {
	if a.state != stOutcome {
		return
	}
	f, s := firstOf(a.outBuf, failureWords), firstOf(a.outBuf, successWords)
	switch {
	case f >= 0 && (s < 0 || f < s) && a.noPass:
		a.state, a.pending, a.noPass = stIdle, false, false // no login without a password after all
	case f >= 0 && (s < 0 || f < s):
		a.outcome(false, ts)
	case s >= 0:
		a.mark(ts)
	}
}

// firstOf returns the position of the first of words in b, -1 for none.
func firstOf(b []byte, words []string) int {
	first := -1
	for _, w := range words {
		if i := bytes.Index(b, []byte(w)); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

func isLoginPrompt(line []byte) bool {
	if bytes.Contains(line, []byte("last login")) {
		return false
	}
	return endsWithPrompt(line, "login", "username", "user name", "user", "userid", "user id")
}

func isPasswordPrompt(line []byte) bool {
	return endsWithPrompt(line, "password", "passwd", "passcode")
}

// endsWithPrompt reports whether line (trimmed on the right) is "… WORD:"
// for one of words, with WORD at the start or after a non-letter.
func endsWithPrompt(line []byte, words ...string) bool {
	if len(line) == 0 || line[len(line)-1] != ':' {
		return false
	}
	line = bytes.TrimRight(line[:len(line)-1], " \t")
	for _, w := range words {
		if !bytes.HasSuffix(line, []byte(w)) {
			continue
		}
		if i := len(line) - len(w); i == 0 || !isLetter(line[i-1]) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// outcome reports the attempt being judged.
func (a *Analyzer) outcome(ok bool, ts int64) {
	a.attempts++
	if a.out != nil {
		b := proto.AppendConnHeader(a.buf[:0], ts, a.ci)
		if a.hasUser {
			b = record.AppendStringField(b, "user", string(a.user))
		}
		b = record.AppendStringField(b, "password", string(a.password))
		b = record.AppendBoolField(b, "success", ok)
		b = append(b, '}')
		a.buf = b
		a.out.Record(AuthLog, b)
	}
	a.pending, a.noPass = false, false
	a.outBuf = a.outBuf[:0]
	a.password = a.password[:0]
	a.state = stIdle
	if ok || a.attempts >= MaxAttempts {
		a.state = stDone
		a.typeahead = a.typeahead[:0]
	}
}
