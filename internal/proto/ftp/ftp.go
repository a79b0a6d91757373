// Package ftp analyzes FTP control connections and writes Zeek's ftp.log:
// one record per command/reply pair of a logged command, with Zeek's field
// names and semantics (base/protocols/ftp/main.zeek, utils-commands.zeek
// and the FTP analyzer of src/analyzer/protocol/ftp).
//
// Each side is split into lines (LF ends a line, a CR before it is
// dropped) by a streaming parser: Data may split the input anywhere.
// Requests are "COMMAND arg"; replies are "NNN text", with multi-line
// replies ("NNN-" … "NNN ") as in Zeek. Replies are matched to pending
// commands by Zeek's scoring (expected reply codes, command and argument
// in the reply text). Data-channel fields come from PORT/EPRT commands and
// PASV/EPSV replies; file names are turned into ftp:// URLs with the
// tracked working directory. mime_type and fuid (from the data
// connection) are not logged; file_size comes from the 150/213 reply.
//
// Bounds, per connection: a line keeps at most MaxLine bytes (the rest is
// dropped); at most MaxPending commands wait for a reply (Zeek's
// FTP::max_pending_commands; more are not queued); user and password keep
// MaxUser bytes, arg and reply_msg MaxArg bytes (Zeek's limits); the
// working directory keeps MaxArg bytes.
package ftp

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	MaxLine    = 8 << 10
	MaxPending = 20
	MaxUser    = 128
	MaxArg     = 4096
	// MaxCommand is Zeek's FTP::max_command_length: a longer command word
	// makes the line ignored.
	MaxCommand = 100
	// ViolationWindow is Zeek's DPD::ignore_violations_after.
	ViolationWindow = 10 * 1024
)

// Ports are the well-known FTP control ports (Zeek's FTP::ports).
var Ports = []uint16{21, 2811}

// LoggedCommands is Zeek's FTP::logged_commands: the commands whose
// command/reply pairs are logged. Change it only before analysis starts.
var LoggedCommands = map[string]bool{
	"APPE": true, "DELE": true, "RETR": true, "STOR": true, "STOU": true,
	"ACCT": true, "PORT": true, "PASV": true, "EPRT": true, "EPSV": true,
}

// GuestIDs are Zeek's FTP::guest_ids: users whose passwords are logged.
var GuestIDs = map[string]bool{"anonymous": true, "ftp": true, "ftpuser": true, "guest": true}

// CapturePasswords is Zeek's FTP::default_capture_password.
var CapturePasswords = false

func init() {
	proto.Register(&proto.Factory{
		Name:       "ftp",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

var detectCmds = []string{"USER ", "AUTH ", "FEAT", "SYST", "OPTS ", "user "}

// Detect: from the responder, a "220" banner that mentions FTP is Likely
// ("220" alone is Maybe on an FTP port); from the originator, USER, AUTH,
// FEAT … are Likely. Otherwise an FTP port is Maybe.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	port := false
	for _, p := range Ports {
		if p == respPort {
			port = true
		}
	}
	if dir == proto.FromResp {
		if len(first) >= 4 && string(first[:3]) == "220" && (first[3] == ' ' || first[3] == '-') {
			line := first
			if i := indexByte(line, '\n'); i >= 0 {
				line = line[:i]
			}
			if containsFold(first, "ftp") && !containsFold(line, "smtp") && !containsFold(line, "esmtp") {
				return proto.Likely
			}
		}
	} else {
		for _, c := range detectCmds {
			if len(first) >= len(c) && string(first[:len(c)]) == c {
				return proto.Likely
			}
		}
	}
	if port {
		return proto.Maybe
	}
	return proto.No
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

// containsFold reports whether b contains the lower-case ASCII word w,
// ignoring case.
func containsFold(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		j := 0
		for j < len(w) && lower(b[i+j]) == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}
