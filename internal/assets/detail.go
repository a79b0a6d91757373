package assets

import (
	"encoding/json"
	"slices"
	"strings"
)

// Detail is an evidence's other field values ("id.orig_h", "user_agent",
// "times" …): a handful of fields, kept sorted by name, each name once.
// It is written as a JSON object with its names in order, as
// encoding/json writes a map: the slice costs less than a map to build,
// to copy with one field more and to write, which the inventory does for
// every vote and every evidence it shows.
type Detail []DetailField

// DetailField is one field of a Detail.
type DetailField struct{ Key, Value string }

// Get returns the value of the field key ("" when there is none).
func (d Detail) Get(key string) string {
	for _, f := range d {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// set gives the field key value v, adding it in its place when d has no
// such field (as assigning to a map: the last value set stays).
func (d Detail) set(key, v string) Detail {
	i := 0
	for ; i < len(d) && d[i].Key < key; i++ {
	}
	if i < len(d) && d[i].Key == key {
		d[i].Value = v
		return d
	}
	d = append(d, DetailField{})
	copy(d[i+1:], d[i:])
	d[i] = DetailField{key, v}
	return d
}

// with returns a copy of d with the field key set to v (d is shared by
// the vote it came from, so it is not changed).
func (d Detail) with(key, v string) Detail {
	out := make(Detail, len(d), len(d)+1)
	copy(out, d)
	return out.set(key, v)
}

// DetailOf returns the fields of m as a Detail.
// Its names are sorted once, not inserted one by one: a map read from
// JSON (UnmarshalJSON) may hold any number of them.
func DetailOf(m map[string]string) Detail {
	if len(m) == 0 {
		return nil
	}
	d := make(Detail, 0, len(m))
	for k, v := range m {
		d = append(d, DetailField{k, v})
	}
	slices.SortFunc(d, func(x, y DetailField) int { return strings.Compare(x.Key, y.Key) })
	return d
}

// MarshalJSON writes d as an object, as encoding/json writes a map of
// its fields (the encoder adds HTML escaping when it is set to).
func (d Detail) MarshalJSON() ([]byte, error) {
	if d == nil {
		return []byte("null"), nil
	}
	return appendDetail(nil, d), nil
}

// UnmarshalJSON reads an object of string values.
func (d *Detail) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		*d = nil
		return nil
	}
	*d = DetailOf(m)
	if *d == nil {
		*d = Detail{}
	}
	return nil
}

// appendDetail appends d as a JSON object.
func appendDetail(b []byte, d Detail) []byte {
	b = append(b, '{')
	for i, f := range d {
		b = appendJSONString(comma(b, i), f.Key)
		b = appendJSONString(append(b, ':'), f.Value)
	}
	return append(b, '}')
}
