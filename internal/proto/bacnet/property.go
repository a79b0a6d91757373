package bacnet

import (
	"net/netip"
	"strconv"
	"sync/atomic"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// bacnet_property.log, as CISA ICSNPP BACnet writes it: the properties
// read and written. One record per property of a ReadProperty,
// ReadPropertyMultiple, WriteProperty, WritePropertyMultiple or ReadRange
// request, and per value element of the answer: a list or other
// constructed value (an object-list) gives one record per primitive value
// in it, each with the property's object, identifier and array index. Its
// fields after is_orig and the BACnet source and destination: invoke_id;
// pdu_service (read-property-request, read-property-ack,
// read-property-multiple-request, read-property-multiple-ack,
// write-property, write-property-multiple, read-range-request,
// read-range-ack; "ERROR: read_property"… for an Error answering a
// property service, whose error code ICSNPP writes in object_type);
// object_type, instance_number; property; array_index; value (see
// appendValue; the enumerated values of event-state, notify-type,
// object-type, reliability, segmentation-supported, system-status, units
// and logging-type by name; "PropertyError" for a property a
// ReadPropertyMultiple could not read; "item_count: N" for a ReadRange
// answer); and, beyond ICSNPP's fields, a write's priority.
//
// A segmented request or answer is put together from its segments (in
// order, at most maxSegmentedBytes, and maxSegmentedHeld over every
// connection at once) and logged at its last segment, as ICSNPP does.
//
// Where ICSNPP's parser slips, Vigil reads the message as ASHRAE 135
// encodes it: array indexes are those sent (ICSNPP logs array_index 0 for
// a ReadRange request without one, reading the range's opening tag as
// one, and none in ReadPropertyMultiple, where it takes an index for a
// property); an object-list read by ReadPropertyMultiple keeps its name
// (ICSNPP calls it object-identifier); every element of a written value is
// logged, not only the first; a value with no element (an empty list)
// still gives one record; bit strings leave out their unused bits; a
// context-tagged value is read as an unsigned integer (ICSNPP reads it as
// the application type of the same number); ISO 8859-1, UCS-2 and UCS-4
// strings are converted (ICSNPP logs only UTF-8); object types are named
// as in bacnet_discovery.log, timer (31) and those past 50 included; and
// WritePropertyMultiple is logged, which ICSNPP leaves out.

// Confirmed service choices of the property services.
const (
	svcReadProperty          = 12
	svcReadPropertyMultiple  = 14
	svcWriteProperty         = 15
	svcWritePropertyMultiple = 16
	svcReadRange             = 26
)

// APDU types.
const (
	pduConfirmed  = 0
	pduComplexAck = 3
	pduError      = 5
)

// Bounds on hostile input.
const (
	// maxDepth bounds the nesting of opening and closing tags in a value;
	// deeper values end the message's records.
	maxDepth = 16
	// minRecords and recordsPerByte bound the records of one message:
	// at most minRecords plus one per recordsPerByte bytes of service
	// parameters. A list of values of 4 bytes or more (object
	// identifiers and reals take 5) is never cut; a long run of 1- or
	// 2-byte values (nulls, booleans, small integers) is, so that one
	// datagram of 1,476 bytes gives at most 433 records whatever it
	// holds.
	minRecords     = 64
	recordsPerByte = 4
	// maxSegmentedBytes bounds the service parameters of a segmented
	// message that are put together; a longer message is not logged.
	maxSegmentedBytes = 64 << 10
	// maxSegmentedHeld bounds the bytes of unfinished segmented messages
	// held by every BACnet connection together.
	maxSegmentedHeld = 16 << 20
)

// segmentedHeld counts the bytes held by every connection's unfinished
// segmented messages.
var segmentedHeld atomic.Int64

// propertyService reports whether a confirmed service choice is one
// bacnet_property.log follows.
func propertyService(c uint8) bool {
	switch c {
	case svcReadProperty, svcReadPropertyMultiple, svcWriteProperty, svcWritePropertyMultiple, svcReadRange:
		return true
	}
	return false
}

// segments puts one direction's segmented message together.
type segments struct {
	on                   bool
	pdu, invoke, service uint8
	next                 uint8 // sequence number expected
	buf                  []byte
}

// add takes one segment; it returns the whole message's parameters when
// this was its last segment (valid until release).
func (s *segments) add(h *Header) ([]byte, bool) {
	same := s.on && h.PDUType == s.pdu && h.InvokeID == s.invoke && h.Choice == s.service
	switch {
	case same && h.Seq == s.next: // the next segment (the number wraps)
	case h.Seq == 0: // a message begins
		s.release()
		s.on, s.pdu, s.invoke, s.service, s.next = true, h.PDUType, h.InvokeID, h.Choice, 0
	case same && int8(h.Seq-s.next) < 0: // a segment sent again
		return nil, false
	case same: // a segment missed
		s.release()
		return nil, false
	default: // a segment of a message not followed
		return nil, false
	}
	n := len(h.Params)
	if len(s.buf)+n > maxSegmentedBytes {
		s.release()
		return nil, false
	}
	if segmentedHeld.Add(int64(n)) > maxSegmentedHeld {
		segmentedHeld.Add(-int64(n))
		s.release()
		return nil, false
	}
	s.buf = append(s.buf, h.Params...)
	s.next++
	if h.More {
		return nil, false
	}
	return s.buf, true
}

// release drops the message being put together.
func (s *segments) release() {
	segmentedHeld.Add(-int64(len(s.buf)))
	s.on = false
	if cap(s.buf) > 4<<10 {
		s.buf = nil
	} else {
		s.buf = s.buf[:0]
	}
}

// property writes the bacnet_property records of a confirmed request,
// complex ack or error of a property service.
func (a *Analyzer) property(dir proto.Direction, ts int64, h *Header, src, dst netip.AddrPort) {
	if a.out == nil || !h.HasChoice || !propertyService(h.Choice) {
		return
	}
	w := propWriter{a: a, dir: dir, ts: ts, src: src, dst: dst, invoke: h.InvokeID, priority: -1}
	switch h.PDUType {
	case pduError:
		switch h.Choice {
		case svcReadProperty, svcReadPropertyMultiple, svcWriteProperty, svcWritePropertyMultiple:
			w.left = 1
			w.service = "ERROR: " + h.Service
			w.err = h.ResultCode
			w.emit(objRef{}, 0, false, 0, nil)
		}
		return
	case pduConfirmed, pduComplexAck:
	default:
		return
	}
	params := h.Params
	if h.Segmented {
		s := &a.seg[dir&1]
		var done bool
		if params, done = s.add(h); !done {
			return
		}
		defer s.release()
	}
	w.left = minRecords + len(params)/recordsPerByte
	c := cursor{b: params}
	if h.PDUType == pduConfirmed {
		switch h.Choice {
		case svcReadProperty:
			w.service = "read-property-request"
			w.reference(&c, 0, 1, 2, -1, -1)
		case svcReadPropertyMultiple:
			w.service = "read-property-multiple-request"
			w.multiple(&c, 0, 1, -1, -1)
		case svcWriteProperty:
			w.service = "write-property"
			w.reference(&c, 0, 1, 2, 3, 4)
		case svcWritePropertyMultiple:
			w.service = "write-property-multiple"
			w.multiple(&c, 0, 1, 2, 3)
		case svcReadRange:
			w.service = "read-range-request"
			w.reference(&c, 0, 1, 2, -1, -1)
		}
		return
	}
	switch h.Choice {
	case svcReadProperty:
		w.service = "read-property-ack"
		w.reference(&c, 0, 1, 2, 3, -1)
	case svcReadPropertyMultiple:
		w.service = "read-property-multiple-ack"
		w.readResults(&c)
	case svcReadRange:
		w.service = "read-range-ack"
		w.rangeResult(&c)
	}
}

// objRef is an object identifier.
type objRef struct {
	ok   bool
	typ  uint16
	inst uint32
}

// propWriter writes the records of one message.
type propWriter struct {
	a        *Analyzer
	dir      proto.Direction
	ts       int64
	src, dst netip.AddrPort
	invoke   uint8
	service  string
	err      string // an Error's code, logged as object_type
	left     int    // records still allowed
	priority int    // a write's priority, -1 for none
}

// cursor reads tags.
type cursor struct{ b []byte }

// peek returns the next tag without taking it.
func (c *cursor) peek() (tag, bool) {
	t, _, ok := nextTag(c.b)
	return t, ok
}

// context takes the next tag when it is context tag n with content.
func (c *cursor) context(n int) (tag, bool) {
	t, rest, ok := nextTag(c.b)
	if !ok || !t.context || t.open || t.close || int(t.num) != n {
		return tag{}, false
	}
	c.b = rest
	return t, true
}

// bracket takes the next tag when it is the opening (open) or closing
// context tag n.
func (c *cursor) bracket(n int, open bool) bool {
	t, rest, ok := nextTag(c.b)
	if !ok || !t.context || int(t.num) != n || (open && !t.open) || (!open && !t.close) {
		return false
	}
	c.b = rest
	return true
}

// value takes a value enclosed in opening and closing context tags n and
// returns what is between them. closed is false when the tags are not
// there or do not match, or the value is nested deeper than maxDepth: v
// is then what could be read of it, and the cursor is left empty when
// the value did not end.
func (c *cursor) value(n int) (v []byte, closed bool) {
	if !c.bracket(n, true) {
		return nil, false
	}
	start, b, depth := c.b, c.b, 0
	for len(b) > 0 {
		t, rest, ok := nextTag(b)
		if !ok {
			break
		}
		switch {
		case t.open:
			if depth++; depth > maxDepth {
				c.b = nil
				return start[:len(start)-len(b)], false
			}
		case t.close:
			if depth == 0 {
				c.b = rest
				return start[:len(start)-len(b)], int(t.num) == n
			}
			depth--
		}
		b = rest
	}
	c.b = nil
	return start[:len(start)-len(b)], false
}

// optional takes context tag n's unsigned content, when it is next.
func (c *cursor) optional(n int) (uint32, bool) {
	if n < 0 {
		return 0, false
	}
	save := c.b
	if t, ok := c.context(n); ok {
		if v, ok := t.unsigned(); ok {
			return v, true
		}
	}
	c.b = save
	return 0, false
}

// objectID takes context tag n holding an object identifier.
func (c *cursor) objectID(n int) (objRef, bool) {
	t, ok := c.context(n)
	if !ok {
		return objRef{}, false
	}
	typ, inst, ok := t.objectID()
	return objRef{true, typ, inst}, ok
}

// reference reads one object's property reference (object identifier in
// context tag obj, property identifier in prop, optional array index in
// idx), then, where val is not -1, its value between opening and closing
// tags val and a write's priority in context tag prio, and writes it.
func (w *propWriter) reference(c *cursor, obj, prop, idx, val, prio int) {
	o, ok := c.objectID(obj)
	if !ok {
		return
	}
	w.property(c, o, prop, idx, val, prio)
}

// property reads a property reference (and value) of object o and writes
// it; false when it does not parse.
func (w *propWriter) property(c *cursor, o objRef, prop, idx, val, prio int) bool {
	t, ok := c.context(prop)
	if !ok {
		return false
	}
	p, ok := t.unsigned()
	if !ok {
		return false
	}
	i, hasIdx := c.optional(idx)
	if val < 0 {
		w.emit(o, p, hasIdx, i, nil)
		return true
	}
	v, closed := c.value(val)
	w.priority = -1
	if pr, ok := c.optional(prio); ok {
		w.priority = int(pr)
	}
	w.values(o, p, hasIdx, i, v)
	return closed
}

// multiple reads a ReadPropertyMultiple or WritePropertyMultiple request:
// object identifiers (context tag 0), each with a list (between opening
// and closing tags 1) of property references (property in context tag 0,
// array index in 1) and for a write, values (in 2) and priorities (3).
func (w *propWriter) multiple(c *cursor, prop, idx, val, prio int) {
	for w.left > 0 && len(c.b) > 0 {
		o, ok := c.objectID(0)
		if !ok || !c.bracket(1, true) {
			return
		}
		for !c.bracket(1, false) {
			if w.left <= 0 || !w.property(c, o, prop, idx, val, prio) {
				return
			}
		}
	}
}

// readResults reads a ReadPropertyMultiple answer: object identifiers
// (context tag 0), each with a list (in 1) of results: property (context
// tag 2), array index (3), and its value (in 4) or the error reading it
// (in 5), logged "PropertyError".
func (w *propWriter) readResults(c *cursor) {
	for w.left > 0 && len(c.b) > 0 {
		o, ok := c.objectID(0)
		if !ok || !c.bracket(1, true) {
			return
		}
		for !c.bracket(1, false) {
			if w.left <= 0 {
				return
			}
			t, ok := c.context(2)
			if !ok {
				return
			}
			p, ok := t.unsigned()
			if !ok {
				return
			}
			i, hasIdx := c.optional(3)
			next, ok := c.peek()
			if !ok || !next.open {
				return
			}
			switch next.num {
			case 4:
				v, closed := c.value(4)
				w.values(o, p, hasIdx, i, v)
				if !closed {
					return
				}
			case 5:
				if _, closed := c.value(5); !closed {
					return
				}
				w.emitText(o, p, hasIdx, i, "PropertyError")
			default:
				return
			}
		}
	}
}

// rangeResult reads a ReadRange answer: object, property, array index,
// result flags (context tag 3) and item count (4), logged as
// "item_count: N".
func (w *propWriter) rangeResult(c *cursor) {
	o, ok := c.objectID(0)
	if !ok {
		return
	}
	t, ok := c.context(1)
	if !ok {
		return
	}
	p, ok := t.unsigned()
	if !ok {
		return
	}
	i, hasIdx := c.optional(2)
	if _, ok := c.context(3); !ok {
		w.emit(o, p, hasIdx, i, nil)
		return
	}
	n, ok := c.optional(4)
	if !ok {
		w.emit(o, p, hasIdx, i, nil)
		return
	}
	w.emitText(o, p, hasIdx, i, "item_count: "+strconv.FormatUint(uint64(n), 10))
}

// values writes one record per primitive value in v (a value's content
// between its opening and closing tags), or one without a value when it
// holds none.
func (w *propWriter) values(o objRef, p uint32, hasIdx bool, i uint32, v []byte) {
	any := false
	for b := v; len(b) > 0 && w.left > 0; {
		t, rest, ok := nextTag(b)
		if !ok {
			break
		}
		b = rest
		if t.open || t.close {
			continue
		}
		any = true
		a := w.a
		a.val = appendValue(a.val[:0], t)
		if enumerated(p) {
			if n, ok := parseDigits(a.val); ok {
				name, _ := enumName(p, n)
				a.val = append(a.val[:0], name...)
			}
		}
		w.emit(o, p, hasIdx, i, a.val)
	}
	if !any {
		w.emit(o, p, hasIdx, i, nil)
	}
}

// parseDigits reads a decimal number written as ASCII digits only (as
// ICSNPP's script asks before naming a value: is_num).
func parseDigits(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' || v > (1<<64-1-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, len(b) > 0
}

func (w *propWriter) emitText(o objRef, p uint32, hasIdx bool, i uint32, s string) {
	w.a.val = append(w.a.val[:0], s...)
	w.emit(o, p, hasIdx, i, w.a.val)
}

// emit writes one record (value: nil or empty for none).
func (w *propWriter) emit(o objRef, p uint32, hasIdx bool, i uint32, value []byte) {
	if w.left <= 0 {
		return
	}
	w.left--
	a := w.a
	b := a.addressed(a.line[:0], w.dir, w.ts, w.src, w.dst)
	b = record.AppendUintField(b, "invoke_id", uint64(w.invoke))
	b = record.AppendStringField(b, "pdu_service", w.service)
	switch {
	case w.err != "":
		b = record.AppendStringField(b, "object_type", w.err)
	case o.ok:
		b = record.AppendStringField(b, "object_type", objectTypeName(o.typ))
		b = record.AppendUintField(b, "instance_number", uint64(o.inst))
		b = record.AppendStringField(b, "property", propertyName(p))
		if hasIdx {
			b = record.AppendUintField(b, "array_index", uint64(i))
		}
	}
	if len(value) > 0 {
		b = record.AppendBytesString(record.AppendKey(b, "value"), value)
	}
	if w.priority >= 0 && (w.service == "write-property" || w.service == "write-property-multiple") {
		b = record.AppendUintField(b, "priority", uint64(w.priority))
	}
	b = append(b, '}')
	a.line = b
	a.out.Record("bacnet_property", b)
}
