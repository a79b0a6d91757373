package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// event is one server-sent event.
type event struct {
	name string
	data []byte
}

// Event-stream limits: at most maxStreams clients at once (each holds a
// connection and a queue of 256 events), and a client that stops reading
// is dropped when one write has waited streamWriteTimeout.
const (
	maxStreams         = 64
	streamWriteTimeout = 30 * time.Second
)

// hub fans events out to the connected clients. A slow client's events
// are dropped (counted), never waited for.
type hub struct {
	mu           sync.Mutex
	clients      map[chan event]struct{}
	dropped      atomic.Uint64
	sent         atomic.Uint64
	max          int           // maxStreams; tests lower it
	writeTimeout time.Duration // streamWriteTimeout; tests lower it
}

func newHub() *hub {
	return &hub{clients: map[chan event]struct{}{}, max: maxStreams, writeTimeout: streamWriteTimeout}
}

func (h *hub) publish(name string, v any) {
	var data []byte
	switch x := v.(type) {
	case []byte:
		data = x
	case string:
		data = []byte(x)
	default:
		data, _ = json.Marshal(v)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c <- event{name, data}:
			h.sent.Add(1)
		default:
			h.dropped.Add(1)
		}
	}
}

// subscribe adds a client, or returns nil when max are connected.
func (h *hub) subscribe() chan event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= h.max {
		return nil
	}
	c := make(chan event, 256)
	h.clients[c] = struct{}{}
	return c
}

func (h *hub) unsubscribe(c chan event) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// serveEvents streams events as text/event-stream until the client goes,
// stops reading (a write waits writeTimeout), or the server shuts down.
func (h *hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	c := h.subscribe()
	if c == nil {
		w.Header().Set("Retry-After", "30")
		writeErr(w, http.StatusServiceUnavailable, fmt.Sprintf(
			"%d event streams are open, the most this server keeps; close a dashboard tab or another client", h.max))
		return
	}
	defer h.unsubscribe(c)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{}) // the stream outlives the request's ReadTimeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	send := func(text string) bool {
		rc.SetWriteDeadline(time.Now().Add(h.writeTimeout))
		if _, err := io.WriteString(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 3000\nevent: hello\ndata: {}\n\n") {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		var text string
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			text = ": ping\n\n"
		case e := <-c:
			text = "event: " + e.name + "\ndata: " + string(e.data) + "\n\n"
		}
		if !send(text) {
			return
		}
	}
}
