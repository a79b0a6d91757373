package intel

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvValueColumns name columns whose cells are indicators; a column named
// after a kind holds indicators of that kind (dst_ip: abuse.ch Feodo;
// ioc_value: ThreatFox).
var csvValueColumns = []string{"indicator", "ioc", "ioc_value", "value", "observable", "ip", "ip_address", "dst_ip",
	"cidr", "domain", "hostname", "url", "ja3", "ja3_md5", "ja4", "sha1", "sha256", "fingerprint", "cert_sha1"}

// csvDescColumns name description columns, the first present used
// (malware, malware_printable: Feodo, ThreatFox; listingreason: SSLBL).
var csvDescColumns = []string{"description", "comment", "malware_printable", "malware", "listingreason", "threat",
	"info", "tags"}

// csvLayout is what a CSV header says of its columns (-1: absent).
type csvLayout struct {
	values                 []int
	typeCol, descCol, toID int
}

// csvHeader reads a header row; ok is false when it names no indicator
// column.
func csvHeader(header []string) (l csvLayout, ok bool) {
	l = csvLayout{typeCol: -1, descCol: -1, toID: -1}
	desc := len(csvDescColumns)
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, bom)))
		switch {
		case h == "type" || h == "kind" || h == "ioc_type" || h == "indicator_type":
			l.typeCol = i
		case h == "to_ids":
			l.toID = i
		case indexOf(csvDescColumns, h) >= 0 && indexOf(csvDescColumns, h) < desc:
			l.descCol, desc = i, indexOf(csvDescColumns, h)
		case indexOf(csvValueColumns, h) >= 0:
			l.values = append(l.values, i)
		}
	}
	return l, len(l.values) > 0
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// readCSV reads CSV whose header names its columns: indicator columns
// (indicator/ioc/value or a kind name such as ip, domain, url, ja3), an
// optional type column (MISP or Vigil type names; MISP composites such as
// ip-dst|port are split), an optional to_ids column (0 or false: the row
// is context, not an indicator) and an optional description column. The
// header is the first line that is not a comment, or, when that is not a
// header but data (abuse.ch), the '#' comment line just before it.
func readCSV(s *Set, in io.Reader, feed string) error {
	layout, body, err := csvStart(bufio.NewReader(in))
	if err != nil {
		return err
	}
	r := newCSVReader(body)
	for {
		row, err := r.Read()
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, new(*csv.ParseError)):
			s.rejected++
			continue
		case err != nil:
			return fmt.Errorf("read: %w", err)
		}
		csvRow(s, layout, row, feed)
	}
}

func newCSVReader(in io.Reader) *csv.Reader {
	r := csv.NewReader(in)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	return r
}

// csvStart finds the header (readCSV) and returns the layout it gives
// and the reader of the data rows.
func csvStart(br *bufio.Reader) (csvLayout, io.Reader, error) {
	var comment string
	for {
		line, err := br.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			if err == io.EOF {
				err = errors.New("no header")
			}
			return csvLayout{}, nil, fmt.Errorf("header: %w", err)
		}
		text := strings.TrimSpace(strings.TrimPrefix(line, bom))
		if text == "" {
			continue
		}
		if c, ok := strings.CutPrefix(text, "#"); ok {
			comment = c
			continue
		}
		header, herr := csvFields(text)
		if l, ok := csvHeader(header); ok && herr == nil {
			return l, br, nil
		}
		if fields, err := csvFields(comment); err == nil {
			if l, ok := csvHeader(fields); ok {
				return l, io.MultiReader(strings.NewReader(line), br), nil
			}
		}
		if herr != nil {
			return csvLayout{}, nil, fmt.Errorf("header: %w", herr)
		}
		return csvLayout{}, nil, fmt.Errorf("no indicator column in header %q", header)
	}
}

// csvFields parses one line of CSV.
func csvFields(line string) ([]string, error) {
	r := newCSVReader(strings.NewReader(line))
	r.ReuseRecord = false
	return r.Read()
}

// csvRow adds the indicators of one data row.
func csvRow(s *Set, l csvLayout, row []string, feed string) {
	if l.toID >= 0 && !truthy(cell(row, l.toID)) {
		return // MISP marks context-only attributes to_ids 0
	}
	desc, typ := cell(row, l.descCol), cell(row, l.typeCol)
	for _, i := range l.values {
		v := cell(row, i)
		switch {
		case v == "":
		case typ != "":
			s.typed(typ, v, feed, desc)
		default:
			s.detected(v, feed, desc)
		}
	}
}

// truthy reads a to_ids cell: empty (not given) is true.
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "0", "false", "no", "n":
		return false
	}
	return true
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// typed adds the indicators of a value whose feed gives its type (MISP
// attribute types, Vigil kinds): composites ("ip-dst|port") are split.
// A value of a known type that does not fit it is counted as rejected;
// types that are not indicator kinds here (file hashes, e-mail
// addresses, comments) are passed over.
func (s *Set) typed(typ, value, feed, desc string) {
	for _, part := range mispValues(typ, value) {
		v := cleanValue(part.value)
		kind, known, ok := kindOf(part.typ, v)
		switch {
		case ok:
			s.add(Indicator{Kind: kind, Value: v, Feed: feed, Description: desc})
		case known:
			s.rejected++
		}
	}
}

type typedValue struct{ typ, value string }

// mispValues splits composite attributes ("ip-dst|port", "domain|ip");
// port parts are dropped.
func mispValues(typ, value string) []typedValue {
	if !strings.Contains(typ, "|") {
		return []typedValue{{typ, value}}
	}
	types := strings.Split(typ, "|")
	values := strings.Split(value, "|")
	var out []typedValue
	for i := range types {
		if i < len(values) && types[i] != "port" {
			out = append(out, typedValue{types[i], values[i]})
		}
	}
	return out
}

// kindOf maps a feed's type name (MISP attribute types, Vigil kinds,
// ThreatFox ioc_type) to a Kind: known says the type is one of an
// indicator kind, ok that the value fits it. Plain "sha1"/"sha256" types
// are file hashes (MISP), not certificates.
func kindOf(typ, v string) (kind Kind, known, ok bool) {
	t := strings.ToLower(typ)
	detected, dok := Detect(v)
	switch {
	case strings.HasPrefix(t, "ip") || t == "ipv4-addr" || t == "ipv6-addr" || t == "cidr":
		return detected, true, dok && (detected == IP || detected == CIDR)
	case t == "domain" || t == "hostname" || t == "domain-name" || t == "fqdn":
		return Domain, true, dok && detected == Domain
	case t == "url" || t == "uri" || t == "link":
		return URL, true, v != ""
	case strings.Contains(t, "ja3") && !strings.Contains(t, "ja3s"):
		return JA3, true, dok && detected == JA3
	case strings.Contains(t, "ja4"):
		return JA4, true, v != ""
	case strings.Contains(t, "x509") || strings.Contains(t, "cert"):
		k, ok := Detect(strings.ReplaceAll(v, ":", ""))
		return Cert, true, ok && k == Cert
	}
	return "", false, false
}
