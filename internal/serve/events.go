package serve

import (
	"encoding/json"
	"fmt"
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

// hub fans events out to the connected clients. A slow client's events
// are dropped (counted), never waited for.
type hub struct {
	mu      sync.Mutex
	clients map[chan event]struct{}
	dropped atomic.Uint64
	sent    atomic.Uint64
}

func newHub() *hub { return &hub{clients: map[chan event]struct{}{}} }

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

func (h *hub) subscribe() chan event {
	c := make(chan event, 256)
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
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

// serveEvents streams events as text/event-stream until the client goes.
func (h *hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	http.NewResponseController(w).SetReadDeadline(time.Time{}) // the stream outlives the request's ReadTimeout
	c := h.subscribe()
	defer h.unsubscribe(c)
	fmt.Fprintf(w, "retry: 3000\nevent: hello\ndata: {}\n\n")
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case e := <-c:
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.name, e.data)
		}
		fl.Flush()
	}
}
