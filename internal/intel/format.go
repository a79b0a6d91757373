package intel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Result says what loading one feed did.
type Result struct {
	Added    int // indicators added
	Rejected int // values refused as not indicators (Set.Rejected)
}

// LoadFile adds the indicators of one feed (a file, or a MISP feed
// directory) to s and returns how many it added (Load).
func LoadFile(s *Set, path string) (int, error) {
	r, err := Load(s, path)
	return r.Added, err
}

// Load adds the indicators of one feed (a file, or a MISP feed directory)
// to s. The format is chosen by name and content: a directory or a JSON
// file holding a MISP manifest or event, a JSON STIX bundle, a CSV file
// (.csv) or a plain list. A gzip file (by its magic bytes) is read
// decompressed, its format chosen by the name without ".gz"; a leading
// UTF-8 BOM is dropped; a binary file is refused.
func Load(s *Set, path string) (Result, error) {
	added, rejected := s.Len(), s.Rejected()
	err := loadPath(s, path)
	r := Result{Added: s.Len() - added, Rejected: s.Rejected() - rejected}
	if err != nil {
		return r, fmt.Errorf("intel: load %s: %w", path, err)
	}
	return r, nil
}

func loadPath(s *Set, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	feed := filepath.Base(path)
	if st.IsDir() {
		return loadMISPFeed(s, path, feed)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	in, err := textReader(f)
	if err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(strings.TrimSuffix(strings.ToLower(path), ".gz"))) {
	case ".json":
		data, err := io.ReadAll(io.LimitReader(in, maxJSON+1))
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if len(data) > maxJSON {
			return fmt.Errorf("JSON feed larger than %d MiB", maxJSON>>20)
		}
		return readJSON(s, data, path, feed)
	case ".csv":
		return readCSV(s, in, feed)
	}
	return readPlain(s, in, feed)
}

// maxJSON bounds a JSON feed (read whole to be decoded).
const maxJSON = 1 << 30

// textReader returns the text of a feed file: decompressed when it is
// gzip, without a leading BOM; an error when it is binary.
func textReader(f io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read: %w", err)
	}
	if binary(head) {
		return nil, errors.New("binary content, not a text feed (compressed with something other than gzip?)")
	}
	if bytes.HasPrefix(head, []byte(bom)) {
		br.Discard(len(bom))
	}
	return br, nil
}

const bom = "\ufeff"

// binary reports whether the start of a file is not text: it holds a NUL
// or more than 1 in 10 control characters other than tab, CR, LF and FF.
func binary(head []byte) bool {
	ctl := 0
	for _, c := range head {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f', c == 0x7f:
			ctl++
		}
	}
	return ctl*10 > len(head)
}

// readPlain reads one indicator per line; '#' starts a comment, and a
// second field after whitespace or a comma is kept as the description.
// Hosts-file lines ("0.0.0.0 evil.example") list their names.
func readPlain(s *Set, r io.Reader, feed string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for first := true; sc.Scan(); first = false {
		line := sc.Text()
		if first {
			line = strings.TrimPrefix(line, bom)
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			plainLine(s, line, feed)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// plainLine adds the indicator of one line of a plain list.
func plainLine(s *Set, line, feed string) {
	fields := strings.Fields(line)
	if hostsLine(s, fields, feed) {
		return
	}
	value, desc, _ := strings.Cut(line, ",")
	if fields := strings.Fields(value); len(fields) > 1 {
		value, desc = fields[0], strings.Join(fields[1:], " ")
	}
	s.detected(value, feed, strings.TrimSpace(desc))
}

// hostsLine reads a hosts-file line: a sink address (0.0.0.0, 127.0.0.1,
// ::, ::1, or any loopback, unspecified, link-local, multicast or
// broadcast address) followed by names. The names are the indicators; the
// address is only where the list sends them, never an indicator. Local
// names of hosts files (localhost, broadcasthost, ip6-allnodes, names
// without a dot) are passed over. It reports whether line was one.
func hostsLine(s *Set, fields []string, feed string) bool {
	if len(fields) < 2 {
		return false
	}
	a, err := netip.ParseAddr(fields[0])
	if err != nil || !sinkAddr(a.WithZone("")) {
		return false
	}
	for _, name := range fields[1:] {
		switch {
		case !strings.Contains(name, ".") || strings.EqualFold(name, "localhost.localdomain"):
		case isAddr(name):
		case validDomain(name):
			s.add(Indicator{Kind: Domain, Value: name, Feed: feed})
		default:
			s.rejected++
		}
	}
	return true
}

func sinkAddr(a netip.Addr) bool {
	return a.IsUnspecified() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

func isAddr(v string) bool {
	_, err := netip.ParseAddr(v)
	return err == nil
}

// detected adds value as the indicator Detect says it is, after
// cleanValue; a value of no kind is counted as rejected.
func (s *Set) detected(value, feed, desc string) {
	value = cleanValue(value)
	if kind, ok := Detect(value); ok {
		s.add(Indicator{Kind: kind, Value: value, Feed: feed, Description: desc})
	} else {
		s.rejected++
	}
}

// add adds ind, counting it as rejected when Add refuses it.
func (s *Set) add(ind Indicator) {
	if err := s.Add(ind); err != nil {
		s.rejected++
	}
}

// refang undoes the defanging of shared indicators: "1.2.3[.]4",
// "evil(.)example", "hxxp://", "[:]//".
var refang = strings.NewReplacer("[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "[:]", ":", "[://]", "://")

// cleanValue turns the forms feeds give an indicator in into the one Add
// takes: no BOM or surrounding blanks, refanged, and an address with a
// port ("198.51.100.7:443", "[2001:db8::7]:443") only the address.
func cleanValue(v string) string {
	v = refang.Replace(strings.TrimSpace(strings.TrimPrefix(v, bom)))
	if len(v) > 4 && strings.EqualFold(v[:4], "hxxp") {
		v = "http" + v[4:]
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().String()
	}
	return v
}
