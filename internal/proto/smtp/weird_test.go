package smtp

import (
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// TestBDATArg reads BDAT arguments as Zeek's parse_bdat_arg does.
func TestBDATArg(t *testing.T) {
	cases := []struct {
		arg     string
		size    uint64
		last    bool
		problem string
	}{
		{"86 LAST", 86, true, ""},
		{"86 last", 86, true, ""},
		{"86", 86, false, ""},
		{"18446744073709551615 LAST", 18446744073709551615, true, ""},
		{"", 0, false, "BDAT argument bad length"},
		{"184467440737095516150 LAST", 0, false, "BDAT argument bad length"},
		{" 86 LAST", 0, false, "BDAT not followed by a valid chunk-size"},
		{"-42 LAST", 0, false, "BDAT not followed by a valid chunk-size"},
		{"scramble LAST", 0, false, "BDAT not followed by a valid chunk-size"},
		{"86LAST", 0, false, "BDAT chunk-size not valid"},
		{"184467440737095516150", 0, false, "BDAT chunk-size too large"},
		{"86 SCRAMBLE", 86, false, "BDAT chunk-size followed by junk"},
		{"86 LASTSCRAMBLE", 86, true, "BDAT chunk-size followed by junk"},
	}
	for _, c := range cases {
		size, last, problem := bdatArg(c.arg)
		if problem != c.problem || problem == "" && (size != c.size || last != c.last) {
			t.Errorf("bdatArg(%q) = %d, %v, %q; want %d, %v, %q", c.arg, size, last, problem, c.size, c.last, c.problem)
		}
	}
}

// TestWeirds checks the SMTP weirds Zeek's analyzer and smtp/main.zeek
// report, once per connection each.
func TestWeirds(t *testing.T) {
	greet := step{proto.FromResp, "220 mx ready\r\n"}
	cases := []struct {
		name  string
		steps []step
		want  []string // name=addl
	}{
		{"a whole transaction", session, nil},
		{"rcpt without mail", []step{greet, {proto.FromOrig, "HELO c\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\n"}},
			[]string{"smtp_mail_transaction_invalid=rcpt to missing mail from"}},
		{"data without rcpt", []step{greet, {proto.FromOrig, "HELO c\r\nMAIL FROM:<a@example.org>\r\nDATA\r\n"}},
			[]string{"smtp_mail_transaction_invalid=data missing rcpt to"}},
		{"bad BDAT", []step{greet, {proto.FromOrig, "HELO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nBDAT 5 LATER\r\n"}},
			[]string{"smtp_invalid_bdat_command=BDAT chunk-size followed by junk"}},
		{"huge BDAT", []step{greet, {proto.FromOrig, "HELO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nBDAT 15555555557777777777\r\n"}},
			[]string{"smtp_huge_bdat_chunk=15555555557777777777"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &prototest.MapSink{LogKey: "_log"}
			a := New(ci, s)
			for i, st := range c.steps {
				prototest.Feed(a, st.dir, int64(i+1)*1e9, []byte(st.data), 0)
			}
			a.End(1e12)
			if got := s.Weirds(); !slices.Equal(got, c.want) {
				t.Errorf("weirds %q, want %q", got, c.want)
			}
		})
	}
}
