package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

// TestSlowClientsNotHeld: a client with no token cannot hold a
// connection (a goroutine, a file descriptor): it is closed after its 401,
// also for a POST whose body never comes (net/http would read the body
// before writing the 401). A security review held 21,000 such connections,
// exhausting the server's descriptors, until requests with a valid token
// timed out.
func TestSlowClientsNotHeld(t *testing.T) {
	addr := runningServer(t)
	probes := map[string]string{
		"idle keep-alive after a 401":         "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST without token, body never sent": "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
	}
	const limit = 5 * time.Second
	var wg sync.WaitGroup
	for name, req := range probes {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.Write([]byte(req))
			start := time.Now()
			c.SetReadDeadline(start.Add(limit))
			got, err := io.ReadAll(bufio.NewReader(c)) // until the server closes
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("%s: connection without a token still open after %v", name, limit)
			}
			if !strings.HasPrefix(string(got), "HTTP/1.1 401 ") || !strings.Contains(string(got), `"error":`) {
				t.Errorf("%s: answer %q, want a 401 with its error", name, got)
			}
		})
	}
	wg.Wait()
}

// TestLimitsCapped: /timeline, /search, /graph and /sensor?runs= cap
// their limit as the listings do (a security review found them taking any:
// a read token made the server materialise every alert, DNS name, edge or
// run in one response, and /graph bind one SQL parameter per host).
func TestLimitsCapped(t *testing.T) {
	srv, ts := testServer(t)
	sink := srv.Sink()
	for i := 0; i < 1500; i++ {
		sink.Record("alerts", storetest.AlertJSON(float64(1e9+i), "scan.vertical", 3,
			fmt.Sprintf("10.9.%d.%d", i/250, i%250+1), "10.8.0.1", fmt.Sprintf("Cx%d", i)))
		sink.Add(store.Conn{TS: float64(1e9 + i), UID: fmt.Sprintf("Cy%d", i), OrigH: fmt.Sprintf("10.7.%d.%d", i/250, i%250+1),
			RespH: "10.6.0.1", RespP: 80, Proto: "tcp", OrigIPBytes: 100, RespIPBytes: 100})
	}
	if err := sink.Flush(); err != nil {
		t.Fatal(err)
	}
	read := srv.Tokens().Read
	count := func(path string, n func(map[string]any) int) {
		var out map[string]any
		var list []any
		body := any(&out)
		if strings.HasPrefix(path, "/api/v1/timeline") {
			body = &list
		}
		if code := get(t, ts, path, read, body); code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		got := len(list)
		if n != nil {
			got = n(out)
		}
		if got > 1000 {
			t.Errorf("%s returned %d items: limit not capped at 1000", path, got)
		}
	}
	count("/api/v1/timeline?window=all&limit=100000000", nil)
	count("/api/v1/search?q=scan&limit=100000000", func(m map[string]any) int { return len(m["alerts"].([]any)) })
	count("/api/v1/graph?window=all&limit=100000000", func(m map[string]any) int { return len(m["edges"].([]any)) })
}

// runningServer runs a server on 127.0.0.1 (a port of its own) until the
// test ends and returns its address.
func runningServer(t *testing.T) net.Addr {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log, cfg.Listen = t.TempDir(), io.Discard, "127.0.0.1:0"
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	for range 200 {
		if addr := srv.Addr(); addr != nil {
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not listen")
	return nil
}

// TestEventStreamsBounded: event streams are capped (each holds a
// connection and a queue), the one too many is told so with a 503, and a
// client that stops reading is dropped once a write has waited the write
// timeout, instead of holding its handler, connection and queue for ever.
func TestEventStreamsBounded(t *testing.T) {
	srv, ts := testServer(t)
	srv.hub.max, srv.hub.writeTimeout = 2, 300*time.Millisecond
	url := ts.URL + "/api/v1/events?token=" + srv.Tokens().Read
	open := func() {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", strings.TrimPrefix(url, ts.URL))
	}
	open() // two clients that never read
	open()
	deadline := time.Now().Add(5 * time.Second)
	for srv.hub.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "event streams") {
		t.Fatalf("third stream: %d %s, want 503 naming the limit", resp.StatusCode, body)
	}
	// Fill the stalled clients' sockets: their handlers must give up.
	big := strings.Repeat("x", 64<<10)
	deadline = time.Now().Add(20 * time.Second)
	for srv.hub.count() > 0 && time.Now().Before(deadline) {
		srv.hub.publish("alert", big)
		time.Sleep(time.Millisecond)
	}
	if n := srv.hub.count(); n != 0 {
		t.Fatalf("%d clients that stopped reading are still held", n)
	}
}
