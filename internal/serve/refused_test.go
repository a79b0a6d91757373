package serve

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRefusedUploadAnswered: a client that sends its whole request
// before reading the answer (python http.client, many scripts) and POSTs
// a 2 MB capture without a token reads the 401: refuse() lingers on the
// connection, dropping what comes, before closing it (closed with the body
// unread, the kernel answered with a reset that discarded the 401).
func TestRefusedUploadAnswered(t *testing.T) {
	addr := runningServer(t)
	body := make([]byte, 2<<20)
	failed := 0
	for i := 0; i < 10; i++ {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		req := "POST /api/v1/ingest?name=x.pcap HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
		var werr error
		if _, werr = c.Write([]byte(req)); werr == nil {
			for off := 0; off < len(body) && werr == nil; off += 64 << 10 {
				_, werr = c.Write(body[off : off+64<<10])
				time.Sleep(time.Millisecond) // a link slower than loopback
			}
		}
		got, rerr := io.ReadAll(bufio.NewReader(c))
		c.Close()
		if werr != nil || !strings.HasPrefix(string(got), "HTTP/1.1 401 ") {
			failed++
			t.Logf("try %d: write %v, read %v, got %q", i, werr, rerr, got)
		}
	}
	if failed > 0 {
		t.Errorf("%d of 10 uploads without a token could not send it whole to read the 401 (connection reset)", failed)
	}
}
