package duckdb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

// TestCrashChild is the child of TestKillDuringIngest: it appends batches
// forever and prints the number of rows committed after each.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("VIGIL_CRASH_CHILD")
	if path == "" {
		t.Skip("child process of TestKillDuringIngest")
	}
	db, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	g := storetest.New(9, 300)
	const batch = 20000
	rows := make([]store.Conn, batch)
	for n := batch; ; n += batch {
		for i := range rows {
			rows[i] = g.Conn()
		}
		if err := db.Append(context.Background(), &store.Batch{Conns: rows}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("committed", n)
	}
}

// TestKillDuringIngest kills a process with SIGKILL while it appends and
// checks that the store opens again and holds every committed batch.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "vigil.duckdb")
	before := 0
	for round := range 2 {
		committed := before + runAndKill(t, path, 4+round*3)
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		c, err := db.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		t.Logf("round %d: %d rows committed before the kill, %d in the store after it", round, committed, c["conn"])
		if c["conn"] < int64(committed) {
			t.Fatalf("round %d: lost committed rows: %d < %d", round, c["conn"], committed)
		}
		before = int(c["conn"])
	}
}

// runAndKill starts the child, waits for commits batches to be committed
// (and a little more), kills it and returns the rows it reported.
func runAndKill(t *testing.T, path string, commits int) int {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), "VIGIL_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	last, seen := 0, 0
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatal(line)
		}
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			last, _ = strconv.Atoi(n)
			if seen++; seen == commits {
				// Kill while the next batch is being appended.
				time.Sleep(15 * time.Millisecond)
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	}
	cmd.Wait()
	if seen < commits {
		t.Fatalf("child committed %d batches only", seen)
	}
	return last
}
