package analyze

import (
	"os"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

// consumerStage runs the consumers (the detection engine, the inventory,
// the IPv6 monitor) in a goroutine of their own, beside the writer's, when
// the writer has one (several workers, a live capture, log inputs). The
// writer holds its records in batches (consume.go) and passes each full
// batch to the stage, with the alerts raised elsewhere and a live run's
// clock ticks in their place among them: the consumers see exactly what
// they would in the writer's goroutine, in the same order, one goroutine
// still calling them. The writer then goes on writing the logs while the
// consumers work: under a flood, where they cost several times what the
// records do, a live sensor keeps up with more packets a second
// (docs/PERFORMANCE.md). In a live run a record waits at most one tick
// (a second) in its batch before the consumers see it, since each tick
// passes the batch on. VIGIL_CONSUMER_STAGE=0 keeps the consumers in the
// writer's goroutine, each record handed on as it is written.
type consumerStage struct {
	in   chan stageItem
	free chan *consumeBatch // batches consumed, for the writer to fill
	done chan struct{}
}

// stageItem is a batch of records, an alert or a clock tick.
type stageItem struct {
	batch *consumeBatch
	alert *alert.Alert
	now   int64 // a tick: Unix nanoseconds (batch and alert nil)
}

// stageBatches is how many batches a stage passes round: one the writer
// fills, one waiting, one being consumed. A writer that finds none free
// waits for the consumers.
const stageBatches = 3

// startStage gives the writer's consumers a goroutine of their own,
// unless there are none or VIGIL_CONSUMER_STAGE=0.
func (w *writer) startStage() {
	if len(w.consumers) == 0 || consumeBatchRecs <= 1 || os.Getenv("VIGIL_CONSUMER_STAGE") == "0" {
		return
	}
	s := &consumerStage{in: make(chan stageItem, stageBatches), free: make(chan *consumeBatch, stageBatches), done: make(chan struct{})}
	for range stageBatches - 1 {
		s.free <- &consumeBatch{}
	}
	w.stage = s
	go w.runStage()
}

// pass hands b to the stage and returns a batch to fill next.
func (s *consumerStage) pass(b *consumeBatch) *consumeBatch {
	s.in <- stageItem{batch: b}
	return <-s.free
}

// close waits for the stage to consume what it was passed (nil: no
// stage).
func (s *consumerStage) close() {
	if s == nil {
		return
	}
	close(s.in)
	<-s.done
}

// runStage is the stage's goroutine.
func (w *writer) runStage() {
	s := w.stage
	defer close(s.done)
	for it := range s.in {
		w.apply(it)
		if it.batch != nil {
			s.free <- it.batch
		}
	}
}

// behindHeld hands an alert or a tick to the consumers after the records
// held for them: in the stage's goroutine when there is one, else now.
func (w *writer) behindHeld(it stageItem) {
	w.passHeld()
	if w.stage != nil {
		w.stage.in <- it
		return
	}
	w.apply(it)
}

// apply hands one item to the consumers, in their goroutine.
func (w *writer) apply(it stageItem) {
	switch {
	case it.batch != nil:
		w.consumeHeld(it.batch)
	case it.alert != nil:
		w.giveAlert(*it.alert)
	default:
		w.advance(it.now)
	}
}
