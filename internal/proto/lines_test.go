package proto

import (
	"strings"
	"testing"
)

// lines feeds input to a LineBuffer cut into pieces of size n and returns
// the lines it gives (with "!" appended to a line reported long).
func lines(input string, n, max int, lfOnly bool) []string {
	var b LineBuffer
	var out []string
	for len(input) > 0 {
		piece := []byte(input[:min(n, len(input))])
		input = input[len(piece):]
		data := piece
		for len(data) > 0 {
			if !lfOnly {
				data = b.SkipLF(data)
			}
			var line, rest []byte
			var long, ok bool
			if lfOnly {
				line, rest, ok = b.NextLF(data, max)
			} else {
				line, long, rest, ok = b.Next(data, max)
			}
			if !ok {
				break
			}
			s := string(line)
			if long {
				s += "!"
			}
			out = append(out, s)
			data = rest
		}
	}
	return out
}

func TestLineBuffer(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		max    int
		lfOnly bool
		want   string // lines joined by |
	}{
		{"crlf", "EHLO a\r\nMAIL FROM:<x>\r\n", 100, false, "EHLO a|MAIL FROM:<x>"},
		{"lf and cr", "a\nb\rc\r\n", 100, false, "a|b|c"},
		{"empty lines", "\r\n\r\nx\r\n", 100, false, "||x"},
		{"too long", "abcdefgh\r\nok\r\n", 4, false, "abcd!|ok"},
		{"no end", "partial", 100, false, ""},
		{"lf only keeps inner cr", "a\rb\r\nc\n", 100, true, "a\rb|c"},
	}
	for _, tc := range tests {
		for n := 1; n <= len(tc.input); n++ {
			got := strings.Join(lines(tc.input, n, tc.max, tc.lfOnly), "|")
			if got != tc.want {
				t.Errorf("%s, pieces of %d: got %q, want %q", tc.name, n, got, tc.want)
				break
			}
		}
	}
}

func TestTLSHandoverOnce(t *testing.T) {
	var h TLSHandover
	if _, _, ok := h.Upgrade(); ok {
		t.Fatal("hand-over before Start")
	}
	h.Begin()
	h.Start(17)
	next, consumed, ok := h.Upgrade()
	if !ok || next != "ssl" || consumed != 17 {
		t.Fatalf("Upgrade() = %q, %d, %v", next, consumed, ok)
	}
	if _, _, ok := h.Upgrade(); ok {
		t.Fatal("hand-over reported twice")
	}
}
