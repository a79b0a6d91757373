package smtp

import (
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// Client side modes.
const (
	modeCmd  uint8 = iota // command lines
	modeData              // DATA: message lines up to "."
	modeBDAT              // BDAT: bdatLeft bytes of message
)

// info is Zeek's SMTP::Info: the transaction being built.
type info struct {
	ts                              int64
	depth                           int
	helo, mailfrom                  string
	hasHelo, hasMailfrom            bool
	rcptto, to, cc                  []string
	hasRcpt, hasTo, hasCc           bool
	date, from, replyTo, msgID      string
	inReplyTo, subject, received1   string
	received2, lastReply, userAgent string
	has                             uint16 // bits: which of the strings above are set
	xOrigIP                         netip.Addr
	path                            []netip.Addr
	tls                             bool
	clientActivity                  bool
}

const (
	hDate = 1 << iota
	hFrom
	hReplyTo
	hMsgID
	hInReplyTo
	hSubject
	hReceived1
	hReceived2
	hLastReply
	hUserAgent
)

// Analyzer is the SMTP analyzer of one connection; it implements
// proto.Analyzer, proto.Finisher and proto.Upgrader.
type Analyzer struct {
	ci     *proto.ConnInfo
	out    proto.Sink
	now    int64
	banner string // the server's 220 greeting

	sides [2]proto.LineBuffer
	bdat  proto.LineBuffer // the message line being assembled from BDAT chunks

	// After a STARTTLS answered by 220 the connection is handed over to
	// TLS ("ssl"), as Zeek's SMTP analyzer does (proto.Upgrader).
	proto.TLSHandover

	// Protocol state.
	mode        uint8
	bdatLeft    uint64
	bdatLast    bool
	inHeaders   bool   // in the top-level header block of a message
	hdr         []byte // the header being assembled (for continuation lines)
	hasHdr      bool
	nHeaders    int
	pending     []string // commands waiting for a reply
	replyCmd    string   // command of the multi-line reply in progress
	inMulti     bool
	multiCode   int
	startTLS    bool // STARTTLS sent, waiting for its reply
	tls         bool // STARTTLS was accepted
	proto.Named      // conn.log service, once confirmed
	rcptOK      bool // a RCPT in this transaction (protocol level)
	dataLines   int
	noHeaders   bool // after a client gap no more headers are parsed (Zeek's MIME gives up)

	// Script state (Zeek's SMTP::State).
	cur          *info
	stateHelo    string
	hasStateHelo bool
	messages     int
	mailFromSeen bool
	rcptToSeen   bool
	bdatLastSeen bool
	invalid      int // invalid mail transactions (script.go)

	weirds proto.Weirds

	buf []byte
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Finished implements proto.Finisher: after STARTTLS nothing more is
// parsed.
func (a *Analyzer) Finished() bool { return a.tls }

// Gap implements proto.Analyzer: the partial line is dropped. A gap in a
// message ends header parsing for the rest of the connection; in a BDAT chunk it also abandons the
// chunk (as Zeek does): what follows is read as commands.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	dir &= 1
	a.sides[dir].Reset()
	if dir != proto.FromOrig || n <= 0 {
		return
	}
	a.hasHdr = false
	a.inHeaders = false
	a.noHeaders = true
	if a.mode == modeBDAT {
		a.bdatLeft = 0
		a.bdat.Reset()
		a.mode = modeCmd
	}
}

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
		if dir == proto.FromOrig && a.mode == modeBDAT {
			n := len(data)
			if uint64(n) > a.bdatLeft {
				n = int(a.bdatLeft)
			}
			a.bdatBytes(data[:n])
			data = data[n:]
			a.bdatLeft -= uint64(n)
			if a.bdatLeft == 0 {
				a.endBDAT()
			}
			continue
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

// bdatBytes feeds BDAT chunk bytes to the message parser line by line
// (a line may span chunks).
func (a *Analyzer) bdatBytes(p []byte) {
	for len(p) > 0 {
		line, rest, ok := a.bdat.NextLF(p, MaxLine)
		if !ok {
			return
		}
		p = rest
		a.messageLine(line)
	}
}

func (a *Analyzer) endBDAT() {
	if a.bdatLast && a.bdat.Len() > 0 {
		line := a.bdat.Pending()
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		a.messageLine(line)
		a.bdat.Reset()
	}
	a.mode = modeCmd
	if a.bdatLast {
		a.endMessage()
	}
}

// clientLine handles one line from the client.
func (a *Analyzer) clientLine(line []byte) {
	if a.mode == modeData {
		if len(line) == 1 && line[0] == '.' {
			a.endMessage()
			a.mode = modeCmd
			a.pushPending(".")
			a.request(".", "")
			return
		}
		if len(line) > 0 && line[0] == '.' {
			line = line[1:]
		}
		a.dataLines++
		a.messageLine(line)
		return
	}
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	line = line[i:]
	if len(line) == 0 {
		return
	}
	n := 0
	for n < len(line) && line[n] != ' ' && line[n] != '\t' {
		n++
	}
	cmd := string(line[:n])
	arg := strings.TrimLeft(string(line[n:]), " \t")
	up := strings.ToUpper(cmd)
	if knownCmds[up] {
		a.Confirm("smtp")
		a.pushPending(up)
	} else {
		a.pushPending("<unknown>")
	}
	a.request(cmd, arg)
	switch up {
	case "MAIL":
		a.rcptOK = false
	case "RCPT":
		a.rcptOK = true
	case "DATA":
		if !a.rcptOK {
			return
		}
		a.rcptOK = false
		a.beginMessage()
		a.mode = modeData
		a.dataLines = 0
	case "BDAT":
		size, last, problem := bdatArg(arg)
		switch {
		case problem != "":
			a.weird("smtp_invalid_bdat_command", problem)
			return
		case size > math.MaxInt64:
			a.weird("smtp_huge_bdat_chunk", strconv.FormatUint(size, 10))
			return
		}
		if !a.inMessage() {
			a.beginMessage()
		}
		a.bdatLast = last
		a.bdatLeft = size
		if size == 0 {
			a.endBDAT()
			return
		}
		a.mode = modeBDAT
	case "STARTTLS":
		a.startTLS = true
	}
}

// bdatArg reads BDAT's argument as Zeek's parse_bdat_arg does: a
// chunk size of at most 25 bytes of argument, then nothing or " LAST".
// problem is Zeek's smtp_invalid_bdat_command text ("" when it reads).
func bdatArg(arg string) (size uint64, last bool, problem string) {
	if len(arg) == 0 || len(arg) > 25 {
		return 0, false, "BDAT argument bad length"
	}
	if arg[0] < '0' || arg[0] > '9' {
		return 0, false, "BDAT not followed by a valid chunk-size"
	}
	i := 0
	for i < len(arg) && arg[i] >= '0' && arg[i] <= '9' {
		i++
	}
	if i < len(arg) && arg[i] != ' ' {
		return 0, false, "BDAT chunk-size not valid"
	}
	size, err := strconv.ParseUint(arg[:i], 10, 64)
	if err != nil {
		return 0, false, "BDAT chunk-size too large"
	}
	if i < len(arg) {
		last = len(arg)-i >= 5 && strings.EqualFold(arg[i:i+5], " LAST")
		if !last || len(arg) != i+5 {
			return size, last, "BDAT chunk-size followed by junk"
		}
	}
	return size, last, ""
}

// weird logs one of Zeek's SMTP weirds for the connection.
func (a *Analyzer) weird(name, addl string) {
	a.weirds.Log(a.out, a.now, a.ci, name, addl, "SMTP")
}

// knownCmds are the commands Zeek's SMTP analyzer knows; replies to
// others are paired with "<unknown>".
var knownCmds = map[string]bool{
	"HELO": true, "EHLO": true, "MAIL": true, "RCPT": true, "DATA": true, "BDAT": true, "RSET": true,
	"SEND": true, "SOML": true, "SAML": true, "VRFY": true, "EXPN": true, "HELP": true, "NOOP": true,
	"QUIT": true, "TURN": true, "ETRN": true, "AUTH": true, "STARTTLS": true, "XEXCH50": true,
}

func (a *Analyzer) pushPending(cmd string) {
	if len(a.pending) < MaxPendingCmds {
		a.pending = append(a.pending, cmd)
	}
}

// serverLine handles one reply line.
func (a *Analyzer) serverLine(line []byte) {
	if len(line) < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) {
		return
	}
	code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	cont := len(line) > 3 && line[3] == '-'
	msg := ""
	if len(line) > 4 {
		msg = string(line[4:])
	}
	a.Confirm("smtp")
	cmd := ""
	if a.inMulti {
		cmd = a.replyCmd
	} else if len(a.pending) > 0 {
		cmd = a.pending[0]
		a.pending = a.pending[1:]
	}
	a.inMulti, a.replyCmd = cont, cmd
	if cmd == "DATA" && code >= 400 && a.mode == modeData && a.dataLines == 0 {
		// DATA refused: what follows are commands again.
		a.mode = modeCmd
		a.inHeaders = false
	}
	a.reply(code, cmd, msg, cont)
	if cmd == "STARTTLS" && code == 220 && !cont {
		a.starttls()
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (a *Analyzer) inMessage() bool { return a.inHeaders }

func (a *Analyzer) beginMessage() {
	a.inHeaders = !a.noHeaders
	a.hdr = a.hdr[:0]
	a.hasHdr = false
	a.nHeaders = 0
}

func (a *Analyzer) endMessage() {
	a.flushHeader()
	a.inHeaders = false
}

// messageLine handles one line of a message (after dot-unstuffing).
func (a *Analyzer) messageLine(line []byte) {
	if !a.inHeaders {
		return
	}
	if len(line) == 0 {
		a.flushHeader()
		a.inHeaders = false
		return
	}
	if line[0] == ' ' || line[0] == '\t' {
		if a.hasHdr {
			if room := MaxHeader - len(a.hdr); room > 0 {
				a.hdr = append(a.hdr, line[:min(len(line), room)]...)
			}
		}
		return
	}
	a.flushHeader()
	if a.nHeaders >= MaxHeaders {
		return
	}
	a.nHeaders++
	a.hdr = append(a.hdr[:0], line[:min(len(line), MaxHeader)]...)
	a.hasHdr = true
}

func (a *Analyzer) flushHeader() {
	if !a.hasHdr {
		return
	}
	a.hasHdr = false
	h := a.hdr
	i := 0
	for i < len(h) && h[i] != ':' {
		i++
	}
	if i == len(h) {
		return
	}
	name := strings.ToUpper(strings.TrimRight(string(h[:i]), " \t"))
	value := strings.TrimLeft(string(h[i+1:]), " \t")
	a.header(name, value)
}
