package bacnet

import (
	"encoding/binary"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/record"
)

// Discovery is the device and object discovery of one Who-Is, I-Am,
// Who-Has or I-Have request (bacnet_discovery.log, as CISA ICSNPP BACnet
// writes it). I-Am names the sending device, its vendor and its largest
// APDU; I-Have the device and one of its objects; Who-Is and Who-Has the
// range of device instances asked (none: all) and, for Who-Has, the
// object sought by identifier or by name.
type Discovery struct {
	Service       string // who-is, i-am, who-has, i-have
	HasDevice     bool   // I-Have: the device holding the object
	DeviceType    uint16
	DeviceNumber  uint32
	HasObject     bool // I-Am: the device itself; I-Have, Who-Has: the object
	ObjectType    uint16
	ObjectNumber  uint32
	HasVendor     bool // I-Am
	Vendor        uint16
	MaxAPDU       uint32 // I-Am, 0 when absent
	HasRange      bool   // Who-Is, Who-Has: a device instance range was given
	Low, High     uint32
	ObjectName    []byte // Who-Has by name, I-Have; a slice of the datagram
	HasObjectName bool
}

// unconfirmed service choices of the discovery services
const (
	svcIAm    = 0
	svcIHave  = 1
	svcWhoHas = 7
	svcWhoIs  = 8
)

// tag is one BACnet tag: number, context class, and its content (for a
// context tag of length 6 or 7, an opening or closing tag, no content;
// for an application boolean, none: its value is lvt, the length field).
type tag struct {
	num     uint8
	context bool
	open    bool
	close   bool
	lvt     uint8
	data    []byte
}

// nextTag reads the tag at the start of b (ASHRAE 135 clause 20.2.1);
// ok is false when it is truncated or longer than b.
func nextTag(b []byte) (t tag, rest []byte, ok bool) {
	if len(b) < 1 {
		return t, nil, false
	}
	first := b[0]
	b = b[1:]
	t.num, t.context = first>>4, first&0x08 != 0
	if t.num == 15 {
		if len(b) < 1 {
			return t, nil, false
		}
		t.num, b = b[0], b[1:]
	}
	n := int(first & 7)
	t.lvt = uint8(n)
	if t.context && (n == 6 || n == 7) {
		t.open, t.close = n == 6, n == 7
		return t, b, true
	}
	if !t.context && t.num == 1 { // application boolean: the value is in the length bits
		return t, b, true
	}
	if n == 5 {
		if len(b) < 1 {
			return t, nil, false
		}
		n, b = int(b[0]), b[1:]
		switch n {
		case 254:
			if len(b) < 2 {
				return t, nil, false
			}
			n, b = int(binary.BigEndian.Uint16(b)), b[2:]
		case 255:
			if len(b) < 4 {
				return t, nil, false
			}
			v := binary.BigEndian.Uint32(b)
			if uint64(v) > uint64(len(b)) {
				return t, nil, false
			}
			n, b = int(v), b[4:]
		}
	}
	if n > len(b) {
		return t, nil, false
	}
	t.data = b[:n]
	return t, b[n:], true
}

// unsigned is a tag's content as an unsigned integer (at most 4 bytes).
func (t tag) unsigned() (uint32, bool) {
	if len(t.data) == 0 || len(t.data) > 4 {
		return 0, false
	}
	var v uint32
	for _, c := range t.data {
		v = v<<8 | uint32(c)
	}
	return v, true
}

// objectID is a tag's content as a BACnetObjectIdentifier: 10 bits of
// object type, 22 of instance.
func (t tag) objectID() (typ uint16, inst uint32, ok bool) {
	if len(t.data) != 4 {
		return 0, 0, false
	}
	v := binary.BigEndian.Uint32(t.data)
	return uint16(v >> 22), v & 0x3fffff, true
}

// characterString is a CharacterString tag's text: UTF-8 (character set
// 0) and ISO 8859-1 (5) as they are; the double-byte and wide character
// sets give an empty name, as ICSNPP logs them.
func (t tag) characterString() ([]byte, bool) {
	if len(t.data) < 1 {
		return nil, false
	}
	switch t.data[0] {
	case 0, 5:
		return t.data[1:], true
	}
	return t.data[:0], true
}

// parseDiscovery reads the parameters of an unconfirmed discovery service
// (svc) from b, the bytes after the service choice; ok is false for
// another service or parameters that do not parse.
func parseDiscovery(svc uint8, b []byte) (d Discovery, ok bool) {
	switch svc {
	case svcWhoIs:
		d.Service = "who-is"
		return d, d.readRange(&b) && len(b) == 0
	case svcIAm:
		d.Service = "i-am"
		return d, d.readIAm(b)
	case svcWhoHas:
		d.Service = "who-has"
		return d, d.readRange(&b) && d.readSought(b)
	case svcIHave:
		d.Service = "i-have"
		return d, d.readIHave(b)
	}
	return d, false
}

// readRange reads an optional device instance range (context tags 0 and
// 1), advancing *b past it.
func (d *Discovery) readRange(b *[]byte) bool {
	t, rest, ok := nextTag(*b)
	if !ok || !t.context || t.num != 0 {
		return true // no range: all devices
	}
	low, ok1 := t.unsigned()
	t, rest, ok = nextTag(rest)
	high, ok2 := t.unsigned()
	if !ok || !ok1 || !ok2 || !t.context || t.num != 1 {
		return false
	}
	d.HasRange, d.Low, d.High = true, low, high
	*b = rest
	return true
}

// readSought reads Who-Has's object: context tag 2 (an identifier) or 3
// (a name).
func (d *Discovery) readSought(b []byte) bool {
	t, _, ok := nextTag(b)
	if !ok || !t.context {
		return false
	}
	switch t.num {
	case 2:
		d.ObjectType, d.ObjectNumber, d.HasObject = t.objectID()
		return d.HasObject
	case 3:
		d.ObjectName, d.HasObjectName = t.characterString()
		return d.HasObjectName
	}
	return false
}

// readIAm reads I-Am's device identifier, max APDU length, segmentation
// and vendor identifier (application tags 12, 2, 9, 2).
func (d *Discovery) readIAm(b []byte) bool {
	t, b, ok := nextTag(b)
	if !ok || t.context || t.num != 12 {
		return false
	}
	if d.ObjectType, d.ObjectNumber, d.HasObject = t.objectID(); !d.HasObject {
		return false
	}
	if t, b, ok = nextTag(b); ok && !t.context && t.num == 2 {
		d.MaxAPDU, _ = t.unsigned()
	}
	if t, b, ok = nextTag(b); !ok || t.context || t.num != 9 { // segmentation
		return true
	}
	if t, _, ok = nextTag(b); ok && !t.context && t.num == 2 {
		v, good := t.unsigned()
		d.HasVendor, d.Vendor = good && v <= 0xffff, uint16(v)
	}
	return true
}

// readIHave reads I-Have's device and object identifiers and the
// object's name (application tags 12, 12, 7).
func (d *Discovery) readIHave(b []byte) bool {
	t, b, ok := nextTag(b)
	if !ok || t.context || t.num != 12 {
		return false
	}
	if d.DeviceType, d.DeviceNumber, d.HasDevice = t.objectID(); !d.HasDevice {
		return false
	}
	if t, b, ok = nextTag(b); !ok || t.context || t.num != 12 {
		return true
	}
	d.ObjectType, d.ObjectNumber, d.HasObject = t.objectID()
	if t, _, ok = nextTag(b); ok && !t.context && t.num == 7 {
		d.ObjectName, d.HasObjectName = t.characterString()
	}
	return true
}

// appendFields appends the discovery fields to a bacnet_discovery record.
func (d *Discovery) appendFields(b []byte) []byte {
	b = record.AppendStringField(b, "pdu_service", d.Service)
	if d.HasDevice {
		b = record.AppendStringField(b, "device_id_type", objectTypeName(d.DeviceType))
		b = record.AppendUintField(b, "device_id_number", uint64(d.DeviceNumber))
	}
	if d.HasObject {
		b = record.AppendStringField(b, "object_type", objectTypeName(d.ObjectType))
		b = record.AppendUintField(b, "instance_number", uint64(d.ObjectNumber))
	}
	if d.HasVendor {
		b = record.AppendUintField(b, "vendor_id", uint64(d.Vendor))
	}
	if d.MaxAPDU > 0 {
		b = record.AppendUintField(b, "max_apdu", uint64(d.MaxAPDU))
	}
	switch {
	case d.HasRange:
		b = record.AppendStringField(b, "range", strconv.FormatUint(uint64(d.Low), 10)+"-"+strconv.FormatUint(uint64(d.High), 10))
	case d.Service == "who-is" || d.Service == "who-has":
		b = record.AppendStringField(b, "range", "All")
	}
	if d.HasObjectName {
		b = record.AppendBytesString(record.AppendKey(b, "object_name"), d.ObjectName)
	}
	return b
}

// objectTypes names BACnet object types (BACnetObjectType, ASHRAE 135).
var objectTypes = [...]string{
	"analog-input", "analog-output", "analog-value", "binary-input", "binary-output",
	"binary-value", "calendar", "command", "device", "event-enrollment", "file", "group",
	"loop", "multi-state-input", "multi-state-output", "notification-class", "program",
	"schedule", "averaging", "multi-state-value", "trend-log", "life-safety-point",
	"life-safety-zone", "accumulator", "pulse-converter", "event-log", "global-group",
	"trend-log-multiple", "load-control", "structured-view", "access-door", "timer",
	"access-credential", "access-point", "access-rights", "access-user", "access-zone",
	"credential-data-input", "network-security", "bitstring-value", "characterstring-value",
	"date-pattern-value", "date-value", "datetime-pattern-value", "datetime-value",
	"integer-value", "large-analog-value", "octetstring-value", "positive-integer-value",
	"time-pattern-value", "time-value", "notification-forwarder", "alert-enrollment",
	"channel", "lighting-output", "binary-lighting-output", "network-port",
	"elevator-group", "escalator", "lift", "staging", "audit-log", "audit-reporter",
	"color", "color-temperature",
}

func objectTypeName(t uint16) string {
	if int(t) < len(objectTypes) {
		return objectTypes[t]
	}
	return "Unknown Object Type-0x" + hex2(uint64(t))
}
