package telnet

import (
	"fmt"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// TestPasswordlessLogin: many DVRs, cameras and home routers ship a root
// account without a password: BusyBox login asks for the user name and,
// the password being empty, drops straight into the shell with no
// password prompt. Mirai and Gafgyt bots log into these all the time
// (Mirai's table has root and admin with an empty password): the bot
// types "root", gets "# ", types its table's password as a shell command,
// then "enable", "system", "shell", "sh" and "/bin/busybox MIRAI". That is
// a successful login as root with an empty password, and it was not
// reported at all (no password prompt, so no attempt): neither the Mirai
// detector nor the inventory heard of it.
func TestPasswordlessLogin(t *testing.T) {
	steps := cat(
		[]step{{proto.FromResp, neg}, {proto.FromOrig, resp + naws}, {proto.FromResp, "\r\n(none) login: "}},
		typed("root", "\r\n", true),
		[]step{{proto.FromResp, busybox}},
		[]step{{proto.FromOrig, "xc3511\r\n"}, {proto.FromResp, "xc3511\r\n-sh: xc3511: not found\r\n# "}},
		[]step{{proto.FromOrig, "enable\r\n"}, {proto.FromResp, "enable\r\n-sh: enable: not found\r\n# "}},
		[]step{{proto.FromOrig, "/bin/busybox MIRAI\r\n"}, {proto.FromResp, "/bin/busybox MIRAI\r\nMIRAI: applet not found\r\n# "}},
	)
	want := fmt.Sprint([]attempt{{"root", "", true, 14}})
	for n := 0; n < 24; n++ {
		if got := fmt.Sprint(run(t, steps, n)); got != want {
			t.Fatalf("split %d: got %v\nwant %v", n, got, want)
		}
	}
}

// TestPasswordPromptAfterBanner: a banner line that ends in '>' or '#'
// between the user name and the password prompt is not a passwordless
// login: the password asked for next is the attempt.
func TestPasswordPromptAfterBanner(t *testing.T) {
	steps := []step{
		{proto.FromResp, "login: "},
		{proto.FromOrig, "admin\r\n"},
		{proto.FromResp, "admin\r\n#### Authorised users only ####"},
		{proto.FromResp, "\r\nPassword: "},
		{proto.FromOrig, "Tr0ub4dor&3\r\n"},
		{proto.FromResp, "\r\nLogin incorrect\r\nlogin: "},
	}
	want := fmt.Sprint([]attempt{{"admin", "Tr0ub4dor&3", false, 6}})
	for n := 0; n < 24; n++ {
		if got := fmt.Sprint(run(t, steps, n)); got != want {
			t.Fatalf("split %d: got %v\nwant %v", n, got, want)
		}
	}
}
