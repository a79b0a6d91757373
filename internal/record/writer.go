package record

import (
	"bufio"
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
