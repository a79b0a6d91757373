package mysql

import (
	"bytes"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// entry is one mysql.log record in the making (Zeek's MySQL::Info).
type entry struct {
	ts                  int64
	cmd                 string
	arg                 []byte
	success             bool
	hasSuccess, hasRows bool
	rows                uint32
	response            []byte
	hasResponse         bool
}

// The on* methods are base/protocols/mysql/main.zeek's event handlers.

// onHandshake starts the login record, unless a record is pending.
func (a *Analyzer) onHandshake(user string) {
	if a.hasCur {
		return
	}
	a.start("login", []byte(user))
}

// onCommand writes the pending record and starts the command's, its
// argument without one trailing NUL.
func (a *Analyzer) onCommand(c byte, arg []byte) {
	a.write()
	arg, _ = bytes.CutSuffix(arg, []byte{0})
	a.start(commandName(c), arg)
}

func (a *Analyzer) start(cmd string, arg []byte) {
	a.cur = entry{ts: a.now, cmd: cmd, arg: append(a.cur.arg[:0], arg...), response: a.cur.response[:0]}
	a.hasCur = true
}

// onChangeUser makes the user name COM_CHANGE_USER's argument.
func (a *Analyzer) onChangeUser(user string) {
	if a.hasCur {
		a.cur.arg = append(a.cur.arg[:0], user...)
	}
}

func (a *Analyzer) onError(msg []byte) {
	if !a.hasCur {
		return
	}
	a.cur.success, a.cur.hasSuccess = false, true
	a.cur.response, a.cur.hasResponse = append(a.cur.response[:0], msg...), true
	a.write()
}

// onEOF ends a result: success and no rows unless said otherwise.
func (a *Analyzer) onEOF(intermediate bool) {
	if intermediate || !a.hasCur {
		return
	}
	if !a.cur.hasSuccess {
		a.cur.success, a.cur.hasSuccess = true, true
	}
	a.cur.hasRows = true
	a.write()
}

func (a *Analyzer) onOK(rows uint32) {
	if !a.hasCur {
		return
	}
	a.cur.success, a.cur.hasSuccess = true, true
	a.cur.rows, a.cur.hasRows = rows, true
	a.write()
}

// write writes the pending record, if any, as one mysql.log JSON object.
func (a *Analyzer) write() {
	if !a.hasCur {
		return
	}
	a.hasCur = false
	if a.out == nil {
		return
	}
	e := &a.cur
	b := proto.AppendConnHeader(a.buf[:0], e.ts, a.ci)
	b = record.AppendStringField(b, "cmd", e.cmd)
	b = appendBytesField(b, "arg", e.arg)
	if e.hasSuccess {
		b = record.AppendBoolField(b, "success", e.success)
	}
	if e.hasRows {
		b = record.AppendUintField(b, "rows", uint64(e.rows))
	}
	if e.hasResponse {
		b = appendBytesField(b, "response", e.response)
	}
	b = append(b, '}')
	a.buf = b
	a.out.Record("mysql", b)
}

func appendBytesField(b []byte, k string, v []byte) []byte {
	return record.AppendBytesString(record.AppendKey(b, k), v)
}
