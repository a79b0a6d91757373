// Package periodic calls a function at a fixed interval, in a goroutine
// of its own, until it is stopped: a live run's snapshots and log rewrites.
package periodic

import "time"

// Run calls fn every d (never when d is not positive) until stop is
// called; stop returns once a call under way has returned, and fn is not
// called after.
func Run(d time.Duration, fn func()) (stop func()) {
	if d <= 0 {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return func() { close(done); <-finished }
}
