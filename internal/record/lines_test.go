package record

import (
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
// skipped and counted, as are, with NumericTS, rows whose ts is no number.
func TestZeekTSVMalformedRows(t *testing.T) {
	in := "#fields\tts\tuid\n1.5\tCa\n2.5\n3.5\tCb\tx\n-\tCc\n\x91\xd8\n4.5\tCd\n"
	z := NewZeekTSVReader(strings.NewReader(in))
	z.NumericTS = true
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
