// Package mysql analyzes MySQL (and MariaDB) client/server connections and
// writes Zeek's mysql.log: one record per login and per command, with
// whether the server said it succeeded, the rows it affected and its error
// message (field names and semantics of base/protocols/mysql/main.zeek).
//
// The wire protocol is a run of packets on each side (a 3-byte length, a
// sequence number, the payload). The analyzer follows Zeek's MySQL
// analyzer: the server's greeting (protocol 10 or 9) and the client's
// handshake response give the login record and its user name; in the
// command phase each client packet is a command (COM_QUERY's query
// attributes, MySQL 8.0.23's CLIENT_QUERY_ATTRIBUTES, are read past so that
// arg is the query text), and what the server answers — OK, ERR, EOF, or a
// result set of column definitions and rows, with or without
// CLIENT_DEPRECATE_EOF — ends it. A login through caching_sha2_password,
// an authentication switch and COM_CHANGE_USER are followed as Zeek does.
// A client that asks for TLS (CLIENT_SSL) hands the connection over to the
// TLS analyzer (conn.log service "mysql,ssl", no login record: the
// credentials are encrypted).
//
// As Zeek does, a packet that does not parse as what the state expects is
// skipped (nothing logged for it), and a content gap on either side ends
// the analysis of the connection; connections picked up mid-stream are not
// analysed. Bounds, per connection: at most MaxPacket bytes of a packet are
// kept (a longer query's arg is cut there), one pending record.
//
// Beside mysql.log the analyzer writes facts (never written to disk): a
// "_mysql_server" fact with the server's version string from its greeting,
// for the asset inventory, and a "_mysql_auth" fact with each login's
// outcome and whether its password was empty, for default-credential
// findings (root without a password).
package mysql

import (
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// MaxPacket is how many bytes of one packet's payload are kept.
const MaxPacket = 64 << 10

// ServerLog is the fact that carries a server's greeting: its version
// string ("version") and the authentication plugin it offers ("auth_plugin").
const ServerLog = "_mysql_server"

// AuthLog is the fact of every login's outcome: the user, "password": ""
// when the client sent no authentication data (an empty password; a
// password's scramble is not one the fact can give), and success.
const AuthLog = "_mysql_auth"

// Ports are Zeek's MySQL::ports.
var Ports = []uint16{1434, 3306}

func init() {
	proto.Register(&proto.Factory{
		Name:       "mysql",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// Detect is Likely of a server greeting (a whole first packet, sequence 0,
// protocol 10, a version string starting with a digit and ending in a NUL)
// on any port, Maybe of other bytes on MySQL's ports.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if dir == proto.FromResp && isGreeting(first) {
		return proto.Likely
	}
	return proto.OnPort(Ports, respPort)
}

// isGreeting reports whether b starts with a protocol-10 server greeting.
func isGreeting(b []byte) bool {
	if len(b) < 6 || b[3] != 0 || b[4] != 10 || b[5] < '0' || b[5] > '9' {
		return false
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if n < 32 || n > 1024 {
		return false
	}
	for i := 5; i < min(len(b), 4+n) && i < 5+64; i++ {
		switch c := b[i]; {
		case c == 0:
			return i > 5
		case c < 0x20 || c > 0x7e:
			return false
		}
	}
	return false
}

// Command bytes (the ones whose answers the analyzer follows).
const (
	comQuit            = 0x01
	comInitDB          = 0x02
	comQuery           = 0x03
	comFieldList       = 0x04
	comStatistics      = 0x09
	comProcessInfo     = 0x0a
	comChangeUser      = 0x11
	comResetConnection = 0x1f
)

// commandNames are Zeek's MySQL::commands.
var commandNames = [...]string{
	"sleep", "quit", "init_db", "query", "field_list", "create_db", "drop_db", "refresh",
	"shutdown", "statistics", "process_info", "connect", "process_kill", "debug", "ping", "time",
	"delayed_insert", "change_user", "binlog_dump", "table_dump", "connect_out", "register_slave",
	"stmt_prepare", "stmt_execute", "stmt_send_long_data", "stmt_close", "stmt_reset", "set_option",
	"stmt_fetch", "daemon", "binlog_dump_gtid", "reset_connection",
}

// commandName is Zeek's name of a command byte ("unknown-N" past the table).
func commandName(c byte) string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	return unknownNames[c-byte(len(commandNames))]
}

// unknownNames are "unknown-32" … "unknown-255", made once.
var unknownNames = func() (names [256 - len(commandNames)]string) {
	for i := range names {
		names[i] = "unknown-" + strconv.Itoa(i+len(commandNames))
	}
	return names
}()

// Capability flags the analyzer reads.
const (
	capConnectWithDB  = 0x00000008
	capSSL            = 0x00000800
	capPluginAuth     = 0x00080000
	capConnectAttrs   = 0x00100000
	capDeprecateEOF   = 0x01000000
	capZstd           = 0x04000000
	capQueryAttribute = 0x08000000
)
