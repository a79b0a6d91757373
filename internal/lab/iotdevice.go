package lab

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// iotTelnet emulates the telnet service of a cheap IP camera: busybox
// telnetd's option negotiation, a login prompt that takes a factory default
// credential, and a shell that answers the commands Mirai's loader sends
// ("enable", "system", "shell", "sh", "/bin/busybox MIRAI") the way busybox
// does, without executing anything. Real busybox telnetd is not in
// Debian's busybox, and a real login would hand out a root shell on the
// lab's host.
type iotTelnet struct {
	user, pass string
	hostname   string

	mu      sync.Mutex
	lns     []net.Listener
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	closing bool
}

const (
	iotUser     = "root"
	iotPassword = "xc3511" // XiongMai cameras' default, in Mirai's list
	// iotSessionLimit bounds one telnet session.
	iotSessionLimit = 2 * time.Minute
	iotMaxConns     = 64
)

func newIoTTelnet() *iotTelnet {
	return &iotTelnet{user: iotUser, pass: iotPassword, hostname: "ipcam", conns: map[net.Conn]struct{}{}}
}

// serve accepts connections on ln until close.
func (t *iotTelnet) serve(ln net.Listener) {
	t.mu.Lock()
	t.lns = append(t.lns, ln)
	t.mu.Unlock()
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !t.track(c) {
				c.Close()
				continue
			}
			t.wg.Add(1)
			go func() {
				defer t.wg.Done()
				defer t.untrack(c)
				_ = c.SetDeadline(time.Now().Add(iotSessionLimit))
				t.session(c)
			}()
		}
	}()
}

func (t *iotTelnet) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing || len(t.conns) >= iotMaxConns {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *iotTelnet) untrack(c net.Conn) {
	c.Close()
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// close stops the listeners and every session, and waits for them.
func (t *iotTelnet) close() {
	t.mu.Lock()
	t.closing = true
	for _, ln := range t.lns {
		ln.Close()
	}
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// Telnet bytes (RFC 854).
const (
	tnIAC  = 255
	tnDONT = 254
	tnDO   = 253
	tnWONT = 252
	tnWILL = 251
	tnSB   = 250
	tnSE   = 240

	tnOptEcho = 1
	tnOptSGA  = 3
	tnOptNAWS = 31
)

func (t *iotTelnet) session(c net.Conn) {
	r := &telnetReader{r: bufio.NewReader(c)}
	w := bufio.NewWriter(c)
	// busybox telnetd's opening negotiation, then the prompt a moment later.
	w.Write([]byte{tnIAC, tnDO, tnOptEcho, tnIAC, tnDO, tnOptNAWS, tnIAC, tnWILL, tnOptEcho, tnIAC, tnWILL, tnOptSGA})
	w.Flush()
	time.Sleep(200 * time.Millisecond)
	// One attempt per connection, as many cameras' telnetd allow (and as
	// Mirai tries them); hydra copes with this better than with a second
	// prompt on the same connection.
	if ok, err := t.login(r, w); err == nil && ok {
		t.shell(r, w)
	}
}

// login asks for a user name and password; true when they are the
// device's credential.
func (t *iotTelnet) login(r *telnetReader, w *bufio.Writer) (bool, error) {
	w.WriteString("\r\n" + t.hostname + " login: ")
	w.Flush()
	var user string
	for user == "" {
		// An empty line gets no new prompt: a client that sends one after a
		// failure (hydra does) is not answered twice.
		line, err := r.line(w) // echoes what is typed
		if err != nil {
			return false, err
		}
		user = strings.TrimSpace(line)
	}
	w.WriteString("Password: ")
	w.Flush()
	pass, err := r.line(nil)
	if err != nil {
		return false, err
	}
	w.WriteString("\r\n")
	if user == t.user && pass == t.pass {
		return true, nil
	}
	time.Sleep(300 * time.Millisecond)
	w.WriteString("Login incorrect\r\n")
	return false, w.Flush()
}

// shell answers like busybox ash on a device whose busybox lacks the
// applets a bot probes for. Nothing is executed.
func (t *iotTelnet) shell(r *telnetReader, w *bufio.Writer) {
	w.WriteString("\r\n\r\nBusyBox v1.24.1 (2016-10-11 11:06:02 CST) built-in shell (ash)\r\n" +
		"Enter 'help' for a list of built-in commands.\r\n\r\n")
	for {
		w.WriteString("# ")
		w.Flush()
		line, err := r.line(w)
		if err != nil {
			return
		}
		cmd := strings.TrimSpace(line)
		fields := strings.Fields(cmd)
		switch {
		case cmd == "exit" || cmd == "logout":
			w.Flush()
			return
		case cmd == "" || cmd == "enable" || cmd == "system" || cmd == "shell" || cmd == "sh":
		case strings.HasSuffix(fields[0], "busybox") && len(fields) > 1:
			w.WriteString(fields[1] + ": applet not found\r\n")
		default:
			w.WriteString("-sh: " + fields[0] + ": not found\r\n")
		}
	}
}

// telnetReader reads lines from a telnet client, dropping option
// negotiation and treating CR LF, CR NUL, CR and LF as line ends.
type telnetReader struct {
	r      *bufio.Reader
	lastCR bool
}

var errLineTooLong = errors.New("telnet: line too long")

// line reads one line; when echo is not nil, the line is echoed to it.
func (tr *telnetReader) line(echo *bufio.Writer) (string, error) {
	var b []byte
	for {
		c, err := tr.dataByte()
		if err != nil {
			return "", err
		}
		if tr.lastCR && (c == '\n' || c == 0) {
			tr.lastCR = false
			continue
		}
		tr.lastCR = c == '\r'
		if c == '\r' || c == '\n' {
			if echo != nil {
				echo.WriteString("\r\n")
				echo.Flush()
			}
			return string(b), nil
		}
		if len(b) >= 256 {
			return "", errLineTooLong
		}
		b = append(b, c)
		if echo != nil {
			echo.WriteByte(c)
			echo.Flush()
		}
	}
}

// dataByte returns the next byte of data, skipping telnet commands.
func (tr *telnetReader) dataByte() (byte, error) {
	for {
		c, err := tr.r.ReadByte()
		if err != nil || c != tnIAC {
			return c, err
		}
		cmd, err := tr.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch cmd {
		case tnIAC:
			return tnIAC, nil
		case tnWILL, tnWONT, tnDO, tnDONT:
			if _, err := tr.r.ReadByte(); err != nil {
				return 0, err
			}
		case tnSB:
			if err := tr.skipSubnegotiation(); err != nil {
				return 0, err
			}
		}
	}
}

func (tr *telnetReader) skipSubnegotiation() error {
	for n := 0; n < 512; n++ {
		c, err := tr.r.ReadByte()
		if err != nil {
			return err
		}
		if c == tnIAC {
			c2, err := tr.r.ReadByte()
			if err != nil {
				return err
			}
			if c2 == tnSE {
				return nil
			}
		}
	}
	return io.ErrUnexpectedEOF
}
