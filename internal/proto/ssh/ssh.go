// Package ssh analyzes SSH connections and writes Zeek's ssh.log (field
// names and semantics of base/protocols/ssh/main.zeek and Zeek's SSH
// analyzer), plus the HASSH client and server fingerprints.
//
// Each side is parsed from its reassembled stream, split anywhere by Data:
// first the identification line ("SSH-2.0-…"; a server may send other lines
// before it), then, for SSH-2, the cleartext binary packets up to and
// including SSH_MSG_NEWKEYS: KEXINIT gives the negotiated algorithms and the
// HASSH fingerprints, the key exchange reply gives the server's host key.
// After NEWKEYS a side is encrypted: like Zeek, only the sizes of its
// segments are looked at, to guess whether authentication succeeded
// (auth_success, auth_attempts; not attempted when compression is
// negotiated, as in Zeek).
//
// Bounds, per connection: an identification line keeps at most MaxLine
// bytes, at most MaxPreBanner lines are skipped before it, and a cleartext
// packet is buffered only up to MaxPacket bytes (a longer one stops the
// parsing of that side). SSH-1 is recognised from the banners only.
package ssh

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	MaxLine      = 1024
	MaxPreBanner = 256
	MaxPacket    = 64 << 10
)

// Ports are the well-known SSH ports (Zeek's SSH::ports).
var Ports = []uint16{22}

func init() {
	proto.Register(&proto.Factory{
		Name:       "ssh",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// Detect is Sure of an identification line "SSH-1." or "SSH-2." from
// either side, Maybe of other bytes on port 22.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if len(first) >= 6 && (first[0]|0x20) == 's' && (first[1]|0x20) == 's' && (first[2]|0x20) == 'h' &&
		first[3] == '-' && (first[4] == '1' || first[4] == '2') && first[5] == '.' {
		return proto.Sure
	}
	return proto.OnPort(Ports, respPort)
}
