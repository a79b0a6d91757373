package ftp

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// TestWeirds checks the FTP weirds Zeek's analyzer reports once the
// connection speaks FTP, once per connection each.
func TestWeirds(t *testing.T) {
	hello := step{proto.FromResp, "220 ready\r\n"}
	user := step{proto.FromOrig, "USER alice\r\n"}
	long := strings.Repeat("X", 132)
	cases := []struct {
		name  string
		steps []step
		want  []string // name=addl
	}{
		{"a login", []step{hello, user, {proto.FromResp, "331 password\r\n"}}, nil},
		{"long command", []step{hello, user, {proto.FromOrig, long + " x\r\n" + long + "\r\n"}},
			[]string{"FTP_max_command_length_exceeded=132 > 100"}},
		{"long command first", []step{hello, {proto.FromOrig, long + " x\r\n"}}, nil},
		{"no command", []step{hello, user, {proto.FromOrig, "ab\r\n"}}, []string{"FTP_invalid_command="}},
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
