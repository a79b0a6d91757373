// Package bacnet analyzes BACnet/IP (BVLC, NPDU and APDU over UDP) and
// writes bacnet.log with the fields of CISA's ICSNPP BACnet plugin: one
// record per datagram with is_orig, the BACnet source and destination
// (the datagram's addresses, or the originating device a Forwarded-NPDU
// names), bvlc_function, and for an APDU its pdu_type, pdu_service,
// invoke_id and result_code (the BVLC result, error code, reject reason
// or abort reason). Network-layer messages and BVLC messages without an
// NPDU log the BVLC fields only. It also writes ICSNPP's
// bacnet_discovery.log (Who-Is, I-Am, Who-Has, I-Have; discovery.go) and
// bacnet_property.log (the properties read and written, with their
// values; property.go).
//
// The analyzer keeps no state between datagrams beyond its output buffers
// and, for bacnet_property.log, the segmented request or answer of a
// property service it is putting together in each direction (bounded:
// see maxSegmentedBytes and maxSegmentedHeld).
package bacnet

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "bacnet",
		Transports: []uint8{17},
		Ports:      []uint16{47808},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Sure for a BVLC header (type 0x81, a known function, a length
// equal to the datagram's) followed, where the function carries one, by an
// NPDU of version 1; Likely for the header alone; Maybe for port 47808.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 {
		return proto.No
	}
	// The BVLC length is the whole datagram's: equal to what we were given,
	// unless we were given only the start of a large datagram.
	if len(first) >= 4 && first[0] == 0x81 && first[1] <= 0x0c &&
		bvlcLengthFits(int(binary.BigEndian.Uint16(first[2:])), len(first)) {
		off := npduOffset(first[1])
		if off > 0 && len(first) > off && first[off] == 1 {
			return proto.Sure
		}
		return proto.Likely
	}
	if respPort == 47808 {
		return proto.Maybe
	}
	return proto.No
}

// bvlcLengthFits reports whether a BVLC length field fits a datagram whose
// first n bytes Detect sees (at most 512 of it).
func bvlcLengthFits(length, n int) bool {
	return length == n || (n >= 512 && length > n)
}

// npduOffset is where a BVLC function's NPDU starts (0: none).
func npduOffset(fn uint8) int {
	switch fn {
	case 4:
		return 10
	case 9, 10, 11, 12:
		return 4
	}
	return 0
}

// Analyzer is the BACnet/IP analyzer of one UDP connection.
type Analyzer struct {
	ci          *proto.ConnInfo
	out         proto.Sink
	proto.Named // conn.log service, once confirmed
	line        []byte
	val         []byte      // a property value's text
	seg         [2]segments // each direction's segmented message
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer { return &Analyzer{ci: ci, out: out} }

// Gap implements proto.Analyzer (UDP has none).
func (a *Analyzer) Gap(dir proto.Direction, n int) {}

// End implements proto.Analyzer: it drops unfinished segmented messages.
func (a *Analyzer) End(ts int64) {
	a.seg[0].release()
	a.seg[1].release()
}

// Header is one datagram's parsed headers.
type Header struct {
	BVLC      uint8
	HasResult bool
	Result    string
	FwdAddr   netip.AddrPort // Forwarded-NPDU's originating device
	HasAPDU   bool
	// LaterSegment is set for a segment other than the first of a
	// segmented message; such datagrams are not logged (ICSNPP logs a
	// segmented message once).
	LaterSegment bool
	PDUType      uint8
	Service      string
	HasInvoke    bool
	InvokeID     uint8
	ResultCode   string
	// Unconfirmed is an unconfirmed request's service choice.
	Unconfirmed uint8
	// Choice is the confirmed service choice of a confirmed request,
	// complex ack or error (HasChoice).
	HasChoice bool
	Choice    uint8
	// Segmented is set for a segment of a segmented confirmed request or
	// complex ack: Seq is its sequence number, More says more follow.
	Segmented bool
	More      bool
	Seq       uint8
	// Params are the bytes after an unconfirmed request's, confirmed
	// request's or complex ack's service choice (a slice of the
	// datagram): its service parameters, or for a segment its part of
	// them.
	Params []byte
}

// Parse parses one BACnet/IP datagram; ok is false when the BVLC header
// is not there.
func Parse(b []byte) (h Header, ok bool) {
	if len(b) < 4 || b[0] != 0x81 {
		return h, false
	}
	h.BVLC = b[1]
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < 4 {
		return h, false
	}
	if n < len(b) {
		b = b[:n]
	}
	switch h.BVLC {
	case 0:
		if len(b) >= 6 {
			h.HasResult = true
			h.Result = bvlcResult(binary.BigEndian.Uint16(b[4:]))
		}
		return h, true
	case 4:
		if len(b) < 10 {
			return h, true
		}
		ip, _ := netip.AddrFromSlice(b[4:8])
		h.FwdAddr = netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[8:]))
	}
	off := npduOffset(h.BVLC)
	if off == 0 || len(b) <= off {
		return h, true
	}
	apdu, ok := npdu(b[off:])
	if !ok || len(apdu) == 0 {
		return h, true
	}
	h.apdu(apdu)
	return h, true
}

// npdu skips the network layer header; ok is false for a network-layer
// message or a malformed header.
func npdu(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != 1 {
		return nil, false
	}
	ctl := b[1]
	b = b[2:]
	if ctl&0x80 != 0 {
		return nil, false
	}
	if ctl&0x20 != 0 { // DNET, DLEN, DADR
		if len(b) < 3 || len(b) < 3+int(b[2]) {
			return nil, false
		}
		b = b[3+int(b[2]):]
	}
	if ctl&0x08 != 0 { // SNET, SLEN, SADR
		if len(b) < 3 || len(b) < 3+int(b[2]) {
			return nil, false
		}
		b = b[3+int(b[2]):]
	}
	if ctl&0x20 != 0 { // hop count
		if len(b) < 1 {
			return nil, false
		}
		b = b[1:]
	}
	return b, true
}

func (h *Header) apdu(b []byte) {
	t := b[0] >> 4
	if t > 7 {
		return
	}
	h.HasAPDU, h.PDUType = true, t
	at := func(i int) (uint8, bool) {
		if i < len(b) {
			return b[i], true
		}
		return 0, false
	}
	switch t {
	case 0: // confirmed request
		seg := b[0]&0x08 != 0
		if id, ok := at(2); ok {
			h.HasInvoke, h.InvokeID = true, id
		}
		si := 3
		if seg {
			si = 5
			h.segment(b[0], b, 3)
		}
		h.choice(b, si)
	case 1: // unconfirmed request
		if s, ok := at(1); ok {
			h.Service = unconfirmedName(s)
			h.Unconfirmed, h.Params = s, b[2:]
		}
	case 2: // simple ack
		if id, ok := at(1); ok {
			h.HasInvoke, h.InvokeID = true, id
		}
		if s, ok := at(2); ok {
			h.Service = confirmedName(s)
		}
	case 3: // complex ack
		if id, ok := at(1); ok {
			h.HasInvoke, h.InvokeID = true, id
		}
		si := 2
		if b[0]&0x08 != 0 {
			si = 4
			h.segment(b[0], b, 2)
		}
		h.choice(b, si)
	case 4: // segment ack
		if id, ok := at(1); ok {
			h.HasInvoke, h.InvokeID = true, id
		}
	case 5: // error
		if id, ok := at(1); ok {
			h.HasInvoke, h.InvokeID = true, id
		}
		if s, ok := at(2); ok {
			h.Service = confirmedName(s)
			h.HasChoice, h.Choice = true, s
		}
		if len(b) > 3 {
			if code, ok := errorCode(b[3:]); ok {
				h.ResultCode = errorName(code)
			}
		}
	case 6: // reject
		if id, ok := at(1); ok {
			h.HasInvoke, h.InvokeID = true, id
		}
		h.Service = "reject"
		if r, ok := at(2); ok {
			h.ResultCode = name(rejectReasons[:], r, "Unknown Reject Reason-0x")
		}
	case 7: // abort
		if id, ok := at(1); ok {
			h.HasInvoke, h.InvokeID = true, id
		}
		h.Service = "abort"
		if r, ok := at(2); ok {
			h.ResultCode = name(abortReasons[:], r, "Unknown Abort Reason-0x")
		}
	}
}

// segment notes a segment's flags (the APDU's first byte) and its
// sequence number (at b[i]).
func (h *Header) segment(flags uint8, b []byte, i int) {
	h.Segmented, h.More = true, flags&0x04 != 0
	if i < len(b) {
		h.Seq = b[i]
		h.LaterSegment = h.Seq != 0
	}
}

// choice reads a confirmed service choice at b[i] and the parameters
// after it.
func (h *Header) choice(b []byte, i int) {
	if i < len(b) {
		h.Service = confirmedName(b[i])
		h.HasChoice, h.Choice, h.Params = true, b[i], b[i+1:]
	}
}

// errorCode reads an Error's class and code (two application-tagged
// enumerations, possibly inside an opening context tag) and returns the
// code.
func errorCode(b []byte) (uint32, bool) {
	var vals []uint32
	for len(b) > 0 && len(vals) < 2 {
		tag := b[0]
		b = b[1:]
		l := int(tag & 7)
		if tag&0x08 != 0 && (l == 6 || l == 7) {
			continue // opening/closing context tag
		}
		if l == 5 {
			if len(b) < 1 {
				return 0, false
			}
			l = int(b[0])
			b = b[1:]
		}
		if l > 4 || l > len(b) {
			return 0, false
		}
		var v uint32
		for _, c := range b[:l] {
			v = v<<8 | uint32(c)
		}
		b = b[l:]
		vals = append(vals, v)
	}
	if len(vals) < 2 {
		return 0, false
	}
	return vals[1], true
}

// Data implements proto.Analyzer: one datagram.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	h, ok := Parse(data)
	if !ok {
		return
	}
	a.Confirm("bacnet")
	ci := a.ci
	if ci == nil {
		ci = &proto.ConnInfo{}
	}
	src := netip.AddrPortFrom(ci.OrigH, ci.OrigP)
	dst := netip.AddrPortFrom(ci.RespH, ci.RespP)
	if dir == proto.FromResp {
		src, dst = dst, src
	}
	if h.FwdAddr.IsValid() {
		src = h.FwdAddr
	}
	if h.LaterSegment {
		a.property(dir, ts, &h, src, dst)
		return
	}
	b := a.addressed(a.line[:0], dir, ts, src, dst)
	b = record.AppendStringField(b, "bvlc_function", bvlcName(h.BVLC))
	if h.HasAPDU {
		b = record.AppendStringField(b, "pdu_type", apduTypes[h.PDUType])
		if h.Service != "" {
			b = record.AppendStringField(b, "pdu_service", h.Service)
		}
		if h.HasInvoke {
			b = record.AppendUintField(b, "invoke_id", uint64(h.InvokeID))
		}
	}
	switch {
	case h.HasResult:
		b = record.AppendStringField(b, "result_code", h.Result)
	case h.ResultCode != "":
		b = record.AppendStringField(b, "result_code", h.ResultCode)
	}
	b = append(b, '}')
	a.line = b
	if a.out != nil {
		a.out.Record("bacnet", b)
	}
	if h.HasAPDU && h.PDUType == 1 {
		a.discovery(dir, ts, &h, src, dst)
	}
	if h.HasChoice {
		a.property(dir, ts, &h, src, dst)
	}
}

// discovery writes a bacnet_discovery record for a Who-Is, I-Am, Who-Has
// or I-Have request whose parameters parse.
func (a *Analyzer) discovery(dir proto.Direction, ts int64, h *Header, src, dst netip.AddrPort) {
	d, ok := parseDiscovery(h.Unconfirmed, h.Params)
	if !ok || a.out == nil {
		return
	}
	b := a.addressed(a.line[:0], dir, ts, src, dst)
	b = d.appendFields(b)
	b = append(b, '}')
	a.line = b
	a.out.Record("bacnet_discovery", b)
}

// addressed starts a record with the connection and the BACnet source
// and destination.
func (a *Analyzer) addressed(b []byte, dir proto.Direction, ts int64, src, dst netip.AddrPort) []byte {
	b = proto.AppendConnHeader(b, ts, a.ci)
	b = record.AppendBoolField(b, "is_orig", dir == proto.FromOrig)
	b = record.AppendAddrField(b, "source_h", src.Addr())
	b = record.AppendUintField(b, "source_p", uint64(src.Port()))
	b = record.AppendAddrField(b, "destination_h", dst.Addr())
	return record.AppendUintField(b, "destination_p", uint64(dst.Port()))
}

func hex2(v uint64) string {
	s := strconv.FormatUint(v, 16)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

func name(tab []string, v uint8, unknown string) string {
	if int(v) < len(tab) && tab[v] != "" {
		return tab[v]
	}
	return unknown + hex2(uint64(v))
}

var bvlcFunctions = [...]string{
	"BVLC_Result", "Write_Broadcast_Table", "Read_Broadcast_Table", "Read_Broadcast_Table_ACK",
	"Forwarded_NPDU", "Register_Foreign_Device", "Read_Foreign_Device_Table",
	"Read_Foreign_Device_Table_ACK", "Delete_Foreign_Device_Table_Entry",
	"Distribute_Broadcast_to_Network", "Original_Unicast_NPDU", "Original_Broadcast_NPDU",
	"Secure_BVLL",
}

func bvlcName(f uint8) string { return name(bvlcFunctions[:], f, "Unknown BVLC Function Code-0x") }

func bvlcResult(c uint16) string {
	switch c {
	case 0x00:
		return "Successful_completion"
	case 0x10:
		return "Write-Broadcast-Distribution-Table_NAK"
	case 0x20:
		return "Read-Broadcast-Distribution-Table_NAK"
	case 0x30:
		return "Register-Foreign-Device_NAK"
	case 0x40:
		return "Read-Foreign-Device-Table_NAK"
	case 0x50:
		return "Delete-Foreign-Device-Table-Entry_NAK"
	case 0x60:
		return "Distribute-Broadcast-To-Network_NAK"
	}
	return "Unknown BVLC Result Code-0x" + hex2(uint64(c))
}

var apduTypes = [8]string{
	"CONFIRMED_REQUEST", "UNCONFIRMED_REQUEST", "SIMPLE_ACK", "COMPLEX_ACK",
	"SEGMENT_ACK", "ERROR_PDU", "REJECT_PDU", "ABORT_PDU",
}

var confirmedServices = [...]string{
	"acknowledge_alarm", "confirmed_cov_notification", "confirmed_event_notification",
	"get_alarm_summary", "get_enrollment_summary", "subscribe_cov", "atomic_read_file",
	"atomic_write_file", "add_list_element", "remove_list_element", "create_object",
	"delete_object", "read_property", "read_property_conditional", "read_property_multiple",
	"write_property", "write_property_multiple", "device_communication_control",
	"confirmed_private_transfer", "confirmed_text_message", "reinitialize_device",
	"vt_open", "vt_close", "vt_data", "authenticate", "request_key", "read_range",
	"life_safety_operation", "subscribe_cov_property", "get_event_information",
	"subscribe_cov_property_multiple", "confirmed_cov_notification_multiple",
	"confirmed_audit_notification", "audit_log_query", "auth_request",
}

func confirmedName(s uint8) string {
	return name(confirmedServices[:], s, "Unknown Service Choice-0x")
}

var unconfirmedServices = [...]string{
	"i_am", "i_have", "unconfirmed_cov_notification", "unconfirmed_event_notification",
	"unconfirmed_private_transfer", "unconfirmed_text_message", "time_synchronization",
	"who_has", "who_is", "utc_time_synchronization", "write_group",
	"unconfirmed_cov_notification_multiple", "unconfirmed_audit_notification",
	"who_am_i", "you_are",
}

func unconfirmedName(s uint8) string {
	return name(unconfirmedServices[:], s, "Unknown Service Choice-0x")
}

var abortReasons = [...]string{
	"other", "buffer-overflow", "invalid-apdu-in-this-state",
	"preempted-by-higher-priority-task", "segmentation-not-supported",
	"security-error", "insufficient-security", "window-size-out-of-range",
	"application-exceeded-reply-time", "out-of-resources", "tsm-timeout", "apdu-too-long",
}

var rejectReasons = [...]string{
	"other", "buffer-overflow", "inconsistent-parameters", "invalid-parameter-data-type",
	"invalid-tag", "missing-required-parameter", "parameter-out-of-range",
	"too-many-arguments", "undefined-enumeration", "unrecognized-service",
}

var errorCodes = map[uint32]string{
	0: "other", 1: "authentication-failed", 2: "configuration-in-progress", 3: "device-busy",
	4: "dynamic-creation-not-supported", 5: "file-access-denied",
	6: "incompatible-security-levels", 7: "inconsistent-parameters",
	8: "inconsistent-selection-criterion", 9: "invalid-data-type",
	10: "invalid-file-access-method", 11: "invalid-file-start-position",
	12: "invalid-operator-name", 13: "invalid-parameter-data-type", 14: "invalid-time-stamp",
	15: "key-generation-error", 16: "missing-required-parameter",
	17: "no-objects-of-specified-type", 18: "no-space-for-object",
	19: "no-space-to-add-list-element", 20: "no-space-to-write-property",
	21: "no-vt-sessions-available", 22: "property-is-not-a-list",
	23: "object-deletion-not-permitted", 24: "object-identifier-already-exists",
	25: "operational-problem", 26: "password-failure", 27: "read-access-denied",
	28: "security-not-supported", 29: "service-request-denied", 30: "timeout",
	31: "unknown-object", 32: "unknown-property", 33: "removed enumeration",
	34: "unknown-vt-class", 35: "unknown-vt-session", 36: "unsupported-object-type",
	37: "value-out-of-range", 38: "vt-session-already-closed",
	39: "vt-session-termination-failure", 40: "write-access-denied",
	41: "character-set-not-supported", 42: "invalid-array-index",
	43: "cov-subscription-failed", 44: "not-cov-property",
	45: "optional-functionality-not-supported", 46: "invalid-configuration-data",
	47: "datatype-not-supported", 48: "duplicate-name", 49: "duplicate-object-id",
	50: "property-is-not-an-array", 73: "invalid-event-state", 74: "no-alarm-configured",
	75: "log-buffer-full", 76: "logged-value-purged", 77: "no-property-specified",
	78: "not-configured-for-triggered-logging", 79: "unknown-subscription",
	80: "parameter-out-of-range", 81: "list-element-not-found", 82: "busy",
	83: "communication-disabled", 84: "success", 85: "access-denied",
	110: "not-router-to-dnet", 111: "router-busy", 112: "unknown-network-message",
	113: "message-too-long", 114: "security-error", 115: "addressing-error",
	122: "unknown-file-size", 128: "file-full", 129: "inconsistent-configuration",
	130: "inconsistent-object-type", 131: "internal-error", 132: "not-configured",
	133: "out-of-memory", 134: "value-too-long",
}

func errorName(c uint32) string {
	if s, ok := errorCodes[c]; ok {
		return s
	}
	return "Unknown Error Code-0x" + hex2(uint64(c))
}
