package krb

// der reads the DER encoding Kerberos messages use (RFC 4120): a
// tag-length-value at a time, context tags explicit. A field that does not
// parse sets bad; later reads return zero values.
type der struct {
	b   []byte
	bad bool
}

// ASN.1 classes (the top two bits of an identifier octet).
const (
	classUniversal   = 0x00
	classApplication = 0x40
	classContext     = 0x80
)

// next reads one TLV: its class, whether it is constructed, its tag number
// and its content.
func (d *der) next() (class byte, constructed bool, tag int, content []byte) {
	if d.bad || len(d.b) < 2 {
		d.bad = true
		return
	}
	id := d.b[0]
	class, constructed, tag = id&0xc0, id&0x20 != 0, int(id&0x1f)
	i := 1
	if tag == 0x1f { // high tag number form
		tag = 0
		for {
			if i >= len(d.b) || tag > 1<<20 {
				d.bad = true
				return
			}
			c := d.b[i]
			i++
			tag = tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(d.b) {
		d.bad = true
		return
	}
	n := int(d.b[i])
	i++
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || i+k > len(d.b) {
			d.bad = true
			return
		}
		n = 0
		for _, c := range d.b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || n > len(d.b)-i {
		d.bad = true
		return
	}
	content = d.b[i : i+n]
	d.b = d.b[i+n:]
	return class, constructed, tag, content
}

// fields reads a SEQUENCE's content as its explicit context-tagged
// fields: fields[n] is the content of [n] (nil when absent). Tags past
// len(fields) are skipped.
func fields(seq []byte, fields [][]byte) bool {
	d := der{b: seq}
	for len(d.b) > 0 {
		class, _, tag, content := d.next()
		if d.bad {
			return false
		}
		if class == classContext && tag < len(fields) {
			fields[tag] = content
		}
	}
	return true
}

// sequence returns the content of the SEQUENCE b holds (an explicit
// field's content).
func sequence(b []byte) ([]byte, bool) {
	d := der{b: b}
	class, constructed, tag, content := d.next()
	return content, !d.bad && class == classUniversal && constructed && tag == 16
}

// integer reads the INTEGER b holds (an explicit field's content).
func integer(b []byte) (int64, bool) {
	d := der{b: b}
	class, _, tag, content := d.next()
	if d.bad || class != classUniversal || tag != 2 || len(content) == 0 || len(content) > 8 {
		return 0, false
	}
	v := int64(int8(content[0]))
	for _, c := range content[1:] {
		v = v<<8 | int64(c)
	}
	return v, true
}

// str reads the string b holds (GeneralString, or any other string type).
func str(b []byte) (string, bool) {
	d := der{b: b}
	class, constructed, _, content := d.next()
	return string(content), !d.bad && class == classUniversal && !constructed
}
