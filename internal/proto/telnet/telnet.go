// Package telnet follows the login dialogue of telnet connections and
// reports each login attempt with its outcome as a fact for the
// detectors: the log "_telnet_auth" (AuthLog), never written to disk, like
// FTP's "_ftp_auth". Telnet has no Zeek log, and it gets no conn.log
// service either (see Analyzer.Service).
//
// Both sides are cleaned of telnet commands (RFC 854/855): IAC DO, DONT,
// WILL and WONT with their option, IAC SB … IAC SE, the two-byte commands
// (IAC GA, NOP …); IAC IAC is a literal 0xFF; IAC EC and IAC EL erase a
// character or the line typed so far. What remains is followed as a login
// dialogue:
//
//   - Prompts are recognised at the end of the server's output, where the
//     server waits for input: a partial line ending (case-insensitively,
//     spaces ignored) in "login:", "username:", "user name:", "user:" or
//     "userid:" asks for the user name, one ending in "password:",
//     "passwd:" or "passcode:" for the password. Banners before them do
//     not matter; a line holding "last login" is never a prompt.
//   - The client's typed lines answer them: a line ends at CR (CR LF and
//     CR NUL are one line end) or LF; backspace (BS, DEL) erases a
//     character, ^U the line, NUL and other control characters are
//     dropped, ANSI escape sequences too. A client that types ahead of a
//     prompt (line mode) has its lines queued (at most MaxTypeahead) and
//     used by the next prompts. Whether the server echoes (character
//     mode) does not matter: user name and password come from the client's
//     bytes, the server's echo only adds to its own output.
//   - The outcome is judged from the server's output after the password
//     line (at most MaxOutput bytes, lower-cased):
//     failure when it says so first — "incorrect", "fail", "denied",
//     "invalid", "wrong", "unsuccessful", "bad password", "not allowed" —
//     or when the server prompts again for a login or a password;
//     success when a success marker comes first — "last login", "busybox",
//     "built-in shell", "welcome", "login successful" — or when the output
//     ends in a shell prompt (a partial line of at most MaxPrompt bytes
//     ending in '#', '$', '>' or '%'), or after Lookahead lines without a
//     verdict (Zeek's Login analyzer does the same), or when the client
//     typed two more lines that the server answered without a failure.
//     A shell prompt ending in '#', '$', '>' or '%' followed by a space
//     where the password prompt was awaited (after the user name) is a
//     login without a password (BusyBox login for a root account with an
//     empty password, common on DVRs and cameras): an attempt with an
//     empty password, successful once the client types again; a password
//     prompt or a failure word after it makes it none.
//     A success is only decided when the client types again, the
//     connection ends or the output fills MaxOutput, so that a server
//     which shows its banner again before a new login prompt (a failure)
//     is not taken for one that let the user in. An attempt whose
//     password got no answer at all (the server closed, or the capture
//     ended) is not reported: its outcome is unknown.
//
// Each attempt gives one AuthLog record when its outcome is known: ts (the
// server output that decided), uid, id.*, user (absent when the server
// asked only for a password), password and success. After a successful
// login the analyzer stops (proto.Finisher).
//
// Bounds, per connection: user names, passwords and typed lines keep at
// most MaxField bytes; the server's line in progress keeps its last
// MaxLine bytes; the output after a password keeps MaxOutput bytes; at most
// MaxTypeahead lines wait for a prompt; subnegotiations are skipped for at
// most MaxSubneg bytes (a longer one is taken as data again); the analyzer
// stops after MaxAttempts attempts or MaxBytes bytes of both sides.
package telnet

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	MaxField     = 64
	MaxLine      = 256
	MaxOutput    = 1024
	MaxPrompt    = 64
	MaxTypeahead = 4
	MaxSubneg    = 1024
	MaxAttempts  = 32
	MaxBytes     = 64 << 10
	// Lookahead is how many non-empty server lines after a password make
	// a success when none of them said otherwise (Zeek's
	// MAX_LOGIN_LOOKAHEAD).
	Lookahead = 10
)

// AuthLog is the fact stream of telnet login attempts (see the package
// comment); the leading '_' keeps its records off disk.
const AuthLog = "_telnet_auth"

// Ports are the telnet ports: 23, and 2323 where Mirai and many IoT
// devices look for it. A hint only: Zeek registers its Telnet analyzer for
// no port by default, and Vigil reports no conn.log service for telnet.
var Ports = []uint16{23, 2323}

func init() {
	proto.Register(&proto.Factory{
		Name:       "telnet",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// Telnet command bytes (RFC 854).
const (
	cmdSE   = 240
	cmdEC   = 247
	cmdEL   = 248
	cmdSB   = 250
	cmdWILL = 251
	cmdDONT = 254
	cmdIAC  = 255
)

// Detect: a telnet port is Maybe, and so is a side that starts with option
// negotiation (IAC WILL, WONT, DO, DONT or SB) on any port. Never more:
// the analyzer registered for a port keeps it (Zeek's FTP analyzer, for
// one, reads telnet commands on its control connection), and telnet on
// another port is taken once detection gives up waiting for a better
// match (the bytes kept meanwhile are replayed).
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if len(first) >= 3 && first[0] == cmdIAC && first[1] >= cmdSB && first[1] <= cmdDONT {
		return proto.Maybe
	}
	return proto.OnPort(Ports, respPort)
}
