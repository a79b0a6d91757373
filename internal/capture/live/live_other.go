//go:build !linux

package live

import "github.com/vigil-nsm/vigil/internal/capture"

// Group is one interface's fanout group (Linux only).
type Group struct{}

// Member is one ring of a group (Linux only).
type Member struct{ capture.Source }

// Open returns ErrUnsupported: live capture needs Linux.
func Open(cfg Config) (*Group, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return nil, ErrUnsupported
}

// Sources returns nothing.
func (g *Group) Sources() []capture.Source { return nil }

// Members returns nothing.
func (g *Group) Members() []*Member { return nil }

// Stats returns zero counters.
func (g *Group) Stats() Stats { return Stats{Idle: true} }

// Stop does nothing.
func (g *Group) Stop() {}

// Close does nothing.
func (g *Group) Close() error { return nil }
