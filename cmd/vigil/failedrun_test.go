package main

import (
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFailedRunKeepsEarlierResults: a typo in the input path (or a
// flag written after the input, `vigil analyze x.pcap -o out`, read as the
// input "-o") must not wipe an earlier run's alerts.log, assets.log,
// incidents.log and ipv6.log while leaving its conn.log and http.log.
func TestFailedRunKeepsEarlierResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, "../../testdata/lab/mirai.pcap"}); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, n := range []string{"alerts.log", "assets.log", "incidents.log", "ipv6.log"} {
		before[n] = jsonLines(t, filepath.Join(out, n))
	}
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, filepath.Join(out, "..", "typo.pcap")}); err == nil {
		t.Fatal("missing input accepted")
	}
	for n, want := range before {
		if got := jsonLines(t, filepath.Join(out, n)); got != want {
			t.Errorf("%s: %d lines after a run refused for a missing input, %d before", n, got, want)
		}
	}
}

// TestFlagAfterInput: `vigil analyze capture.pcap -o out` (zeek -r
// habits) says "stat -o: no such file"; it should either parse the flag or
// say that options go before the inputs.
func TestFlagAfterInput(t *testing.T) {
	capture, _ := filepath.Abs("../../testdata/lab/mirai.pcap")
	t.Chdir(t.TempDir()) // a refused run writes the default vigil-out here
	out := filepath.Join(t.TempDir(), "out")
	err := runAnalyze(context.Background(), []string{capture, "-q", "-o", out})
	if err != nil && !strings.Contains(err.Error(), "before") {
		t.Errorf("flag after the input: error %q does not say that options go before the inputs", err)
	}
	if err == nil {
		if _, serr := os.Stat(filepath.Join(out, "conn.log")); serr != nil {
			t.Errorf("flag after input accepted but -o ignored: %v", serr)
		}
	}
}

// TestParseInterspersed: flags among and after the inputs; "-" is an
// input (standard input); after "--" everything is.
func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		inputs, out string
	}{
		{[]string{"-o", "x", "a.pcap"}, "a.pcap", "x"},
		{[]string{"a.pcap", "-o", "x", "b.pcap"}, "a.pcap b.pcap", "x"},
		{[]string{"a.pcap", "-", "-o", "x"}, "a.pcap -", "x"},
		{[]string{"-o", "x", "--", "-odd.pcap", "-o"}, "-odd.pcap -o", "x"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		out := fs.String("o", "", "")
		in, err := parseInterspersed(fs, tc.args)
		if err != nil || strings.Join(in, " ") != tc.inputs || *out != tc.out {
			t.Errorf("%q: inputs %q -o %q (%v), want %q and %q", tc.args, in, *out, err, tc.inputs, tc.out)
		}
	}
}

// TestListenTakenRefusedFirst: an address another program holds is
// refused before any work (the demo analysed everything, and the server
// printed its tokens, before failing to bind), with what to do.
func TestListenTakenRefusedFirst(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	err = runDemo(context.Background(), []string{"-o", dir, "--listen", l.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "--listen") {
		t.Errorf("demo on a taken port: %v, want a refusal naming --listen", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "sample.pcap")); serr == nil {
		t.Errorf("the demo did its work before finding the port taken")
	}
}

// TestNamedPipeInput: a named pipe (<(zcat x.pcap.gz)) is read once, by
// the run: the check made before anything is written leaves it alone.
func TestNamedPipeInput(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	data, err := os.ReadFile("../../testdata/lab/mirai.pcap")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Write(data)
			f.Close()
		}
	}()
	out := filepath.Join(dir, "out")
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, fifo}); err != nil {
		t.Fatal(err)
	}
	if n := jsonLines(t, filepath.Join(out, "conn.log")); n == 0 {
		t.Errorf("no connections read from the pipe")
	}
}
