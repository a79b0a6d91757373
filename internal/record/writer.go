package record

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// Writer appends JSON lines to a file through a buffer. It is not safe for
// concurrent use: give each goroutine its own Writer or serialise calls.
type Writer struct {
	f *os.File
	w *bufio.Writer
}

// NewWriter creates (or truncates) path and returns a Writer on it.
func NewWriter(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("record: create %s: %w", path, err)
	}
	return &Writer{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Write appends line and a newline.
func (w *Writer) Write(line []byte) error {
	if _, err := w.w.Write(line); err != nil {
		return fmt.Errorf("record: write %s: %w", w.f.Name(), err)
	}
	if err := w.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("record: write %s: %w", w.f.Name(), err)
	}
	return nil
}

// Flush writes buffered lines to the file.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("record: flush %s: %w", w.f.Name(), err)
	}
	return nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	ferr := w.w.Flush()
	cerr := w.f.Close()
	if ferr != nil {
		return fmt.Errorf("record: flush %s: %w", w.f.Name(), ferr)
	}
	if cerr != nil {
		return fmt.Errorf("record: close %s: %w", w.f.Name(), cerr)
	}
	return nil
}

// ReadLog reads a JSON-lines log back, one object per line (lines of up
// to 16 MiB); an error names the file and the line that is not JSON.
func ReadLog(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return out, fmt.Errorf("%s line %d: invalid JSON line %q: %w", path, n, sc.Text(), err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}
