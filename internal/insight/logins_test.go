package insight

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// session is one TCP connection of a test capture: the client's and the
// server's messages in turn, the client's first unless serverFirst.
type session struct {
	client, server         string
	clientPort, serverPort uint16
	serverFirst            bool
	turns                  []string
}

// frames builds the session's packets: handshake, each turn with the
// peer's ACK, FIN from the client and the server's FIN-ACK.
func (s session) frames() [][]byte {
	c, sv := netip.MustParseAddr(s.client), netip.MustParseAddr(s.server)
	seq := [2]uint32{1000, 9000} // client, server
	pkt := func(from int, flags byte, payload string) []byte {
		src, dst, sp, dp := c, sv, s.clientPort, s.serverPort
		if from == 1 {
			src, dst, sp, dp = sv, c, s.serverPort, s.clientPort
		}
		b := tcpFrame(src, dst, sp, dp, seq[from], seq[1-from], flags, []byte(payload))
		seq[from] += uint32(len(payload))
		if flags&0x03 != 0 { // SYN, FIN
			seq[from]++
		}
		return b
	}
	out := [][]byte{pkt(0, 0x02, ""), pkt(1, 0x12, ""), pkt(0, 0x10, "")}
	from := 0
	if s.serverFirst {
		from = 1
	}
	for _, t := range s.turns {
		out = append(out, pkt(from, 0x18, t), pkt(1-from, 0x10, ""))
		from = 1 - from
	}
	return append(out, pkt(0, 0x11, ""), pkt(1, 0x11, ""), pkt(0, 0x10, ""))
}

// tcpFrame is an Ethernet/IPv4/TCP frame with correct checksums (ACK set
// unless flags is a bare SYN).
func tcpFrame(src, dst netip.Addr, sp, dp uint16, seq, ack uint32, flags byte, payload []byte) []byte {
	if flags != 0x02 {
		flags |= 0x10
	} else {
		ack = 0
	}
	ip := make([]byte, 40+len(payload))
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	s4, d4 := src.As4(), dst.As4()
	copy(ip[12:], s4[:])
	copy(ip[16:], d4[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip[:20], 0))
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12], tcp[13] = 5<<4, flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	copy(tcp[20:], payload)
	pseudo := uint32(6 + len(tcp))
	for i := 12; i < 20; i += 2 {
		pseudo += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	binary.BigEndian.PutUint16(tcp[16:], checksum(tcp, pseudo))
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}
	return append(eth, ip...)
}

func checksum(b []byte, s uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// writeSessions writes the sessions one after the other, 10 ms between
// packets, to a pcap in a test directory.
func writeSessions(t *testing.T, sessions ...session) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "logins.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := capture.NewWriter(bw, decode.LinkEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for _, s := range sessions {
		for _, fr := range s.frames() {
			ts += int64(10 * time.Millisecond)
			if err := w.WritePacket(ts, fr, len(fr)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

func ftpSession(server string, port uint16, user, password string) session {
	return session{client: "10.0.0.9", server: server, clientPort: port, serverPort: 21, serverFirst: true, turns: []string{
		"220 NAS FTP server ready\r\n", "USER " + user + "\r\n", "331 Password required\r\n", "PASS " + password + "\r\n",
		"230 Login successful.\r\n", "PASV\r\n", "227 Entering Passive Mode (10,0,0,1,4,1)\r\n", "QUIT\r\n", "221 Goodbye.\r\n",
	}}
}

func basicSession(server string, port uint16, user, password string) session {
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return session{client: "10.0.0.9", server: server, clientPort: port, serverPort: 80, turns: []string{
		"GET /cgi-bin/snapshot.cgi HTTP/1.1\r\nHost: " + server + "\r\nAuthorization: Basic " + cred + "\r\n\r\n",
		"HTTP/1.1 200 OK\r\nServer: cam\r\nContent-Length: 2\r\n\r\nok",
	}}
}

// mqttSession is an MQTT 3.1.1 CONNECT with user and password, accepted.
func mqttSession(server string, port uint16, user, password string) session {
	str := func(v string) string { return string([]byte{byte(len(v) >> 8), byte(len(v))}) + v }
	body := str("MQTT") + "\x04\xc2\x00\x3c" + str("nvr-"+server) + str(user) + str(password)
	return session{client: "10.0.0.9", server: server, clientPort: port, serverPort: 1883, turns: []string{
		"\x10" + string([]byte{byte(len(body))}) + body, "\x20\x02\x00\x00",
	}}
}

// TestDefaultUserLoginsEndToEnd: `vigil analyze` over a capture of an
// NVR logging in as admin to two NAS boxes over FTP, two cameras over
// HTTP Basic and two MQTT brokers, each pair with a strong password and
// with admin/admin. ftp.log, http.log and mqtt_connect.log hide the
// passwords (as Zeek); the login facts carry them to the detectors and
// the inventory, so only the three admin/admin logins are
// iot.default_creds, with the inventory (one alert each, its finding) and
// without it (the Mirai detector's).
func TestDefaultUserLoginsEndToEnd(t *testing.T) {
	pcap := writeSessions(t,
		ftpSession("10.0.0.21", 40000, "admin", "S3cure-Passphrase!"),
		ftpSession("10.0.0.22", 40001, "admin", "admin"),
		basicSession("10.0.0.80", 40002, "admin", "Vr8#kq2-Lm"),
		basicSession("10.0.0.81", 40003, "admin", "admin"),
		mqttSession("10.0.0.18", 40004, "admin", "Kp9!zQ-broker"),
		mqttSession("10.0.0.19", 40005, "admin", "admin"),
	)
	for i, noAssets := range []bool{false, true, false, true} {
		cfg := DefaultConfig()
		cfg.NoAssets = noAssets
		out := t.TempDir()
		set, err := New(cfg, out)
		if err != nil {
			t.Fatal(err)
		}
		acfg := analyze.DefaultConfig()
		acfg.OutDir, acfg.Workers, acfg.Consumers = out, 1+i/2*3, set.Consumers() // 1 and 4 workers
		if _, err := analyze.Run(context.Background(), acfg, []string{pcap}); err != nil {
			t.Fatal(err)
		}
		if err := set.Close(); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
			if a["class"] != "iot.default_creds" {
				continue
			}
			dst, _ := a["dst"].(string)
			got[dst]++
			detector := "assets" // the inventory's default_creds finding
			if noAssets {
				detector = "mirai"
			}
			if c, _ := a["confidence"].(float64); c < 0.9 || a["detector"] != detector || !strings.Contains(a["summary"].(string), "admin") {
				t.Errorf("no-assets %v: %v", noAssets, a)
			}
		}
		if len(got) != 3 || got["10.0.0.22"] != 1 || got["10.0.0.81"] != 1 || got["10.0.0.19"] != 1 {
			t.Errorf("no-assets %v: iot.default_creds alerts by server %v, want one for 10.0.0.22 (ftp), 10.0.0.81 (http) and 10.0.0.19 (mqtt)", noAssets, got)
		}
		checkPasswordsHidden(t, out)
	}
}

// checkPasswordsHidden: the logs on disk keep Zeek's behaviour (ftp.log
// <hidden>, http.log and mqtt_connect.log no password), and no fact is
// written.
func checkPasswordsHidden(t *testing.T, out string) {
	t.Helper()
	for _, log := range []string{"ftp.log", "http.log", "mqtt_connect.log"} {
		b, err := os.ReadFile(filepath.Join(out, log))
		if err != nil {
			t.Fatal(err)
		}
		if s := string(b); strings.Contains(s, "S3cure") || strings.Contains(s, "Vr8#") || strings.Contains(s, "Kp9!") || strings.Contains(s, `"password":"admin"`) {
			t.Errorf("%s shows a password:\n%s", log, s)
		}
	}
	names, _ := filepath.Glob(filepath.Join(out, "_*"))
	if len(names) > 0 {
		t.Errorf("facts written: %v", names)
	}
}
