package eve

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxLine bounds one EVE line; a longer one (a huge payload dump) is
// counted as malformed and skipped.
const MaxLine = 16 << 20

// Reader reads the events of an EVE file, skipping (and counting)
// malformed lines and blank ones.
type Reader struct {
	br   *bufio.Reader
	p    Parser
	long []byte
	max  int // MaxLine (tests lower it)
	// Line is the number of the line last read.
	Line int
	// Malformed counts the lines skipped; FirstError describes the first.
	Malformed  int
	FirstError string
}

// NewReader reads EVE lines from r (gzip-compressed or not).
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if m, _ := br.Peek(2); len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("eve: %w", err)
		}
		br = bufio.NewReaderSize(z, 64<<10)
	}
	if m, _ := br.Peek(len(bom)); bytes.Equal(m, bom) {
		br.Discard(len(bom)) // a file saved by a Windows editor or PowerShell
	}
	return &Reader{br: br, max: MaxLine}, nil
}

var errNotJSON = errors.New("not JSON")

// bom is the UTF-8 byte-order mark some Windows tools put first in a text
// file.
var bom = []byte("\xef\xbb\xbf")

// Parser returns the reader's parser (for Alert and Record on the event
// Next returned).
func (r *Reader) Parser() *Parser { return &r.p }

// Next reads the next well-formed event into e (valid until the next
// call); io.EOF at the end. Other errors are read errors.
func (r *Reader) Next(e *Event) error {
	for {
		line, err := r.readLine()
		if err != nil {
			return err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) { // Parse is lenient; what is passed on must be JSON
			r.malformed(errNotJSON)
			continue
		}
		if perr := r.p.Parse(line, e); perr != nil {
			r.malformed(perr)
			continue
		}
		return nil
	}
}

func (r *Reader) malformed(err error) {
	r.Malformed++
	if r.FirstError == "" {
		r.FirstError = fmt.Sprintf("line %d: %v", r.Line, err)
	}
}

// readLine returns the next line without its newline; lines longer than
// MaxLine are skipped whole and counted.
func (r *Reader) readLine() ([]byte, error) {
	for {
		line, err := r.br.ReadSlice('\n')
		if err == nil || (errors.Is(err, io.EOF) && len(line) > 0) {
			r.Line++
			return line, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		// A line longer than the buffer: gather it up to MaxLine.
		r.long = append(r.long[:0], line...)
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			if len(r.long)+len(line) > r.max {
				tooLong = true
			}
			if !tooLong {
				r.long = append(r.long, line...)
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		r.Line++
		if !tooLong {
			return r.long, nil
		}
		r.malformed(fmt.Errorf("longer than %d bytes", r.max))
		if err != nil {
			return nil, err
		}
	}
}

// Sniff reports whether path holds EVE: its first non-blank line
// (gzip-compressed or not) is a JSON object with an event_type (a first
// line over 64 KiB: an object whose first 64 KiB name an event_type).
func Sniff(path string) bool {
	// A named pipe or a device is not opened: that would block, or read
	// what the run is to read.
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	r, err := NewReader(io.LimitReader(f, 8<<20))
	if err != nil {
		return false
	}
	cut := false // the first line was the end of an event cut off (a split file)
	for range 64 {
		line, err := r.br.ReadSlice('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if errors.Is(err, bufio.ErrBufferFull) {
				return line[0] == '{' && bytes.Contains(line, []byte(`"event_type":`))
			}
			var p Parser
			if line[0] != '{' || !json.Valid(line) || p.r.Parse("", line) != nil {
				if cut || line[len(line)-1] != '}' || err != nil {
					return false
				}
				cut = true // the next event decides
				continue
			}
			return len(p.r.Bytes("event_type")) > 0
		}
		if err != nil {
			return false
		}
	}
	return false
}
