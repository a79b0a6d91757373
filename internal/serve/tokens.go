package serve

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// Tokens are the API's bearer tokens: admin may write and configure,
// read may only read.
type Tokens struct {
	Admin string `json:"admin"`
	Read  string `json:"read"`
}

// Roles.
const (
	roleNone  = ""
	roleRead  = "read"
	roleAdmin = "admin"
)

// loadTokens reads path, or makes new tokens and writes them there with
// mode 0600; created reports the latter (the caller prints them once).
func loadTokens(path string) (t Tokens, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &t); err != nil || t.Admin == "" || t.Read == "" {
			return t, false, fmt.Errorf("serve: %s: not a tokens file (delete it to make new tokens)", path)
		}
		return t, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return t, false, fmt.Errorf("serve: tokens: %w", err)
	}
	t = Tokens{Admin: "vga_" + randomHex(24), Read: "vgr_" + randomHex(24)}
	b, _ = json.MarshalIndent(t, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return t, false, fmt.Errorf("serve: write tokens: %w", err)
	}
	return t, true, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// role returns the role of the request's token: from the Authorization
// header (Bearer), or the token query parameter for GET requests (the
// browser's EventSource and download links cannot set headers).
func (t Tokens) role(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && r.Method == http.MethodGet {
		tok = r.URL.Query().Get("token")
	}
	tok = strings.TrimSpace(tok)
	switch {
	case tok == "":
		return roleNone
	case subtle.ConstantTimeCompare([]byte(tok), []byte(t.Admin)) == 1:
		return roleAdmin
	case subtle.ConstantTimeCompare([]byte(tok), []byte(t.Read)) == 1:
		return roleRead
	}
	return roleNone
}
