package analyze

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// progressBar redraws one stderr line a few times a second.
type progressBar struct {
	done chan struct{}
	quit chan struct{}
}

// progressState is what the bar draws: input bytes read and to read (0:
// unknown), packets, and for a live run the kernel's drops.
type progressState struct {
	done, all int64
	packets   uint64 // or records, when records is set
	drops     uint64
	live      bool
	records   bool // reading logs: packets counts records
}

func startProgress(w io.Writer, state func() progressState) *progressBar {
	b := &progressBar{done: make(chan struct{}), quit: make(chan struct{})}
	if w == nil {
		close(b.done)
		return b
	}
	go func() {
		defer close(b.done)
		start := time.Now()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-b.quit:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				drawProgress(w, state(), time.Since(start))
			}
		}
	}()
	return b
}

func (b *progressBar) stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
}

func drawProgress(w io.Writer, st progressState, elapsed time.Duration) {
	done, all, pkts := st.done, st.all, st.packets
	rate := float64(pkts) / elapsed.Seconds()
	unit, perSecond := "packets", "pkt/s"
	if st.records {
		unit, perSecond = "records", "records/s"
	}
	if st.live {
		fmt.Fprintf(w, "\r\033[K%d packets, %s pkt/s, %d dropped by the kernel", pkts, humanCount(rate), st.drops)
		return
	}
	if all <= 0 {
		fmt.Fprintf(w, "\r\033[K%d %s, %s %s", pkts, unit, humanCount(rate), perSecond)
		return
	}
	frac := min(float64(done)/float64(all), 1)
	const width = 30
	filled := int(frac * width)
	eta := ""
	if frac > 0.01 {
		left := time.Duration(float64(elapsed) * (1 - frac) / frac)
		eta = fmt.Sprintf(" ETA %s", left.Round(time.Second))
	}
	fmt.Fprintf(w, "\r\033[K[%s%s] %5.1f%% %s/%s %d %s %s %s%s",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100,
		humanBytes(uint64(done)), humanBytes(uint64(all)), pkts, unit, humanCount(rate), perSecond, eta)
}

// decodeOnly reads and decodes every frame and does nothing else. Like
// the reader (runReader), it runs with SetPanicOnFault: a mapped capture
// that shrinks ends it with capture.Fault's error.
func decodeOnly(ctx context.Context, cfg Config, src capture.Source, inputs []string) (sum *Summary, err error) {
	start := time.Now()
	dec := decode.NewDecoder(cfg.Decode)
	var (
		p     decode.Packet
		s     = &Summary{Inputs: inputs}
		ipPkt [2]uint64
	)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			ferr := capture.Fault(src, v)
			if ferr == nil {
				panic(v)
			}
			s.Elapsed = time.Since(start)
			s.IPv4Packets, s.IPv6Packets = ipPkt[0], ipPkt[1]
			sum, err = s, ferr
		}
	}()
	var frames frameReader
	frames.init(src)
	for n := 0; ; n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			return s, ctx.Err()
		}
		f := frames.next()
		if f == nil {
			err := frames.err
			s.Elapsed = time.Since(start)
			s.IPv4Packets, s.IPv6Packets = ipPkt[0], ipPkt[1]
			if errors.Is(err, io.EOF) {
				return s, nil
			}
			return s, err
		}
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		s.Packets++
		s.Bytes += uint64(f.OrigLen)
		if p.IP.Version == 4 {
			ipPkt[0]++
		} else if p.IP.Version == 6 {
			ipPkt[1]++
		}
	}
}

// frameReader reads a source's frames in batches where it can hand out
// several at once (capture.BatchSource), one at a time otherwise. A frame
// is taken off before it is returned: a reader resumed after a panic goes
// on with the next.
type frameReader struct {
	src    capture.Source
	batch  capture.BatchSource // nil: one at a time
	frames [64]capture.Frame
	i, n   int
	err    error // the last read's
}

func (fr *frameReader) init(src capture.Source) {
	fr.src = src
	fr.batch, _ = src.(capture.BatchSource)
}

// next returns the next frame, valid until the next call, or nil and
// the source's error (err).
func (fr *frameReader) next() *capture.Frame {
	if fr.i < fr.n {
		fr.i++
		return &fr.frames[fr.i-1]
	}
	return fr.refill()
}

// drop forgets the frames read ahead (their input was abandoned).
func (fr *frameReader) drop() { fr.i, fr.n = 0, 0 }

// refill reads the next frames and returns the first (nil on an error).
func (fr *frameReader) refill() *capture.Frame {
	fr.i, fr.n, fr.err = 0, 0, nil
	if fr.batch == nil {
		fr.err = fr.src.Next(&fr.frames[0])
		fr.n = 1
	} else {
		fr.n, fr.err = fr.batch.NextBatch(fr.frames[:])
	}
	if fr.err != nil {
		fr.n = 0
		return nil
	}
	fr.i = 1
	return &fr.frames[0]
}
