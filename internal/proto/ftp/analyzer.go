package ftp

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// cmdArg is Zeek's FTP::CmdArg: a command waiting for (or matched with) a
// reply.
type cmdArg struct {
	ts          int64
	cmd, arg    string
	seq         int
	cwdConsumed bool
}

// dataChannel is Zeek's FTP::ExpectedDataChannel.
type dataChannel struct {
	passive      bool
	origH, respH netip.Addr
	respP        uint16
}

type side struct {
	proto.LineBuffer       // the line being assembled (≤ MaxLine)
	offset           int64 // bytes seen
	dead             bool
}

// Analyzer is the FTP analyzer of one connection; it implements
// proto.Analyzer, proto.Finisher and proto.Upgrader.
type Analyzer struct {
	ci     *proto.ConnInfo
	out    proto.Sink
	now    int64
	banner string // the server's 220 greeting
	weirds proto.Weirds

	sides [2]side

	// Protocol analyzer state (Zeek's FTP_Analyzer).
	pendingReply  int // code of an unfinished multi-line reply
	confirmed     bool
	violated      bool
	authRequested string
	hasAuth       bool
	tls           bool // AUTH TLS was accepted

	// After an AUTH TLS answered by 234 (exactly "TLS", as Zeek's FTP
	// analyzer checks: not AUTH SSL) the connection is handed over to TLS
	// ("ssl"), as Zeek's FTP analyzer does (proto.Upgrader).
	proto.TLSHandover

	// Script state (Zeek's FTP::Info).
	session     bool
	user        string
	password    string
	hasPassword bool
	// typed is the password the last PASS gave, for the AuthLog facts:
	// password is what ftp.log shows, "<hidden>" once a record hid it.
	typed      string
	cmdarg     *cmdArg
	pending    []*cmdArg // ordered by seq
	commandSeq int
	replyCode  int
	hasReply   bool
	replyMsg   string
	fileSize   uint64
	hasSize    bool
	dc         dataChannel
	hasDC      bool
	cwd        string

	buf []byte
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out, user: "<unknown>", cwd: "."}
}

// Service implements proto.Analyzer: "ftp" once a command was seen,
// unless a protocol violation removed the analyzer.
func (a *Analyzer) Service() string {
	if a.confirmed && !a.violated {
		return "ftp"
	}
	return ""
}

// Finished implements proto.Finisher.
func (a *Analyzer) Finished() bool {
	return a.violated || a.tls || (a.sides[0].dead && a.sides[1].dead)
}

// Gap implements proto.Analyzer: the partial line is dropped.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	s := &a.sides[dir&1]
	s.Reset()
	s.offset += int64(n)
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	a.now = ts
	s := &a.sides[dir]
	total := len(data)
	a.Begin()
	for len(data) > 0 && !s.dead && !a.violated && !a.tls {
		line, rest, ok := s.NextLF(data, MaxLine)
		s.offset += int64(len(data) - len(rest))
		if !ok {
			return
		}
		data = rest
		if dir == proto.FromOrig {
			a.request(line)
		} else {
			a.reply(line)
		}
		if a.tls {
			a.Start(total - len(data))
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func skipSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// request handles one client line (FTP_Analyzer::DeliverStream, orig).
func (a *Analyzer) request(line []byte) {
	if len(line) == 0 {
		return
	}
	line = skipSpace(line)
	n := 0
	for n < len(line) && !isSpace(line[n]) {
		n++
	}
	word := line[:n]
	if n < 3 {
		a.invalidCommand()
		return
	}
	for _, c := range word {
		if c < 0x21 || c > 0x7e {
			a.invalidCommand()
			return
		}
	}
	if n > MaxCommand {
		if a.confirmed {
			a.weird("FTP_max_command_length_exceeded", strconv.Itoa(n)+" > "+strconv.Itoa(MaxCommand))
		}
		return
	}
	cmd := strings.ToUpper(string(word))
	arg := string(skipSpace(line[n:]))
	a.confirmed = true
	if cmd == "AUTH" {
		a.authRequested, a.hasAuth = arg, true
	}
	a.ftpRequest(cmd, arg)
}

// invalidCommand reports a client line whose first word is no command,
// once the connection speaks FTP (Zeek's FTP_invalid_command).
func (a *Analyzer) invalidCommand() {
	if a.confirmed {
		a.weird("FTP_invalid_command", "")
	}
}

// weird logs one of Zeek's FTP weirds for the connection.
func (a *Analyzer) weird(name, addl string) {
	a.weirds.Log(a.out, a.now, a.ci, name, addl, "FTP")
}

// reply handles one server line (FTP_Analyzer::DeliverStream, resp).
func (a *Analyzer) reply(line []byte) {
	if len(line) == 0 {
		return
	}
	code := 0
	if len(line) >= 3 && isDigit(line[0]) && isDigit(line[1]) && isDigit(line[2]) {
		code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	}
	cont := false
	msg := line
	if a.pendingReply != 0 {
		if code == a.pendingReply && len(line) > 3 && line[3] == ' ' {
			msg = skipSpace(line[3:])
			a.pendingReply = 0
		} else {
			cont = true
			code = 0
		}
	} else {
		switch {
		case code == 0, code < 100:
			a.violation()
			return
		case len(line) > 3 && line[3] == '-':
			a.pendingReply = code
			msg = skipSpace(line[4:])
			cont = true
		case len(line) > 3 && line[3] != ' ':
			a.violation()
			return
		default:
			msg = skipSpace(line[3:])
		}
	}
	if code == 234 && a.hasAuth && a.authRequested == "TLS" {
		a.tls = true
	}
	if code == 220 && a.banner == "" && !cont {
		a.banner = string(msg[:min(len(msg), 256)]) // the greeting: server software, for the inventory
	}
	a.ftpReply(code, string(msg), cont)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// violation is Zeek's AnalyzerViolation: within the first
// ViolationWindow bytes of both sides DPD removes the analyzer.
func (a *Analyzer) violation() {
	if a.sides[0].offset > ViolationWindow || a.sides[1].offset > ViolationWindow {
		return
	}
	a.violated = true
}

// setSession is Zeek's set_ftp_session.
func (a *Analyzer) setSession() {
	if a.session {
		return
	}
	a.session = true
	a.addPending("<init>", "")
}

func (a *Analyzer) addPending(cmd, arg string) {
	a.commandSeq++
	a.pending = append(a.pending, &cmdArg{ts: a.now, cmd: cmd, arg: arg, seq: a.commandSeq})
}

func (a *Analyzer) removePending(ca *cmdArg) bool {
	for i, p := range a.pending {
		if p == ca {
			a.pending = append(a.pending[:i], a.pending[i+1:]...)
			return true
		}
	}
	return false
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ftpRequest is the ftp_request event handler of main.zeek.
func (a *Analyzer) ftpRequest(cmd, arg string) {
	if a.cmdarg != nil && a.hasReply {
		if a.removePending(a.cmdarg) {
			a.message()
		}
	}
	a.setSession()
	if len(a.pending) < MaxPending {
		a.addPending(cmd, trunc(arg, MaxLine))
	}
	switch cmd {
	case "USER":
		a.user = trunc(arg, MaxUser)
	case "PASS":
		a.password, a.hasPassword = trunc(arg, MaxUser), true
		a.typed = a.password
	case "PORT", "EPRT":
		var h netip.Addr
		var p uint16
		var ok bool
		if cmd == "PORT" {
			h, p, ok = parsePort(arg)
		} else {
			h, p, ok = parseEPRT(arg)
		}
		if ok && a.ci != nil {
			a.dc = dataChannel{passive: false, origH: a.ci.RespH, respH: h, respP: p}
			a.hasDC = true
		}
	}
}

// ftpReply is the ftp_reply event handler of main.zeek.
func (a *Analyzer) ftpReply(code int, msg string, cont bool) {
	a.setSession()
	if cont && code == 0 && a.hasReply && !looksLikeReply(msg) {
		return
	}
	ca := a.bestPending(code, msg)
	if ca == nil {
		return
	}
	a.cmdarg = ca
	a.replyCode, a.hasReply = code, true
	a.replyMsg = trunc(msg, MaxLine)
	if cont {
		return
	}
	if (ca.cmd == "PASS" || ca.cmd == "USER") && (code == 230 || code == 530) {
		if ca.cmd == "USER" {
			a.typed = "" // let in (or refused) before any password
		}
		a.authOutcome(code == 230)
	}
	switch {
	case code == 150 && ca.cmd == "RETR", code == 213 && ca.cmd == "SIZE":
		a.fileSize, a.hasSize = lastCount(msg), true
	case (code == 227 || code == 229) && (ca.cmd == "PASV" || ca.cmd == "EPSV"):
		var h netip.Addr
		var p uint16
		var ok bool
		if code == 227 {
			h, p, ok = parsePASV(msg)
		} else {
			h, p, ok = parseEPSV(msg)
		}
		if ok && a.ci != nil {
			if code == 229 && h == netip.IPv6Unspecified() {
				h = a.ci.RespH
			}
			a.dc = dataChannel{passive: true, origH: a.ci.OrigH, respH: h, respP: p}
			a.hasDC = true
		}
	}
	if !ca.cwdConsumed {
		switch {
		case ca.cmd == "CWD" && code == 250:
			ca.cwdConsumed = true
			a.cwd = trunc(buildPathCompressed(a.cwd, ca.arg), MaxArg)
		case ca.cmd == "CDUP" && (code == 200 || code == 250):
			ca.cwdConsumed = true
			a.cwd = trunc(buildPathCompressed(a.cwd, "/.."), MaxArg)
		case (ca.cmd == "PWD" || ca.cmd == "XPWD") && code == 257:
			ca.cwdConsumed = true
			a.cwd = trunc(extractPath(msg), MaxArg)
		}
	}
	if len(a.pending) > 1 {
		a.removePending(ca)
		a.message()
	}
}

// looksLikeReply is the /^[1-9][0-9]{2} [[:print:]]{10}.*/ test of
// main.zeek for intermediate lines of a multi-line reply.
func looksLikeReply(m string) bool {
	if len(m) < 14 || m[0] < '1' || m[0] > '9' || !isDigit(m[1]) || !isDigit(m[2]) || m[3] != ' ' {
		return false
	}
	for i := 4; i < 14; i++ {
		if m[i] < 0x20 || m[i] > 0x7e {
			return false
		}
	}
	return true
}

// bestPending is Zeek's get_pending_cmd.
func (a *Analyzer) bestPending(code int, msg string) *cmdArg {
	var best *cmdArg
	bestScore := -1
	for _, c := range a.pending {
		score := 0
		if code == 500 || expectedReply(c.cmd, code) {
			score += 100
		}
		if strstr(msg, c.cmd) {
			score += 20
		}
		if strstr(msg, c.arg) {
			score += 10
		}
		if score > bestScore || (score == bestScore && best != nil && best.seq > c.seq) {
			best, bestScore = c, score
		}
	}
	return best
}

// strstr is Zeek's strstr(big, little) > 0 (1-based position; an empty
// little is found at position 1).
func strstr(big, little string) bool {
	if little == "" {
		return true
	}
	return strings.Contains(big, little)
}

// AuthLog is the fact stream of login outcomes: one record per reply to
// PASS (230 accepted, 530 refused), or to USER where the server decides
// on the name alone (vsftpd lets anonymous in with 230 at once, refuses a
// denied user with 530), with the user, the password typed (none for
// USER) and
// the outcome, for the detectors and the inventory. Zeek's ftp.log logs
// no USER or PASS line (its brute-force script reads events) and hides
// the password; the leading '_' keeps these records off disk.
const AuthLog = "_ftp_auth"

// authOutcome reports one login attempt.
func (a *Analyzer) authOutcome(ok bool) {
	if a.out == nil {
		return
	}
	b := proto.AppendConnHeader(a.buf[:0], a.now, a.ci)
	b = record.AppendStringField(b, "user", a.user)
	b = record.AppendStringField(b, "password", a.typed)
	b = record.AppendBoolField(b, "success", ok)
	b = append(b, '}')
	a.buf = b
	a.out.Record(AuthLog, b)
}

// message is Zeek's ftp_message: it writes the current command/reply pair
// (if the command is logged) and resets the per-transfer fields.
func (a *Analyzer) message() {
	ca := a.cmdarg
	if ca == nil {
		return
	}
	arg := ca.arg
	if fileCmds[ca.cmd] {
		arg = a.buildURL(arg)
	}
	arg = trunc(arg, MaxArg)
	a.replyMsg = trunc(a.replyMsg, MaxArg)
	hide := !CapturePasswords && !GuestIDs[strings.ToLower(a.user)]
	if ca.cmd == "PASS" && hide {
		arg = "<hidden>"
	}
	if a.hasPassword && hide {
		a.password = "<hidden>"
	}
	if LoggedCommands[ca.cmd] {
		a.write(ca, arg)
	}
	a.hasSize = false
	a.hasDC = false
}

// End implements proto.Analyzer: pending commands are written (Zeek's
// finalize_ftp).
func (a *Analyzer) End(ts int64) {
	for _, ca := range a.pending {
		a.cmdarg = ca
		a.message()
	}
	a.pending = nil
}

var fileCmds = map[string]bool{
	"APPE": true, "CWD": true, "DELE": true, "MKD": true, "RETR": true, "RMD": true, "RNFR": true,
	"RNTO": true, "STOR": true, "STOU": true, "REST": true, "SIZE": true, "MDTM": true,
}

// buildURL is Zeek's FTP::build_url_ftp.
func (a *Analyzer) buildURL(arg string) string {
	p := buildPathCompressed(a.cwd, arg)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	h := ""
	if a.ci != nil && a.ci.RespH.IsValid() {
		r := a.ci.RespH.Unmap()
		if r.Is6() {
			h = "[" + r.String() + "]"
		} else {
			h = r.String()
		}
	}
	return "ftp://" + h + p
}

func (a *Analyzer) write(ca *cmdArg, arg string) {
	if a.out == nil {
		return
	}
	b := a.buf[:0]
	b = proto.AppendConnHeader(b, ca.ts, a.ci)
	b = record.AppendStringField(b, "user", a.user)
	if a.hasPassword {
		b = record.AppendStringField(b, "password", a.password)
	}
	b = record.AppendStringField(b, "command", ca.cmd)
	if arg != "" {
		b = record.AppendStringField(b, "arg", arg)
	}
	if a.hasSize {
		b = append(b, `,"file_size":`...)
		b = strconv.AppendUint(b, a.fileSize, 10)
	}
	if a.hasReply {
		b = append(b, `,"reply_code":`...)
		b = strconv.AppendInt(b, int64(a.replyCode), 10)
		b = record.AppendStringField(b, "reply_msg", a.replyMsg)
	}
	if a.hasDC {
		b = append(b, `,"data_channel.passive":`...)
		b = strconv.AppendBool(b, a.dc.passive)
		b = record.AppendAddrField(b, "data_channel.orig_h", a.dc.origH)
		b = record.AppendAddrField(b, "data_channel.resp_h", a.dc.respH)
		b = append(b, `,"data_channel.resp_p":`...)
		b = strconv.AppendUint(b, uint64(a.dc.respP), 10)
	}
	if a.banner != "" {
		// Vigil's addition after Zeek's fields: the server's 220 greeting.
		b = record.AppendStringField(b, "banner", a.banner)
	}
	b = append(b, '}')
	a.buf = b
	a.out.Record("ftp", b)
}
