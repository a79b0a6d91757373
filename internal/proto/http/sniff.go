package http

import "bytes"

// Sniff guesses a body's MIME type from its first bytes the way Zeek's
// file signatures (base/frameworks/files/magic) name it: the strongest
// binary magic first, then markup and JSON, then text/plain for ten
// printable bytes. "" when nothing matches.
func Sniff(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	for _, i := range magicsByFirst[b[0]] {
		m := &magics[i]
		if len(b) >= m.off+len(m.sig) && string(b[m.off:m.off+len(m.sig)]) == m.sig {
			if m.check != nil && !m.check(b) {
				continue
			}
			return m.mime
		}
	}
	if javascript(b) {
		return "application/javascript"
	}
	t := skipBOM(b)
	t = skipSpaceComments(t)
	if len(t) > 0 && t[0] == '<' {
		if mt := markup(t); mt != "" {
			return mt
		}
	}
	if isJSON(skipSpace(skipBOM(b))) {
		return "text/json"
	}
	if len(b) >= 10 {
		plain := true
		for _, c := range b[:10] {
			if !(c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
				plain = false
				break
			}
		}
		if plain {
			return "text/plain"
		}
	}
	return ""
}

type magic struct {
	off   int
	sig   string
	mime  string
	check func([]byte) bool
}

var magics = []magic{
	{0, "\x89PNG\r\n\x1a\n", "image/png", nil},
	{0, "\xff\xd8\xff", "image/jpeg", nil},
	{0, "GIF87a", "image/gif", nil},
	{0, "GIF89a", "image/gif", nil},
	{0, "BM", "image/bmp", func(b []byte) bool { return len(b) >= 14 && b[6] == 0 && b[7] == 0 && b[8] == 0 && b[9] == 0 }},
	{0, "\x00\x00\x01\x00", "image/x-icon", func(b []byte) bool { return len(b) >= 6 && b[4] != 0 && b[5] == 0 }},
	{0, "RIFF", "image/webp", func(b []byte) bool { return len(b) >= 12 && string(b[8:12]) == "WEBP" }},
	{0, "MZ", "application/x-dosexec", nil},
	{0, "\x7fELF", "application/x-executable", nil},
	{0, "PK\x03\x04", "application/zip", nil},
	{0, "PK\x05\x06", "application/zip", nil},
	{0, "%PDF", "application/pdf", nil},
	{0, "FWS", "application/x-shockwave-flash", nil},
	{0, "CWS", "application/x-shockwave-flash", nil},
	{0, "ZWS", "application/x-shockwave-flash", nil},
	{0, "\x1f\x8b", "application/x-gzip", nil},
	{0, "BZh", "application/x-bzip2", nil},
	{0, "\xfd7zXZ\x00", "application/x-xz", nil},
	{0, "7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", nil},
	{0, "Rar!\x1a\x07", "application/x-rar", nil},
	{0, "\xca\xfe\xba\xbe", "application/x-java-applet", nil},
	{0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-office", nil},
	{0, "{\\rtf", "text/rtf", nil},
	{0, "OggS", "application/ogg", nil},
	{0, "ID3", "audio/mpeg", nil},
	{0, "wOFF", "application/font-woff", nil},
	{0, "wOF2", "font/woff2", nil},
	{0, "\x30\x82", "application/x-x509-ca-cert", func(b []byte) bool { return len(b) >= 5 && b[4] == 0x30 }},
	{4, "ftyp", "video/mp4", nil},
	{0, "\x1a\x45\xdf\xa3", "video/webm", nil},
	{0, "FLV\x01", "video/x-flv", nil},
	{0, "-----BEGIN CERTIFICATE-----", "application/x-pem", nil},
	{0, "#!", "text/x-shellscript", func(b []byte) bool { return bytes.Contains(b[:min(len(b), 64)], []byte("sh")) }},
}

// magicsByFirst lists, for each first byte of a body, the indexes (in
// priority order) of the magics that may match it: those at offset 0
// that start with that byte and those at a later offset.
var magicsByFirst = func() (t [256][]uint8) {
	for i, m := range magics {
		for c := range t {
			if m.off > 0 || m.sig[0] == byte(c) {
				t[c] = append(t[c], uint8(i))
			}
		}
	}
	return t
}()

func skipBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		return b[3:]
	}
	return b
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// skipSpaceComments skips white space and complete <!-- … --> comments.
func skipSpaceComments(b []byte) []byte {
	for {
		b = skipSpace(b)
		if !bytes.HasPrefix(b, []byte("<!--")) {
			return b
		}
		i := bytes.Index(b[4:], []byte("-->"))
		if i < 0 {
			return b
		}
		b = b[4+i+3:]
	}
}

var htmlTags = []string{"html", "head", "body", "title", "script", "iframe", "h1", "table", "div", "a ", "style", "meta", "p>", "br", "font", "b>"}

// markup names t (starting with '<') as HTML or XML.
func markup(t []byte) string {
	if bytes.HasPrefix(t, []byte("<?xml")) {
		// XHTML (Zeek's file-xhtml, strength 100, over file-xml's 10): the
		// declaration, then a doctype html or an html element.
		if end := bytes.Index(t, []byte("?>")); end >= 0 {
			if r := skipSpaceComments(t[end+2:]); htmlStart(r) {
				return "text/html"
			}
		}
		return "application/xml"
	}
	body := t[1:]
	if len(body) > 0 && body[0] == '!' {
		if len(body) >= 12 && equalFold(body[:8], "!doctype") {
			r := skipSpace(body[8:])
			if len(r) >= 4 && equalFold(r[:4], "html") {
				return "text/html"
			}
		}
		return ""
	}
	for _, tag := range htmlTags {
		if len(body) >= len(tag) && equalFold(body[:len(tag)], tag) {
			return "text/html"
		}
	}
	return ""
}

// isJSON reports whether b starts like a JSON object with a key or an array.
func isJSON(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	switch b[0] {
	case '{':
		r := skipSpace(b[1:])
		if len(r) == 0 {
			return false
		}
		if r[0] == '"' {
			end := bytes.IndexByte(r[1:], '"')
			if end <= 0 {
				return false
			}
			r = skipSpace(r[end+2:])
			return len(r) > 0 && r[0] == ':'
		}
		return false
	case '[':
		r := skipSpace(b[1:])
		return len(r) > 0 && (r[0] == '{' || r[0] == '[' || r[0] == '"' || isDigit(r[0]) || r[0] == ']')
	}
	return false
}

// javascript reports whether b starts as Zeek's file-javascript2 to 6
// signatures say (strength 60, above the HTML ones): a script element
// whose type or language is JavaScript or that starts with var or
// function, "for (;;);", document.write(ln)(, or "(function()" and a
// brace.
func javascript(b []byte) bool {
	if r, ok := bytes.CutPrefix(b, []byte("(function()")); ok {
		for len(r) > 0 && (r[0] == ' ' || r[0] == '\t' || r[0] == '\n') {
			r = r[1:]
		}
		return len(r) > 0 && r[0] == '{'
	}
	t := skipSpace(b)
	switch {
	case bytes.HasPrefix(t, []byte("for (;;);")):
		return true
	case bytes.HasPrefix(t, []byte("document.write")):
		r := bytes.TrimPrefix(t[len("document.write"):], []byte("ln"))
		if len(r) > 0 && bytes.IndexByte([]byte(":blank"), r[0]) >= 0 { // the signature's [:blank:]? outside brackets
			r = r[1:]
		}
		return len(r) > 0 && r[0] == '('
	case len(t) >= 7 && equalFold(t[:7], "<script"):
		return scriptElement(t[7:])
	}
	return false
}

// scriptElement reads what follows "<script": ">" then var or function,
// or blanks then a type or language attribute naming JavaScript.
func scriptElement(r []byte) bool {
	if r, ok := bytes.CutPrefix(r, []byte(">")); ok {
		r = skipSpace(r)
		return bytes.HasPrefix(r, []byte("var ")) || bytes.HasPrefix(r, []byte("function "))
	}
	n := 0
	for n < len(r) && (r[n] == ' ' || r[n] == '\t') {
		n++
	}
	if n == 0 {
		return false
	}
	r = r[n:]
	for _, attr := range []string{"type=", "language="} {
		if len(r) < len(attr) || !equalFold(r[:len(attr)], attr) {
			continue
		}
		r = r[len(attr):]
		if len(r) > 0 && (r[0] == '\'' || r[0] == '"') {
			r = r[1:]
		}
		if len(r) >= 5 && equalFold(r[:5], "text/") {
			r = r[5:]
		}
		return len(r) >= 10 && equalFold(r[:10], "javascript")
	}
	return false
}

// htmlStart reports whether r starts with a doctype html or an html
// element.
func htmlStart(r []byte) bool {
	if len(r) >= 5 && equalFold(r[:5], "<html") {
		return true
	}
	if len(r) < 10 || !equalFold(r[:9], "<!doctype") {
		return false
	}
	n := 9
	for n < len(r) && r[n] == ' ' {
		n++
	}
	return n > 9 && len(r) >= n+4 && equalFold(r[n:n+4], "html")
}
