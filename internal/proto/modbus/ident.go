package modbus

import (
	"strconv"

	"github.com/vigil-nsm/vigil/internal/record"
)

// meiReadDeviceID is the MEI type of Read Device Identification
// (function 43, MEI 14; Modbus Application Protocol v1.1b3, 6.21).
const meiReadDeviceID = 0x0E

// deviceIDObjects names the identification objects a device reports: the
// basic (0-2) and regular (3-6) ones. Private objects (0x80-0xFF) and
// reserved ones are not logged.
var deviceIDObjects = [...]string{
	"vendor_name", "product_code", "revision", "vendor_url", "product_name",
	"model_name", "user_application_name",
}

var readDeviceIDCodes = [...]string{"", "BASIC", "REGULAR", "EXTENDED", "SPECIFIC"}

// appendMEI appends the fields of an Encapsulated Interface Transport
// request or response: its MEI type and, for Read Device Identification,
// the category asked (read_device_id) and the object asked for, or the
// device's conformity level and the objects it answered (vendor_name,
// product_code, revision …).
func appendMEI(b []byte, req bool, s *side) []byte {
	d := s.body[:s.nbody]
	if !req {
		d = s.whole
	}
	if len(d) < 1 {
		return b
	}
	if d[0] != meiReadDeviceID {
		if d[0] == 0x0D {
			return record.AppendStringField(b, "mei_type", "CANOPEN_GENERAL_REFERENCE")
		}
		return record.AppendStringField(b, "mei_type", strconv.Itoa(int(d[0])))
	}
	b = record.AppendStringField(b, "mei_type", "READ_DEVICE_IDENTIFICATION")
	if len(d) < 2 {
		return b
	}
	if code := int(d[1]); code < len(readDeviceIDCodes) && code > 0 {
		b = record.AppendStringField(b, "read_device_id", readDeviceIDCodes[code])
	}
	if req {
		if len(d) >= 3 {
			b = record.AppendUintField(b, "object_id", uint64(d[2]))
		}
		return b
	}
	return appendDeviceID(b, d[2:])
}

// appendDeviceID appends a Read Device Identification answer after its
// code: conformity level, more follows, next object id, the number of
// objects, then each object's id, length and value. Objects past the end
// of what was kept, or claiming more bytes than there are, end the list.
func appendDeviceID(b []byte, d []byte) []byte {
	if len(d) < 4 {
		return b
	}
	b = record.AppendUintField(b, "conformity_level", uint64(d[0]))
	n, d := int(d[3]), d[4:]
	for i := 0; i < n && len(d) >= 2; i++ {
		id, size := int(d[0]), int(d[1])
		if size > len(d)-2 {
			break
		}
		if id < len(deviceIDObjects) {
			b = record.AppendBytesString(record.AppendKey(b, deviceIDObjects[id]), d[2:2+size])
		}
		d = d[2+size:]
	}
	return b
}
