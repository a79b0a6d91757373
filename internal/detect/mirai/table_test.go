package mirai

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestMiraiTablePairs: every pair of Mirai's own credential table that
// opens a device over telnet is a default-credential login. The default
// lists lacked five of them (root/zlxx., root/7ujMko0vizxv,
// admin/admin1234, admin/1111111, admin1/password), so with the asset
// inventory off (--no-assets, a detection-only sensor) a bot getting in
// with them went unreported; and root or admin with an empty password
// (also in the table, the passwordless root of many DVRs) was reported as
// a user name only, at confidence 0.5, though the telnet facts tell the
// password was empty.
func TestMiraiTablePairs(t *testing.T) {
	pairs := [][2]string{{"root", "zlxx."}, {"root", "7ujMko0vizxv"}, {"admin", "admin1234"}, {"admin", "1111111"},
		{"admin1", "password"}, {"root", ""}, {"admin", ""}}
	for i, p := range pairs {
		uid := fmt.Sprintf("T%d", i)
		alerts := dt.Run(t, New(DefaultConfig()), []dt.Line{telnetAuth(1000, uid, 40000+i, p[0], p[1], true)})
		if len(alerts) != 1 {
			t.Errorf("%s/%q: %d alerts", p[0], p[1], len(alerts))
			continue
		}
		if a := alerts[0]; a.Confidence < 0.9 || a.Evidence["password"] != p[1] || a.UID != uid {
			t.Errorf("%s/%q: %s", p[0], p[1], a.JSON())
		}
	}
}
