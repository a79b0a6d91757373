package serve

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/store"
)

func flowFilter(limit int) store.FlowFilter {
	return store.FlowFilter{Proto: "tcp", Paging: store.Paging{Limit: limit}}
}

// startServer makes and opens a server for a test, closed at its end.
func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}
