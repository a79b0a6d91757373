package mqtt

import (
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// head starts a record: ts, uid and the id.* fields.
func head(b []byte, ci *proto.ConnInfo, ts int64) []byte {
	b = append(b, `{"ts":`...)
	b = record.AppendTime(b, ts)
	if ci == nil {
		return b
	}
	b = str(b, "uid", ci.UID)
	b = append(b, `,"id.orig_h":"`...)
	if ci.OrigH.IsValid() {
		b = ci.OrigH.Unmap().AppendTo(b)
	}
	b = append(b, `","id.orig_p":`...)
	b = strconv.AppendUint(b, uint64(ci.OrigP), 10)
	b = append(b, `,"id.resp_h":"`...)
	if ci.RespH.IsValid() {
		b = ci.RespH.Unmap().AppendTo(b)
	}
	b = append(b, `","id.resp_p":`...)
	return strconv.AppendUint(b, uint64(ci.RespP), 10)
}

func key(b []byte, k string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func str(b []byte, k, v string) []byte { return record.AppendString(key(b, k), v) }

func num(b []byte, k string, v uint64) []byte { return strconv.AppendUint(key(b, k), v, 10) }

func boolean(b []byte, k string, v bool) []byte { return strconv.AppendBool(key(b, k), v) }

func appendStr(b []byte, s string) []byte { return record.AppendString(b, s) }
