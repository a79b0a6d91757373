//go:build linux

package capture

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// bigCapture writes a pcap file of at least n bytes (frames of varied
// sizes) and returns its path.
func bigCapture(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.pcap")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, decode.LinkEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 1514)
	written := 0
	for i := 0; written < n; i++ {
		size := []int{60, 1514, 590, 1200}[i%4]
		frame[0] = byte(i)
		if err := w.WritePacket(int64(i)*1000, frame[:size], size); err != nil {
			t.Fatal(err)
		}
		written += size + 16
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// openCapture writes a capture of at least n bytes (bigCapture) and
// opens it for the rest of the test.
func openCapture(t *testing.T, n int) *os.File {
	t.Helper()
	f, err := os.Open(bigCapture(t, n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// trialAtAnySize lets files of any size be tried for the rest of the test
// (not parallel): the test files are 16 MiB, not 64.
func trialAtAnySize(t *testing.T) {
	old := trialMinSize
	trialMinSize = 0
	t.Cleanup(func() { trialMinSize = old })
}

// TestTrialSkipsSmallFiles: below trialMinSize (and below the four steps'
// bytes whatever trialMinSize says) a file is read without a trial.
func TestTrialSkipsSmallFiles(t *testing.T) {
	f := openCapture(t, 1<<20)
	for _, min := range []int64{trialMinSize, 0} {
		old := trialMinSize
		trialMinSize = min
		c := tryBoth(f, 1<<20, nil)
		trialMinSize = old
		if c.Mapped || c.Why != "small" {
			t.Errorf("trialMinSize %d: %+v, want read for being small", min, c)
		}
	}
}

// TestTrialTimesBothWays: a large cached file is tried both ways; a file
// whose pages the cache dropped is read without a trial.
func TestTrialTimesBothWays(t *testing.T) {
	f := openCapture(t, 4*trialSpan+1)
	fi, _ := f.Stat()
	trialAtAnySize(t)
	c := tryBoth(f, fi.Size(), nil)
	if c.Why != "" || c.Read <= 0 || c.Map <= 0 {
		t.Fatalf("trial did not run both ways: %+v", c)
	}
	t.Logf("per %d MiB: read %v, mapped %v: mapped %v", trialSpan>>20, c.Read, c.Map, c.Mapped)
	if err := f.Sync(); err != nil {
		t.Skip("cannot sync:", err)
	}
	if err := fadviseDontNeed(f); err != nil {
		t.Skip("cannot drop the file's pages:", err)
	}
	if cached, _ := resident(f, 4*trialSpan); cached >= minResident {
		t.Skip("the page cache keeps this file's pages (tmpfs?)")
	}
	if c := tryBoth(f, fi.Size(), &c); c.Mapped || c.Why != "not cached" {
		t.Errorf("cold file: %+v, want read for not being cached", c)
	}
}

// TestTrialRule: mapping must save a tenth.
func TestTrialRule(t *testing.T) {
	for _, c := range []struct {
		read, mapped time.Duration
		want         bool
	}{
		{480 * time.Microsecond, 270 * time.Microsecond, true},
		{200 * time.Microsecond, 450 * time.Microsecond, false},
		{700 * time.Microsecond, 680 * time.Microsecond, false},
		{1000 * time.Microsecond, 899 * time.Microsecond, true},
	} {
		if got := mapCheaper(c.read, c.mapped); got != c.want {
			t.Errorf("read %v mapped %v: %v, want %v", c.read, c.mapped, got, c.want)
		}
	}
}

// TestAutoReadsAlike: whatever the trial decides, a large capture read
// with Options.Auto yields what reading it yields.
func TestAutoReadsAlike(t *testing.T) {
	p := bigCapture(t, 4*trialSpan+1)
	trialAtAnySize(t)
	want, _ := readPathsWith(t, []string{p}, Options{})
	got, mapped := readPathsWith(t, []string{p}, Options{Auto: true})
	if !sameOutcome(got, want) {
		t.Errorf("Auto (mapped %v) read differently", mapped)
	}
	if len(want.frames) < 10000 {
		t.Fatalf("only %d frames", len(want.frames))
	}
	src, err := OpenWith([]string{p}, Options{Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	if err := src.Next(&f); err != nil {
		t.Fatal(err)
	}
	if cs := ReadChoices(src); len(cs) != 1 || cs[0].File != p || !cs[0].tried() {
		t.Errorf("ReadChoices after the first frame: %+v, want the trial of %s", cs, p)
	}
}

// TestTrialOncePerSource: a source's later large files take its first
// trial's decision without timing again, and read as reading reads them.
func TestTrialOncePerSource(t *testing.T) {
	trialAtAnySize(t)
	a, b := bigCapture(t, 4*trialSpan+1), bigCapture(t, 4*trialSpan+1)
	want, _ := readPathsWith(t, []string{a, b}, Options{})
	got, _ := readPathsWith(t, []string{a, b}, Options{Auto: true})
	if !sameOutcome(got, want) {
		t.Error("two files with Auto read differently")
	}
	src, err := OpenWith([]string{a, b}, Options{Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	for src.Next(&f) == nil {
	}
	cs := ReadChoices(src)
	if len(cs) != 2 || cs[0].Reused || !cs[1].Reused || cs[0].Read <= 0 {
		t.Fatalf("choices %+v: want a timed trial, then its decision reused", cs)
	}
	if cs[1].Mapped != cs[0].Mapped || cs[1].Read != cs[0].Read || cs[1].Map != cs[0].Map || cs[1].File == cs[0].File {
		t.Errorf("reused choice %+v differs from the trial %+v", cs[1], cs[0])
	}
}

// TestTrialSurvivesShrinking: a mapped step on bytes the file no longer
// holds faults; the trial turns that into an error, not a crash, even in
// a goroutine that does not ask for panics on faults.
func TestTrialSurvivesShrinking(t *testing.T) {
	f := openCapture(t, 1<<20)
	if _, err := timeMapped(f, 2*trialSpan); err == nil {
		t.Fatal("touching a mapping past the file's end: no error")
	}
	if _, err := timeMapped(f, 0); err == nil {
		t.Fatal("a 4 MiB step over a 1 MiB file: no error")
	}
}

// fadviseDontNeed asks the kernel to drop f's clean pages from the cache.
func fadviseDontNeed(f *os.File) error {
	const posixFadvDontNeed = 4
	_, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, posixFadvDontNeed, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
