package dns

import (
	"strconv"
	"testing"
)

// TestNameTables holds TypeName, ClassName and RcodeName, which look
// small values up in arrays, to their maps for every value.
func TestNameTables(t *testing.T) {
	fromMap := func(m map[uint16]string, v uint16, prefix string) string {
		if s, ok := m[v]; ok {
			return s
		}
		return prefix + strconv.Itoa(int(v))
	}
	for v := range 1 << 16 {
		u := uint16(v)
		if got, want := TypeName(u), fromMap(typeNames, u, "query-"); got != want {
			t.Fatalf("TypeName(%d) = %q, want %q", u, got, want)
		}
		if got, want := string(appendTypeName(nil, u)), fromMap(typeNames, u, "query-"); got != want {
			t.Fatalf("appendTypeName(%d) = %q, want %q", u, got, want)
		}
		if got, want := ClassName(u), fromMap(classNames, u, "qclass-"); got != want {
			t.Fatalf("ClassName(%d) = %q, want %q", u, got, want)
		}
		if got, want := RcodeName(u), fromMap(rcodeNames, u, "rcode-"); got != want {
			t.Fatalf("RcodeName(%d) = %q, want %q", u, got, want)
		}
	}
}
