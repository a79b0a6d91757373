package pop3

import (
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// TestWeirds checks the POP3 weirds Zeek's analyzer reports, once per
// connection each.
func TestWeirds(t *testing.T) {
	ok := step{proto.FromResp, "+OK ready\r\n"}
	cases := []struct {
		name  string
		steps []step
		want  []string // name=addl
	}{
		{"a session", session, nil},
		{"unknown reply", []step{ok, {proto.FromOrig, "LIST 1\r\n"}, {proto.FromResp, "GARBAGE here\r\nGARBAGE again\r\n"}},
			[]string{"pop3_server_command_unknown=GARBAGE"}},
		{"bare +", []step{ok, {proto.FromOrig, "NOOP\r\n"}, {proto.FromResp, "+\r\n"}}, []string{"pop3_server_command_unknown=+"}},
		{"server sends a command", []step{ok, {proto.FromOrig, "NOOP\r\n"}, {proto.FromResp, "USER x\r\n"}},
			[]string{"pop3_server_sending_client_commands="}},
		{"unknown command", []step{ok, {proto.FromOrig, "*2\r\n"}}, []string{"pop3_client_command_unknown=*2"}},
		{"client sends a reply", []step{ok, {proto.FromOrig, "+OK\r\n"}}, []string{"pop3_client_sending_server_commands="}},
		{"AUTH challenge", []step{ok, {proto.FromOrig, "AUTH PLAIN\r\n"}, {proto.FromResp, "+ \r\n"},
			{proto.FromOrig, "AGJvYgBzZWNyZXQ=\r\n"}, {proto.FromResp, "+OK welcome\r\n"}}, nil},
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
