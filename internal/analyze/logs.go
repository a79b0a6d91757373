package analyze

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/eve"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Zeek and Suricata logs as input: a file whose first bytes are a Zeek
// TSV header ("#separator") or a JSON object ("{") is read as records
// instead of packets. Its lines go to the output directory as JSON lines
// (Zeek TSV converted, field types kept) and to the consumers, so that the
// detectors, the IPv6 monitor and the inventory run on logs from an
// existing Zeek deployment exactly as on Vigil's own.

// maxLogLine bounds one JSON log line.
const maxLogLine = 4 << 20

// logKind is what sniffLog found.
type logKind uint8

const (
	notLog logKind = iota
	zeekTSVLog
	jsonLog
)

// CheckInputs reports an input the run would overwrite: the output
// directory itself, or a log of it (its DIR/NAME.log files are
// rewritten); and a log named that is one of Vigil's own derived logs
// (alerts.log …: its output, not a sensor's records). Run checks them
// too; call it before anything writes into the output directory.
func CheckInputs(inputs []string, outDir string) error {
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		if rewritten(in, outDir) || sameFile(in, outDir) {
			return fmt.Errorf("analyze: input %s is the output directory %s or one of its logs, which the run rewrites: give another output directory (-o)", in, outDir)
		}
		if derived(in) {
			return fmt.Errorf("analyze: input %s is Vigil's own %s log, its output and not a sensor's records: give the directory (its records are read, its own logs passed over) or the captures it came from", in, fileLogName(in))
		}
	}
	return nil
}

// sameFile tells whether a and b name the same file or directory.
func sameFile(a, b string) bool {
	x, err1 := os.Stat(a)
	y, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(x, y)
}

// splitInputs separates log files from captures (everything else). A
// directory holding captures is read for its captures, as it always was
// (capture.Open), not for logs beside them (an earlier run's output); a
// directory without captures is read for the logs below it: a Zeek log
// archive, a day of rotated logs, Vigil's own output. Vigil's own
// derived logs (derivedLogs) are passed over wherever they are, and a log
// of the output directory is an error (CheckInputs). Notes say what was
// passed over on purpose: files named as logs below a capture directory.
func splitInputs(inputs []string, outDir string) (captures, logs, notes []string, err error) {
	if err := CheckInputs(inputs, outDir); err != nil {
		return nil, nil, nil, err
	}
	for _, in := range inputs {
		if in == "-" {
			captures = append(captures, in)
			continue
		}
		if st, err := os.Stat(in); err == nil && st.IsDir() {
			found := []string(nil)
			if !capture.HoldsCaptures(in) {
				found = logsBelow(in, outDir)
			} else if n := logNamesBelow(in, outDir); n > 0 {
				notes = append(notes, fmt.Sprintf("%s was read for its captures; the %d files below it named as logs were not (give them as files to read them too)", in, n))
			}
			if len(found) == 0 {
				captures = append(captures, in) // capture.Open reads them, or says what it lacks
			}
			logs = append(logs, found...)
			continue
		}
		if sniffLog(in) == notLog {
			captures = append(captures, in)
		} else {
			logs = append(logs, in)
		}
	}
	return captures, logs, notes, nil
}

// logNamesBelow counts the files below dir named as logs (isLogName), but
// for those the run rewrites and the derived ones, by name alone.
func logNamesBelow(dir, outDir string) int {
	n := 0
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return 0
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isLogName(p) && !rewritten(p, outDir) && !derivedLogs[fileLogName(p)] {
			n++
		}
		return nil
	})
	return n
}

// derivedLogs are the logs Vigil's understanding stage (internal/insight)
// writes into the output directory itself: its products, not a sensor's
// records. Read back, they would be written a second time over the ones
// the run writes.
var derivedLogs = map[string]bool{"alerts": true, "incidents": true, "assets": true, "ipv6": true}

// derived tells whether a file is Vigil's own output rather than a
// sensor's: a JSON-lines log (not Zeek TSV, not Suricata EVE) named as one
// of derivedLogs, or Vigil's EVE export of its alerts (--eve), whose
// events carry a "vigil" object.
func derived(path string) bool {
	if eve.Sniff(path) {
		return ownEVE(path)
	}
	return derivedLogs[fileLogName(path)] && sniffLog(path) == jsonLog
}

// ownEVE tells whether an EVE file is Vigil's export: its first event
// carries a "vigil" object (alert.EVE writes one in every event).
func ownEVE(path string) bool {
	br, f, err := openContent(path)
	if err != nil {
		return false
	}
	defer f.Close()
	first, _ := br.ReadSlice('\n')
	return bytes.Contains(first, []byte(`"vigil":{`))
}

// openContent opens path for a look at its first lines: the file (to
// close) and a 64 KiB buffer over its content, gunzipped if need be.
func openContent(path string) (*bufio.Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := maybeGzip(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return bufio.NewReaderSize(r, 64<<10), f, nil
}

// logsBelow lists the log files below dir (a symbolic link to a directory
// is followed there, not below), in name order, but for those of the
// output directory and the derived ones. Unreadable parts are passed
// over.
func logsBelow(dir, outDir string) (logs []string) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && regularFile(p, d) && !rewritten(p, outDir) && sniffLog(p) != notLog && !derived(p) {
			logs = append(logs, p)
		}
		return nil
	})
	return logs
}

// regularFile tells whether a directory entry is a regular file or a
// symbolic link to one.
func regularFile(p string, d fs.DirEntry) bool {
	if d.Type()&fs.ModeSymlink == 0 {
		return d.Type().IsRegular()
	}
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// rewritten tells whether the run writes over path: a .log file right in
// the output directory (the writer's DIR/NAME.log), however either is
// named (symbolic links, relative paths).
func rewritten(path, outDir string) bool {
	if outDir == "" || !strings.HasSuffix(path, ".log") {
		return false
	}
	return sameFile(filepath.Dir(path), outDir)
}

// sniffLog tells whether path is a regular file holding a Zeek TSV or
// JSON-lines log (gzip-compressed or not).
func sniffLog(path string) logKind {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return notLog
	}
	br, f, err := openContent(path)
	if err != nil {
		return notLog
	}
	defer f.Close()
	first, err := br.ReadSlice('\n')
	for i := 0; i < 4 && err == nil && (bytes.HasPrefix(first, []byte("##")) || isBlank(first)); i++ {
		first, err = br.ReadSlice('\n') // comments before the header (btest's "### BTest baseline"), blank lines
	}
	line := bytes.TrimSpace(first)
	object := len(line) > 0 && line[0] == '{'
	switch {
	case len(line) == 0 && isLogName(path):
		return jsonLog // an empty log, as Vigil writes weird.log without anomalies
	case bytes.HasPrefix(line, []byte("#separator")):
		return zeekTSVLog
	case object && errors.Is(err, bufio.ErrBufferFull):
		return jsonLog // a first line over 64 KiB: taken for the record it starts
	case object && json.Valid(line):
		return jsonLog // JSON lines: a whole object on the first line
	case err == nil && len(line) > 0 && line[len(line)-1] == '}' && utf8.Valid(line) && bytes.IndexByte(line, 0) < 0:
		// The end of a record whose start was cut off (a file split by
		// size, a copy taken while the sensor wrote): the next line
		// decides, and the cut one is skipped as malformed.
		next, _ := br.ReadSlice('\n')
		if next = bytes.TrimSpace(next); len(next) > 0 && next[0] == '{' && json.Valid(next) {
			return jsonLog
		}
	}
	return notLog // a JSON document written over many lines ("{" alone)
}

// utf8BOM is the byte-order mark some Windows tools put before a text
// file's first line.
var utf8BOM = []byte("\xef\xbb\xbf")

// isBlank tells whether a line holds only white space (or nothing).
func isBlank(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 }

// isLogName tells whether a file's name says it is a log: "conn.log",
// "conn.00:00:00-01:00:00.log.gz", "eve.json".
func isLogName(path string) bool {
	base := filepath.Base(path)
	return strings.Contains(base, ".log") || strings.Contains(base, ".json")
}

// maybeGzip returns a reader that decompresses r when it starts with the
// gzip magic, the text without a leading byte-order mark.
func maybeGzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	m, _ := br.Peek(2)
	if len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		br = bufio.NewReader(z)
	}
	skipBOM(br)
	return br, nil
}

// skipBOM drops the UTF-8 byte-order mark some Windows tools (an editor,
// PowerShell's Out-File) put before a text file's first line.
func skipBOM(br *bufio.Reader) {
	if m, _ := br.Peek(len(utf8BOM)); bytes.Equal(m, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
}

// logName is the log a file holds: Zeek's #path, else the file name up to
// its first dot ("conn.00:00:00-01:00:00.log.gz" → "conn"; "eve.json" →
// "eve"). The name becomes a file in the output directory, so only a
// plain one is taken (plainLogName): a #path of "../../x" or with a tab
// is the input's, not a place to write. A sensor's log named as one of
// Vigil's derived logs, which the understanding stage writes itself,
// becomes zeek_NAME ("zeek_assets").
func logName(path, zeekPath string) string {
	name := fileLogName(path)
	if plainLogName(zeekPath) {
		name = zeekPath
	}
	if derivedLogs[name] {
		return "zeek_" + name // a sensor's log of that name (Vigil's own are not read: derived)
	}
	return name
}

// fileLogName is the log a file's name says: up to its first dot or, in
// Zeek's log-queue names, a double underscore; "log" when that is not
// plain.
func fileLogName(path string) string {
	base := filepath.Base(path)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if i := strings.Index(base, "__"); i > 0 {
		base = base[:i] // Zeek's log queue: conn__2026-01-01-00-00-00__2026-01-01-01-00-00__.log
	}
	if plainLogName(base) {
		return base
	}
	return "log"
}

// AlertAdder is a consumer that takes alerts raised elsewhere (the
// detection engine, detect.Engine.Add: it aggregates, writes and
// correlates them with its own; false when its allowlist drops one).
type AlertAdder interface {
	Add(a alert.Alert) bool
}

// appendTSVRow writes one row as a JSON object: unset fields are left
// out, numbers and booleans keep their type, sets and vectors become
// arrays.
func appendTSVRow(dst []byte, t *record.ZeekTSV, row []string) []byte {
	dst = slices.Grow(dst, rowSize(t, row))
	dst = append(dst, '{')
	first := true
	for i, field := range t.Fields {
		if i >= len(row) || row[i] == t.UnsetField {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = record.AppendString(dst, field)
		dst = append(dst, ':')
		typ := ""
		if i < len(t.Types) {
			typ = t.Types[i]
		}
		dst = appendTSVValue(dst, t, typ, row[i])
	}
	return append(dst, '}')
}

// rowSize is about the size of row as a JSON object, so the object is
// written without growing its buffer again and again: field names and
// cells, quoted, and in sets three bytes per element at most ("",).
func rowSize(t *record.ZeekTSV, row []string) int {
	n := 2
	for i, field := range t.Fields {
		if i < len(row) {
			n += len(field) + len(row[i]) + 6
			if i < len(t.Types) && strings.HasSuffix(t.Types[i], "]") {
				n += 2 * len(row[i])
			}
		}
	}
	return n
}

func appendTSVValue(dst []byte, t *record.ZeekTSV, typ, v string) []byte {
	if elem, ok := containerElem(typ); ok {
		return appendTSVSet(dst, t, elem, v)
	}
	switch typ {
	case "time", "interval", "double", "count", "int", "port":
		if record.IsJSONNumber(v) {
			return append(dst, v...)
		}
	case "bool":
		return strconv.AppendBool(dst, v == "T")
	}
	if v == t.EmptyField {
		v = ""
	}
	if strings.IndexByte(v, '\\') >= 0 {
		return appendZeekEscaped(dst, v)
	}
	return record.AppendString(dst, v)
}

// appendZeekEscaped writes a TSV string cell that holds Zeek's escapes as
// the JSON string of the bytes it stands for. Zeek's ASCII writer writes
// a backslash, a byte that is not printable (or, before Zeek 5, not
// ASCII), a separator inside a value ("O=Org\x2cC=US" in a vector) and a
// value that would read as the unset mark ("\x2d" for "-") as \xHH; its
// JSON writer and its own reader give the bytes themselves. A backslash
// not followed by two hex digits is kept. The bytes are put after dst's
// end, written from there as a JSON string and moved down over them (no
// buffer of their own).
func appendZeekEscaped(dst []byte, v string) []byte {
	m := len(dst)
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+3 < len(v) && v[i+1] == 'x' {
			hi, ok1 := unhex(v[i+2])
			lo, ok2 := unhex(v[i+3])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 3
				continue
			}
		}
		dst = append(dst, v[i])
	}
	k := len(dst) - m
	// Should the JSON string need a larger buffer, the bytes it is read
	// from stay in the old one.
	dst = record.AppendBytesString(dst, dst[m:])
	n := copy(dst[m:], dst[m+k:])
	return dst[:m+n]
}

// unhex is the value of a hex digit.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendTSVSet writes a set or vector cell as a JSON array, one element
// at a time (a cell of millions of elements is not split into a list
// first). Without a set separator the cell is one element.
func appendTSVSet(dst []byte, t *record.ZeekTSV, elem, v string) []byte {
	dst = append(dst, '[')
	if v != t.EmptyField {
		for more := true; more; {
			item := v
			if more = t.SetSeparator != ""; more {
				item, v, more = strings.Cut(v, t.SetSeparator)
			}
			dst = appendTSVValue(dst, t, elem, item)
			if more {
				dst = append(dst, ',')
			}
		}
	}
	return append(dst, ']')
}

// containerElem returns the element type of "set[T]" or "vector[T]".
func containerElem(typ string) (string, bool) {
	for _, p := range []string{"set[", "vector["} {
		if strings.HasPrefix(typ, p) && strings.HasSuffix(typ, "]") {
			return typ[len(p) : len(typ)-1], true
		}
	}
	return "", false
}
