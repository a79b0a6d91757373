package intel

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// LoadFile adds the indicators of one feed (a file, or a MISP feed
// directory) to s and returns how many it added. The format is chosen by
// content: a directory or a JSON file holding a MISP manifest or event, a
// JSON STIX bundle, a CSV file (.csv) or a plain list.
func LoadFile(s *Set, path string) (int, error) {
	before := s.Len()
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("intel: load %s: %w", path, err)
	}
	feed := filepath.Base(path)
	switch {
	case st.IsDir():
		err = loadMISPFeed(s, path, feed)
	case strings.EqualFold(filepath.Ext(path), ".json"):
		err = loadJSON(s, path, feed)
	case strings.EqualFold(filepath.Ext(path), ".csv"):
		err = loadCSV(s, path, feed)
	default:
		err = loadPlain(s, path, feed)
	}
	if err != nil {
		return s.Len() - before, fmt.Errorf("intel: load %s: %w", path, err)
	}
	return s.Len() - before, nil
}

// loadPlain reads a plain list file (readPlain).
func loadPlain(s *Set, path, feed string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return readPlain(s, f, feed)
}

// readPlain reads one indicator per line; '#' starts a comment, and a
// second field after whitespace or a comma is kept as the description.
func readPlain(s *Set, r io.Reader, feed string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		value, desc, _ := strings.Cut(line, ",")
		if fields := strings.Fields(value); len(fields) > 1 {
			value, desc = fields[0], strings.Join(fields[1:], " ")
		}
		if kind, ok := Detect(value); ok {
			_ = s.Add(Indicator{Kind: kind, Value: value, Feed: feed, Description: strings.TrimSpace(desc)})
		}
	}
	return sc.Err()
}

// csvValueColumns name columns whose cells are indicators; a column named
// after a kind holds indicators of that kind.
var csvValueColumns = []string{"indicator", "ioc", "value", "observable", "ip", "ip_address", "cidr", "domain",
	"hostname", "url", "ja3", "ja3_md5", "ja4", "sha1", "sha256", "fingerprint", "cert_sha1"}

// loadCSV reads a CSV file (readCSV).
func loadCSV(s *Set, path, feed string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return readCSV(s, f, feed)
}

// readCSV reads CSV whose header names its columns: indicator columns
// (indicator/ioc/value or a kind name such as ip, domain, url, ja3), an
// optional type column (MISP or Vigil type names) and an optional
// description/comment column.
func readCSV(s *Set, in io.Reader, feed string) error {
	r := csv.NewReader(in)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	cols, typeCol, descCol := map[int]string{}, -1, -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "type" || h == "kind" || h == "ioc_type" || h == "indicator_type":
			typeCol = i
		case h == "description" || h == "comment" || h == "tags" || h == "info" || h == "threat":
			descCol = i
		default:
			for _, c := range csvValueColumns {
				if h == c {
					cols[i] = h
				}
			}
		}
	}
	if len(cols) == 0 {
		return fmt.Errorf("no indicator column in header %q", header)
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		desc := cell(row, descCol)
		for i := range cols {
			v := cell(row, i)
			kind, ok := Kind(""), false
			if t := cell(row, typeCol); t != "" {
				kind, ok = kindOf(t, v)
			} else {
				kind, ok = Detect(v)
			}
			if ok {
				_ = s.Add(Indicator{Kind: kind, Value: v, Feed: feed, Description: desc})
			}
		}
	}
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// kindOf maps a feed's type name (MISP attribute types, Vigil kinds) to a
// Kind, checking the value fits.
func kindOf(typ, v string) (Kind, bool) {
	t := strings.ToLower(typ)
	detected, ok := Detect(v)
	switch {
	case strings.HasPrefix(t, "ip") || t == "ipv4-addr" || t == "ipv6-addr" || t == "cidr":
		if ok && (detected == IP || detected == CIDR) {
			return detected, true
		}
	case t == "domain" || t == "hostname" || t == "domain-name" || t == "fqdn":
		return Domain, v != ""
	case t == "url" || t == "uri" || t == "link":
		return URL, v != ""
	case strings.Contains(t, "ja3") && !strings.Contains(t, "ja3s"):
		return JA3, ok && detected == JA3
	case strings.Contains(t, "ja4"):
		return JA4, v != ""
	case strings.Contains(t, "x509") || strings.Contains(t, "sha1") || strings.Contains(t, "sha256") || t == "cert":
		k, ok := Detect(strings.ReplaceAll(v, ":", ""))
		return Cert, ok && k == Cert
	}
	return "", false
}

// loadJSON reads a MISP event, a MISP manifest (with its event files
// beside it) or a STIX 2.1 bundle.
func loadJSON(s *Set, path, feed string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return readJSON(s, data, path, feed)
}

// readJSON reads the JSON file at path, whose content is data.
func readJSON(s *Set, data []byte, path, feed string) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case probe["Event"] != nil:
		return loadMISPEvent(s, data, feed)
	case bytes.Contains(probe["type"], []byte(`"bundle"`)):
		return loadSTIX(s, data, feed)
	case filepath.Base(path) == "manifest.json":
		return loadMISPFeed(s, filepath.Dir(path), feed)
	}
	return fmt.Errorf("neither a MISP event, a MISP manifest nor a STIX bundle")
}

type mispAttribute struct {
	Type    string `json:"type"`
	Value   string `json:"value"`
	Comment string `json:"comment"`
	ToIDS   *bool  `json:"to_ids"`
}

type mispEvent struct {
	Event struct {
		Info      string          `json:"info"`
		Attribute []mispAttribute `json:"Attribute"`
		Object    []struct {
			Attribute []mispAttribute `json:"Attribute"`
		} `json:"Object"`
	} `json:"Event"`
}

func loadMISPEvent(s *Set, data []byte, feed string) error {
	var ev mispEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("MISP event: %w", err)
	}
	attrs := ev.Event.Attribute
	for _, o := range ev.Event.Object {
		attrs = append(attrs, o.Attribute...)
	}
	for _, a := range attrs {
		if a.ToIDS != nil && !*a.ToIDS {
			continue // MISP marks context-only attributes to_ids false
		}
		desc := ev.Event.Info
		if a.Comment != "" {
			desc += ": " + a.Comment
		}
		for _, part := range mispValues(a) {
			if kind, ok := kindOf(part.typ, part.value); ok {
				_ = s.Add(Indicator{Kind: kind, Value: part.value, Feed: feed, Description: desc})
			}
		}
	}
	return nil
}

type typedValue struct{ typ, value string }

// mispValues splits composite attributes ("ip-dst|port", "domain|ip").
func mispValues(a mispAttribute) []typedValue {
	if !strings.Contains(a.Type, "|") {
		return []typedValue{{a.Type, a.Value}}
	}
	types := strings.Split(a.Type, "|")
	values := strings.Split(a.Value, "|")
	var out []typedValue
	for i := range types {
		if i < len(values) && types[i] != "port" {
			out = append(out, typedValue{types[i], values[i]})
		}
	}
	return out
}

// loadMISPFeed reads a MISP feed directory: manifest.json lists the
// events, each in <uuid>.json beside it.
func loadMISPFeed(s *Set, dir, feed string) error {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(data, &manifest); err != nil {
		return fmt.Errorf("MISP manifest: %w", err)
	}
	for uuid := range manifest {
		if strings.ContainsAny(uuid, `/\`) {
			continue
		}
		ev, err := os.ReadFile(filepath.Join(dir, uuid+".json"))
		if err != nil {
			return fmt.Errorf("MISP event %s: %w", uuid, err)
		}
		if err := loadMISPEvent(s, ev, feed); err != nil {
			return fmt.Errorf("MISP event %s: %w", uuid, err)
		}
	}
	return nil
}

// stixComparison finds "object:property = 'value'" comparisons in a STIX
// pattern.
var stixComparison = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([a-z0-9-]+):([A-Za-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'`)
})

// loadSTIX reads the indicators of a STIX 2.1 bundle. Every equality
// comparison of a pattern becomes an indicator (a pattern joining several
// with AND is matched on each of them: feeds rarely use AND).
func loadSTIX(s *Set, data []byte, feed string) error {
	var bundle struct {
		Objects []struct {
			Type        string `json:"type"`
			Pattern     string `json:"pattern"`
			PatternType string `json:"pattern_type"`
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return fmt.Errorf("STIX bundle: %w", err)
	}
	for _, o := range bundle.Objects {
		if o.Type != "indicator" || (o.PatternType != "" && o.PatternType != "stix") {
			continue
		}
		desc := o.Name
		if desc == "" {
			desc = o.Description
		}
		for _, m := range stixComparison().FindAllStringSubmatch(o.Pattern, -1) {
			value := strings.ReplaceAll(m[3], `\'`, `'`)
			if kind, ok := stixKind(m[1], m[2], value); ok {
				_ = s.Add(Indicator{Kind: kind, Value: value, Feed: feed, Description: desc})
			}
		}
	}
	return nil
}

func stixKind(object, property, value string) (Kind, bool) {
	switch object {
	case "ipv4-addr", "ipv6-addr":
		k, ok := Detect(value)
		return k, ok && (k == IP || k == CIDR)
	case "domain-name":
		return Domain, true
	case "url":
		return URL, true
	case "x509-certificate", "file":
		p := strings.ToUpper(property)
		if strings.Contains(p, "SHA-1") || strings.Contains(p, "SHA1") || strings.Contains(p, "SHA-256") || strings.Contains(p, "SHA256") {
			k, ok := Detect(value)
			return Cert, ok && k == Cert
		}
	}
	return "", false
}
