package analyze

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
)

// fuzzFrames turns fuzz input into frames: each is a time step (one byte,
// in 10 ms units), a big-endian length (two bytes) and that many bytes of
// Ethernet frame; a short tail is one last frame.
func fuzzFrames(in []byte) (steps []int64, frames [][]byte) {
	for len(in) >= 3 {
		n := int(in[1])<<8 | int(in[2])
		step := int64(in[0]) * int64(10*time.Millisecond)
		in = in[3:]
		n = min(n, len(in))
		steps, frames = append(steps, step), append(frames, in[:n])
		in = in[n:]
	}
	return steps, frames
}

// encodeFrames is fuzzFrames' inverse, for seeds: steps of 1 ms round to
// 0, so seeded frames come 10 ms apart.
func encodeFrames(frames [][]byte) []byte {
	var out []byte
	for _, f := range frames {
		f = f[:min(len(f), 0xffff)]
		out = append(out, 1, byte(len(f)>>8), byte(len(f)))
		out = append(out, f...)
	}
	return out
}

// seedFrames reads the first n frames of a capture.
func seedFrames(t testing.TB, path string, n int) [][]byte {
	src, err := capture.Open([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out [][]byte
	var f capture.Frame
	for len(out) < n && src.Next(&f) == nil {
		out = append(out, append([]byte(nil), f.Data...))
	}
	return out
}

// FuzzRun runs the whole packet pipeline — decoding, tunnels, fragments,
// flows, reassembly, every application analyzer, packet facts, the
// writer — on arbitrary frames: it never fails, never recovers from a
// panic (Summary.InternalErrs), and every line of every log is one JSON
// object. The seeds are the start of the synthetic mix (IPv4 and IPv6,
// DNS, HTTP, TLS, SSH, VXLAN and IP tunnels, fragments), the frames of
// the packet-fact tests and A-MSDUs in Aruba's GRE.
func FuzzRun(f *testing.F) {
	path, _ := writeSynth(f, 400, 40)
	frames := seedFrames(f, path, 400)
	for i := 0; i+40 <= len(frames); i += 40 {
		f.Add(encodeFrames(frames[i : i+40]))
	}
	f.Add(encodeFrames([][]byte{ethFrame(0x0806, arpReply()), ethFrame(0x0800, synWithOptions(true)), ethFrame(0x86dd, routerAdvert())}))
	f.Add(encodeFrames([][]byte{arubaOverUDP(amsduFrame(0, 3, 20)), arubaOverUDP(amsduFrame(1, 2, 10))}))
	f.Fuzz(func(t *testing.T, in []byte) {
		steps, frames := fuzzFrames(in)
		if len(frames) == 0 {
			return
		}
		pcap := filepath.Join(t.TempDir(), "in.pcap")
		writePcapSteps(t, pcap, steps, frames)
		cfg := DefaultConfig()
		cfg.Workers = 1
		sum, dir := runTo(t, cfg, pcap)
		if sum.InternalErrs != 0 {
			t.Fatalf("%d internal errors (recovered panics)", sum.InternalErrs)
		}
		checkLogsJSON(t, dir)
	})
}

// checkLogsJSON fails unless every line of every log in dir is one JSON
// object.
func checkLogsJSON(t *testing.T, dir string) {
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			if len(line) == 0 && len(b) == 0 {
				break
			}
			if !json.Valid(line) || !bytes.HasPrefix(line, []byte("{")) {
				t.Fatalf("%s line %d is not a JSON object: %q", strings.TrimPrefix(p, dir), i+1, line)
			}
		}
	}
}
