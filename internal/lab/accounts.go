package lab

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The server's accounts. The lab gives srv a passwd, shadow and group of
// its own (in /etc/netns/vgl-srv, which `ip netns exec` mounts over /etc
// for the server's processes only): the host's system accounts, locked,
// and one lab user, whose shell (/bin/sh) reads no start-up files of the
// host's root. The host's own shadow file is never read or copied.
const (
	labUser         = "alice"
	labUserPassword = "Summer-Breeze-1987!"
	labUserID       = 1066
)

var accountFiles = []string{"passwd", "shadow", "group"}

// writeServerAccounts prepares the server's account files in the work
// directory (work/etc).
func writeServerAccounts(ctx context.Context, w workDir) error {
	home := w.path("home", labUser)
	if err := authorizeClientKey(w, home); err != nil {
		return err
	}
	hash, err := exec.CommandContext(ctx, "openssl", "passwd", "-6", labUserPassword).Output()
	if err != nil {
		return fmt.Errorf("openssl passwd: %w", err)
	}
	passwd, names, err := systemEntries("/etc/passwd", 2)
	if err != nil {
		return err
	}
	group, _, err := systemEntries("/etc/group", 2)
	if err != nil {
		return err
	}
	var shadow []string
	for _, n := range names {
		shadow = append(shadow, n+":*:20000:0:99999:7:::")
	}
	passwd = append(passwd, fmt.Sprintf("%s:x:%d:%d:Alice (vigil lab):%s:/bin/sh", labUser, labUserID, labUserID, home))
	group = append(group, fmt.Sprintf("%s:x:%d:", labUser, labUserID))
	shadow = append(shadow, fmt.Sprintf("%s:%s:20000:0:99999:7:::", labUser, strings.TrimSpace(string(hash))))
	for name, lines := range map[string][]string{"passwd": passwd, "group": group, "shadow": shadow} {
		mode := os.FileMode(0o644)
		if name == "shadow" {
			mode = 0o640
		}
		if _, err := w.write("etc/"+name, strings.Join(lines, "\n")+"\n", mode); err != nil {
			return err
		}
	}
	return nil
}

// systemEntries returns the lines of an /etc/passwd-like file whose id
// (field idField) is below 1000, or that name nobody/nogroup, and their
// names; a host entry named like the lab user is left out.
func systemEntries(path string, idField int) (lines, names []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) <= idField || fields[0] == labUser {
			continue
		}
		id, err := strconv.Atoi(fields[idField])
		if err != nil {
			continue
		}
		if id < 1000 || fields[0] == "nobody" || fields[0] == "nogroup" {
			lines = append(lines, sc.Text())
			names = append(names, fields[0])
		}
	}
	return lines, names, sc.Err()
}

// installServerAccounts puts the account files where `ip netns exec
// vgl-srv` mounts them.
func installServerAccounts(w workDir) error {
	dir := filepath.Join(etcNetns, hostServer.NS())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range accountFiles {
		b, err := os.ReadFile(w.path("etc", name))
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if name == "shadow" {
			mode = 0o640
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, mode); err != nil {
			return err
		}
	}
	return nil
}

// authorizeClientKey makes the lab user's home with the benign client's
// key in .ssh/authorized_keys, owned by the user as sshd requires.
func authorizeClientKey(w workDir, home string) error {
	pub, err := os.ReadFile(w.path("ssh/client_ed25519.pub"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	sshDir := filepath.Join(home, ".ssh")
	if err := os.Mkdir(sshDir, 0o700); err != nil {
		return err
	}
	keys := filepath.Join(sshDir, "authorized_keys")
	if err := os.WriteFile(keys, pub, 0o600); err != nil {
		return err
	}
	for _, p := range []string{home, sshDir, keys} {
		if err := os.Chown(p, labUserID, labUserID); err != nil {
			return err
		}
	}
	return nil
}
