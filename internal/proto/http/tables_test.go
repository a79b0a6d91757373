package http

import (
	"bytes"
	"testing"
)

// TestByteTables checks tokenChars and lowerASCII against their
// definitions, byte by byte.
func TestByteTables(t *testing.T) {
	for i := 0; i < 256; i++ {
		c := byte(i)
		token := c > 31 && c < 127
		switch c {
		case ' ', '\t', '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
			token = false
		}
		if isTokenChar(c) != token {
			t.Errorf("isTokenChar(%#x) = %v", c, !token)
		}
		lower := c
		if c >= 'A' && c <= 'Z' {
			lower = c + 'a' - 'A'
		}
		if lowerASCII[c] != lower {
			t.Errorf("lowerASCII[%#x] = %#x", c, lowerASCII[c])
		}
	}
}

// TestHeaderKindFold checks that names are matched whole and ignoring case.
func TestHeaderKindFold(t *testing.T) {
	for _, h := range knownHeaders {
		upper := []byte(h.name)
		for i, c := range upper {
			if c >= 'a' && c <= 'z' {
				upper[i] = c - ('a' - 'A')
			}
		}
		if k := headerKind(upper); k != h.kind {
			t.Errorf("headerKind(%s) = %d, want %d", upper, k, h.kind)
		}
		if k := headerKind([]byte(h.name + "x")); k != hdrOther {
			t.Errorf("headerKind(%sx) = %d", h.name, k)
		}
	}
	for _, name := range []string{"", "x", "hosu", "Hos\x01", "http2\x12settings", "Content-Lengt\x68"} {
		want := hdrOther
		if name == "Content-Lengt\x68" {
			want = hdrContentLength
		}
		if k := headerKind([]byte(name)); k != want {
			t.Errorf("headerKind(%q) = %d, want %d", name, k, want)
		}
	}
}

// TestHeaderKindWords checks the word-at-a-time compare against equalFold
// for every known name with each of its bytes replaced by every byte.
func TestHeaderKindWords(t *testing.T) {
	ref := func(name []byte) hdrKind {
		for _, h := range knownHeaders {
			if equalFold(name, h.name) {
				return h.kind
			}
		}
		return hdrOther
	}
	for _, h := range knownHeaders {
		name := []byte(h.name)
		for i := range name {
			orig := name[i]
			for c := 0; c < 256; c++ {
				name[i] = byte(c)
				if got, want := headerKind(name), ref(name); got != want {
					t.Fatalf("headerKind(%q) = %d, want %d", name, got, want)
				}
			}
			name[i] = orig
		}
	}
}

// TestMayBeKnown checks that mayBeKnown lets through every line that
// holds a known header, in any case and with whitespace before the colon,
// and turns away only lines whose name is no known header.
func TestMayBeKnown(t *testing.T) {
	for _, h := range knownHeaders {
		upper := []byte(h.name)
		for i, c := range upper {
			if c >= 'a' && c <= 'z' {
				upper[i] = c - ('a' - 'A')
			}
		}
		for _, name := range []string{h.name, string(upper)} {
			for _, sep := range []string{":", " :", "\t:", ": v"} {
				if line := []byte(name + sep); !knownHeaderTable.mayBeKnown(line) {
					t.Errorf("mayBeKnown(%q) = false", line)
				}
			}
		}
	}
	// Every byte in each of the first five places of each known line.
	check := func(line []byte) {
		if knownHeaderTable.mayBeKnown(line) {
			return
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return
		}
		name := bytes.TrimRight(line[:colon], " \t")
		if k := headerKind(name); k != hdrOther {
			t.Fatalf("mayBeKnown(%q) = false for kind %d", line, k)
		}
	}
	for _, h := range knownHeaders {
		for _, sep := range []string{":", " :", "\t:"} {
			line := []byte(h.name + sep)
			for i := 0; i < 5 && i < len(line); i++ {
				orig := line[i]
				for c := 0; c < 256; c++ {
					line[i] = byte(c)
					check(line)
					check(line[:i+1])
				}
				line[i] = orig
			}
		}
	}
	for _, s := range []string{"", "v", "vi", "via", "Via", "Date: x", "Accept: */*", "Cookie: a=b"} {
		check([]byte(s))
	}
}
