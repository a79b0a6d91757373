package lab

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Credentials of the lab's services. The brute-force wordlists do not hold
// the servers' passwords (those attacks fail, as most do); the IoT device's
// factory default is in Mirai's list and the telnet wordlist.
const (
	mqttUser        = "sensor"
	mqttPassword    = "Tel3metry-2024"
	mqttDashUser    = "dashboard"
	mqttDashPass    = "D4shb0ard-ro"
	httpAdminUser   = "admin"
	httpAdminPass   = "Adm1n-Portal!9"
	srvTelnetUser   = "operator"
	srvTelnetPass   = "Op3rator#77"
	iodinePassword  = "vigil-lab-tunnel"
	exfilFileSizeMB = 20
)

// workDir is the lab's temporary directory: service configurations, keys,
// certificates, web content, wordlists and process logs. It is created at
// New-time-plus-Run and removed by Close.
type workDir string

func (w workDir) path(parts ...string) string {
	return filepath.Join(append([]string{string(w)}, parts...)...)
}

func (w workDir) write(name, content string, mode os.FileMode) (string, error) {
	p := w.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("lab: write %s: %w", name, err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		return "", fmt.Errorf("lab: write %s: %w", name, err)
	}
	return p, nil
}

// prepareFiles makes what every run shares: TLS certificates, SSH keys,
// the web sites, the FTP tree, password files, wordlists and the exfil
// payload.
func prepareFiles(ctx context.Context, w workDir) error {
	steps := []struct {
		name string
		fn   func(context.Context, workDir) error
	}{
		{"tls certificates", writeCertificates},
		{"ssh keys", writeSSHKeys},
		{"web content", writeWebContent},
		{"ftp tree", writeFTPTree},
		{"passwords", writePasswordFiles},
		{"server accounts", writeServerAccounts},
		{"wordlists", writeWordlists},
		{"exfil payload", writeExfilPayload},
	}
	for _, s := range steps {
		if err := s.fn(ctx, w); err != nil {
			return fmt.Errorf("lab: prepare %s: %w", s.name, err)
		}
	}
	return nil
}

// writeCertificates makes a self-signed certificate for the LAN's web
// server and one for the outside C2 server.
func writeCertificates(_ context.Context, w workDir) error {
	certs := []struct {
		name  string
		cn    string
		dns   []string
		addrs []net.IP
	}{
		{"srv", "www." + lanDomain, []string{"www." + lanDomain, "srv." + lanDomain},
			[]net.IP{hostServer.IPv4().AsSlice(), hostServer.IPv6().AsSlice()}},
		{"ext", c2Name, []string{c2Name},
			[]net.IP{hostExt.IPv4().AsSlice(), hostExt.IPv6().AsSlice()}},
	}
	for _, c := range certs {
		if err := writeSelfSigned(w, c.name, c.cn, c.dns, c.addrs); err != nil {
			return err
		}
	}
	return writeExpired(w)
}

// expiredName is the outside site whose certificate tls-expired shows: a
// lab CA issued it, and it expired a year ago.
const expiredName = "shop.old-store.example"

// writeExpired makes tls/expired.crt (the site's certificate, then its
// issuer's) and tls/expired.key.
func writeExpired(w workDir) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Old Store Issuing CA", Organization: []string{"Vigil lab"}},
		NotBefore: now.Add(-5 * 365 * 24 * time.Hour), NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: expiredName, Organization: []string{"Vigil lab"}},
		NotBefore: now.Add(-2 * 365 * 24 * time.Hour), NotAfter: now.Add(-365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{expiredName},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if _, err := w.write("tls/expired.crt", string(chain), 0o644); err != nil {
		return err
	}
	_, err = w.write("tls/expired.key", string(keyPEM), 0o600)
	return err
}

func writeSelfSigned(w workDir, name, cn string, dns []string, addrs []net.IP) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Vigil lab"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           addrs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if _, err := w.write("tls/"+name+".crt", string(certPEM), 0o644); err != nil {
		return err
	}
	_, err = w.write("tls/"+name+".key", string(keyPEM), 0o600)
	return err
}

// writeSSHKeys makes sshd's host key and the benign client's key (which
// writeServerAccounts authorizes for the lab user).
func writeSSHKeys(ctx context.Context, w workDir) error {
	if err := os.MkdirAll(w.path("ssh"), 0o700); err != nil {
		return err
	}
	for _, k := range []string{"ssh/host_ed25519", "ssh/client_ed25519"} {
		out, err := exec.CommandContext(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vigil-lab", "-f", w.path(k)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ssh-keygen: %w: %s", err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// writeWebContent makes a small intranet site on srv and the C2's pages on
// ext.
func writeWebContent(_ context.Context, w workDir) error {
	pages := map[string]string{
		"www/index.html":         page("Intranet", `<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js"></script><p>Welcome to the lab intranet. <a href="/news.html">News</a> <a href="/docs/handbook.html">Handbook</a></p>`),
		"www/news.html":          page("News", "<p>The canteen is closed on Friday. The VPN maintenance window is Sunday 02:00.</p>"),
		"www/docs/handbook.html": page("Handbook", strings.Repeat("<p>Employees shall lock their screens when they leave their desk.</p>\n", 60)),
		"www/static/site.css":    "body{font-family:sans-serif;margin:2em}h1{color:#234}\n",
		"www/static/app.js":      "document.addEventListener('DOMContentLoaded',()=>{fetch('/api/status.json')});\n",
		"www/api/status.json":    `{"status":"ok","services":["mail","wiki","files"]}` + "\n",
		"www/admin/index.html":   page("Admin", "<p>Device administration.</p>"),
		"www-dev/index.html":     page("Staging", "<p>Staging copy of the intranet. Do not link.</p>"),
		"c2/index.html":          page("Welcome", "<p>It works.</p>"),
		"c2/update.bin":          strings.Repeat("\x7fELF-not-really", 4096),
	}
	for name, content := range pages {
		if _, err := w.write(name, content, 0o644); err != nil {
			return err
		}
	}
	if err := writeRandomFile(w.path("www/files/report.pdf"), 160<<10); err != nil {
		return err
	}
	// What the intel-ioc scenario downloads from the listed URL.
	return writeRandomFile(w.path("c2"+iocPath), 120<<10)
}

func page(title, body string) string {
	return "<!doctype html><html><head><title>" + title + "</title></head><body><h1>" + title + "</h1>" + body + "</body></html>\n"
}

func writeFTPTree(_ context.Context, w workDir) error {
	if err := os.MkdirAll(w.path("ftp-empty"), 0o755); err != nil {
		return err
	}
	_, err := w.write("ftp/pub/README.txt", "Lab FTP server. Firmware images are in /pub/firmware.\n", 0o644)
	if err != nil {
		return err
	}
	return writeRandomFile(w.path("ftp/pub/firmware/cam-fw-2.4.1.bin"), 128<<10)
}

// writePasswordFiles writes nginx's basic-auth file ({SHA} scheme, which
// nginx reads) and mosquitto's password file (through mosquitto_passwd,
// which hashes in mosquitto's own format).
func writePasswordFiles(ctx context.Context, w workDir) error {
	sum := sha1.Sum([]byte(httpAdminPass))
	htpasswd := httpAdminUser + ":{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
	if _, err := w.write("htpasswd", htpasswd, 0o644); err != nil {
		return err
	}
	pw := w.path("mosquitto.passwd")
	for i, up := range [][2]string{{mqttUser, mqttPassword}, {mqttDashUser, mqttDashPass}} {
		args := []string{"-b", pw, up[0], up[1]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		out, err := exec.CommandContext(ctx, "mosquitto_passwd", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("mosquitto_passwd: %w: %s", err, strings.TrimSpace(string(out)))
		}
	}
	return os.Chmod(pw, 0o600)
}

// Wordlists of the brute-force scenarios: short, so each run stays bounded.
var (
	bruteUsers     = []string{"root", "admin", labUser, "user", "test", "operator"}
	brutePasswords = []string{
		"123456", "password", "12345678", "qwerty", "123456789", "12345", "1234", "111111",
		"1234567", "dragon", "123123", "baseball", "abc123", "football", "monkey", "letmein",
		"696969", "shadow", "master", "666666", "qwertyuiop", "123321", "mustang", "1234567890",
	}
	// sprayUsers and sprayPasswords are the password spray's: a few
	// accounts (the lab user's among them), passwords of the season.
	sprayUsers     = []string{"admin", labUser, "backup"}
	sprayPasswords = []string{"Winter2026!", "Welcome1!"}
	// stuffedCreds are the credential-stuffing scenario's pairs "leaked"
	// from another site: many accounts, each with a password of its own
	// (made up here).
	stuffedCreds = leakedPairs(30)
	// miraiCreds are pairs from Mirai's table (scanner.c), ending with the
	// IoT device's default.
	miraiCreds = [][2]string{
		{"root", "vizxv"}, {"admin", "admin"}, {"root", "admin"}, {"root", "888888"},
		{"root", "default"}, {"support", "support"}, {"root", "xc3511"},
	}
)

// leakedPairs makes n user:password lines, every user and every password
// different.
func leakedPairs(n int) []string {
	first := []string{"anna", "ben", "chloe", "dave", "emma", "felix", "grace", "hugo", "iris", "jack"}
	last := []string{"meyer", "novak", "ortiz"}
	words := []string{"Sunshine", "Dragon", "Harbor", "Maple", "Falcon", "Velvet", "Orbit", "Pepper", "Tundra", "Willow"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%s:%s%d!", first[i%len(first)], last[i/len(first)%len(last)], words[(i*7)%len(words)], 1990+i)
	}
	return out
}

func writeWordlists(_ context.Context, w workDir) error {
	if _, err := w.write("words/leaked-pairs.txt", strings.Join(stuffedCreds, "\n")+"\n", 0o644); err != nil {
		return err
	}
	if _, err := w.write("words/users.txt", strings.Join(bruteUsers, "\n")+"\n", 0o644); err != nil {
		return err
	}
	if _, err := w.write("words/passwords.txt", strings.Join(brutePasswords, "\n")+"\n", 0o644); err != nil {
		return err
	}
	// The telnet list holds the IoT hub's default near its end.
	telnet := slices.Insert(slices.Clone(brutePasswords), len(brutePasswords)-2, iotPassword)
	if _, err := w.write("words/telnet-passwords.txt", strings.Join(telnet, "\n")+"\n", 0o644); err != nil {
		return err
	}
	if _, err := w.write("words/spray-users.txt", strings.Join(sprayUsers, "\n")+"\n", 0o644); err != nil {
		return err
	}
	if _, err := w.write("words/spray-passwords.txt", strings.Join(sprayPasswords, "\n")+"\n", 0o644); err != nil {
		return err
	}
	if _, err := w.write("words/spray-targets.txt", strings.Join(addrStrings(sprayAddrs()), "\n")+"\n", 0o644); err != nil {
		return err
	}
	var combo []string
	for _, c := range miraiCreds {
		combo = append(combo, c[0]+":"+c[1])
	}
	_, err := w.write("words/mirai-combo.txt", strings.Join(combo, "\n")+"\n", 0o644)
	return err
}

func writeExfilPayload(_ context.Context, w workDir) error {
	return writeRandomFile(w.path("exfil/customers.tar.gz"), exfilFileSizeMB<<20)
}

func writeRandomFile(path string, size int) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
