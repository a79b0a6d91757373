package record

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestLineReader: lines come without "\n" or "\r\n", the last one without
// a newline too; a line over the limit, longer than the buffer or not, is
// reported (with its number) and the lines after it read.
func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	for _, max := range []int{100 << 10, 10} {
		in := "a\r\n\n" + long + "\nb\n" + strings.Repeat("y", 10) + "\n" + long + "\nc"
		l := NewLineReader(strings.NewReader(in), max)
		var got []string
		for {
			line, tooLong, err := l.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if tooLong {
				line = []byte("!" + string(rune('0'+l.Line)))
			}
			got = append(got, string(line))
		}
		want := []string{"a", "", "!3", "b", strings.Repeat("y", 10), "!6", "c"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("max %d: lines %.40q, want %.40q", max, got, want)
		}
	}
}

// TestZeekTSVMalformedRows: rows whose cells do not match #fields are
// skipped and counted, as are rows whose ts is no number (but btest's
// masked times).
func TestZeekTSVMalformedRows(t *testing.T) {
	in := "#fields\tts\tuid\n1.5\tCa\n2.5\n3.5\tCb\tx\n-\tCc\n\x91\xd8\nXXXXXXXXXX.XXXXXX\tCd\n"
	z := NewZeekTSVReader(strings.NewReader(in))
	var uids []string
	for {
		row, err := z.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, row[1])
	}
	if want := []string{"Ca", "Cd"}; !reflect.DeepEqual(uids, want) {
		t.Errorf("rows %v, want %v", uids, want)
	}
	if err := z.Skipped(); err == nil || err.Error() != "4 malformed rows skipped (first at line 3: 1 cells for 2 fields)" {
		t.Errorf("skipped: %v", err)
	}
	if _, err := ReadZeekTSV(strings.NewReader(in)); err == nil {
		t.Error("ReadZeekTSV read malformed rows without an error")
	}
}

// FuzzLineReader: the lines read are those bytes.Split finds (less a
// trailing "\r", and the empty one after a final newline), each one over
// the limit reported, with its number, instead.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\r\nb\n\nc"), uint16(1))
	f.Add([]byte(strings.Repeat("x", 70<<10)+"\ny\n"), uint16(500))
	f.Add([]byte("#fields\tts\n1.0\n"), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		want := bytes.Split(data, []byte("\n"))
		if len(want[len(want)-1]) == 0 {
			want = want[:len(want)-1]
		}
		l := NewLineReader(bytes.NewReader(data), int(max))
		for i := 0; ; i++ {
			line, tooLong, err := l.Next()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("%d lines read, want %d", i, len(want))
				}
				return
			}
			if err != nil || i >= len(want) || l.Line != i+1 {
				t.Fatalf("line %d (%d): %v", i+1, l.Line, err)
			}
			w := bytes.TrimSuffix(want[i], []byte("\r"))
			if tooLong != (len(w) > int(max)) || !tooLong && !bytes.Equal(line, w) {
				t.Fatalf("line %d: %q (too long %v), want %q", i+1, line, tooLong, w)
			}
		}
	})
}

// FuzzZeekTSVReader: any log is read to its end without panicking; once
// the fields are known every row has one cell per field and a ts that is
// a number or masked; rows and skipped rows are at most the lines.
func FuzzZeekTSVReader(f *testing.F) {
	f.Add([]byte(tsvSample))
	f.Add([]byte("#fields\tts\tuid\n1.5\tCa\n2.5\n3.5\tCb\tx\n-\tCc\n\x91\xd8\nXXXXXXXXXX.XXXXXX\tCd\n"))
	f.Add([]byte("#separator \\x2c\n#fields,a,b\n1,2\n#fields,ts\nX\n"))
	f.Add([]byte("### c\nuid\thistory\nCa\tShA\n#separator \\x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		z := NewZeekTSVReader(bytes.NewReader(data))
		rows := 0
		for {
			row, err := z.Next()
			if err != nil {
				break
			}
			rows++
			if z.Fields == nil {
				continue
			}
			if len(row) != len(z.Fields) {
				t.Fatalf("row of %d cells for %d fields", len(row), len(z.Fields))
			}
			if i := z.fieldAt("ts"); i >= 0 && !IsJSONNumber(row[i]) && !maskedTime(row[i]) {
				t.Fatalf("ts %q handed on", row[i])
			}
		}
		if lines := bytes.Count(data, []byte("\n")) + 1; rows+z.Malformed > lines || (z.Malformed > 0) != (z.Skipped() != nil) {
			t.Fatalf("%d rows and %d skipped of %d lines (%v)", rows, z.Malformed, lines, z.Skipped())
		}
	})
}
