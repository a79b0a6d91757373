package record

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// LineReader reads a text log line by line, in memory bounded by its
// longest line up to a limit: a line longer than the limit is skipped to
// its newline without being held, and reported (Next's tooLong), so one
// over-long line costs neither memory nor the lines after it.
type LineReader struct {
	br   *bufio.Reader
	max  int
	long []byte // a line longer than br's buffer
	// Line is the number of the line last read.
	Line int
}

// NewLineReader reads lines of at most max bytes from r.
func NewLineReader(r io.Reader, max int) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next returns the next line without its "\n" or "\r\n" (valid until the
// next call), as bufio.ScanLines does; io.EOF after the last. A line over
// the limit comes back as nil with tooLong set.
func (l *LineReader) Next() (line []byte, tooLong bool, err error) {
	line, err = l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line, tooLong, err = l.gather(line)
	}
	if err != nil && !(errors.Is(err, io.EOF) && (len(line) > 0 || tooLong)) {
		return nil, false, err
	}
	l.Line++
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if tooLong || len(line) > l.max {
		return nil, true, nil
	}
	return line, false, nil
}

// gather reads the rest of a line longer than the buffer, first its start,
// keeping it while it fits the limit.
func (l *LineReader) gather(start []byte) (line []byte, tooLong bool, err error) {
	l.long = append(l.long[:0], start...)
	err = bufio.ErrBufferFull
	for errors.Is(err, bufio.ErrBufferFull) {
		var part []byte
		part, err = l.br.ReadSlice('\n')
		part = bytes.TrimSuffix(part, []byte("\n"))
		if tooLong = tooLong || len(l.long)+len(part) > l.max; !tooLong {
			l.long = append(l.long, part...)
		}
	}
	if tooLong {
		l.long = l.long[:0]
		return nil, true, err
	}
	return l.long, false, err
}
