package store

import (
	"strconv"
	"unicode/utf8"
)

// fields is a flat index of a JSON object's top-level members: key and raw
// value spans into the line. It allocates nothing once grown; nested
// objects and arrays are kept as their raw text.
type fields struct {
	line []byte
	keys [][2]int32
	vals [][2]int32
}

// parse indexes line; it reports false when line is not a JSON object.
func (f *fields) parse(line []byte) bool {
	f.line, f.keys, f.vals = line, f.keys[:0], f.vals[:0]
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i++
	for {
		i = skipWS(line, i)
		if i >= len(line) {
			return false
		}
		if line[i] == '}' {
			return true
		}
		if line[i] == ',' {
			i++
			continue
		}
		if line[i] != '"' {
			return false
		}
		ks := i + 1
		ke := skipString(line, i)
		if ke < 0 {
			return false
		}
		i = skipWS(line, ke)
		if i >= len(line) || line[i] != ':' {
			return false
		}
		vs := skipWS(line, i+1)
		ve := skipValue(line, vs)
		if ve < 0 {
			return false
		}
		f.keys = append(f.keys, [2]int32{int32(ks), int32(ke - 1)})
		f.vals = append(f.vals, [2]int32{int32(vs), int32(ve)})
		i = ve
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i] == '"'.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
				if j < 0 {
					return -1
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\n' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// raw returns the raw value of key, or nil.
func (f *fields) raw(key string) []byte {
	for n, k := range f.keys {
		if int(k[1]-k[0]) == len(key) && string(f.line[k[0]:k[1]]) == key {
			v := f.vals[n]
			return f.line[v[0]:v[1]]
		}
	}
	return nil
}

// str returns key's value as a string: JSON strings unescaped, numbers and
// literals as written, null and absent as "".
func (f *fields) str(key string) string {
	return unquote(f.raw(key))
}

func unquote(v []byte) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] != '"' {
		return string(v)
	}
	v = v[1 : len(v)-1]
	for _, c := range v {
		if c == '\\' {
			return unescape(v)
		}
	}
	return string(v)
}

func unescape(v []byte) string {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i+1 >= len(v) {
			out = append(out, c)
			continue
		}
		i++
		switch v[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			if i+4 < len(v) {
				if r, err := strconv.ParseUint(string(v[i+1:i+5]), 16, 32); err == nil {
					out = utf8.AppendRune(out, rune(r))
					i += 4
					continue
				}
			}
			out = append(out, 'u')
		default:
			out = append(out, v[i])
		}
	}
	return string(out)
}

// num returns key's value as a float64 (0 when absent or not a number;
// numbers written as strings are accepted).
func (f *fields) num(key string) float64 {
	v := f.raw(key)
	if len(v) > 1 && v[0] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) == 0 {
		return 0
	}
	x, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0
	}
	return x
}

// int returns key's value as an int64.
func (f *fields) int(key string) int64 {
	v := f.raw(key)
	if len(v) > 1 && v[0] == '"' {
		v = v[1 : len(v)-1]
	}
	var n int64
	neg := false
	for i, c := range v {
		if i == 0 && c == '-' {
			neg = true
			continue
		}
		if c < '0' || c > '9' {
			if c == '.' || c == 'e' || c == 'E' {
				return int64(f.num(key))
			}
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// bool reports whether key's value is true.
func (f *fields) bool(key string) bool { return string(f.raw(key)) == "true" }

// strs returns key's value as a list of strings: a JSON array of strings
// (or of any values, as written), a single string, or nil.
func (f *fields) strs(key string) []string {
	return strList(f.raw(key))
}

func strList(v []byte) []string {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	if v[0] != '[' {
		if s := unquote(v); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	i := 1
	for {
		i = skipWS(v, i)
		if i >= len(v) || v[i] == ']' {
			return out
		}
		if v[i] == ',' {
			i++
			continue
		}
		e := skipValue(v, i)
		if e < 0 {
			return out
		}
		out = append(out, unquote(v[i:e]))
		i = e
	}
}

// keysOf returns the keys of the JSON object v (e.g. {"a":1,"b":2}).
func keysOf(v []byte) []string {
	var f fields
	if !f.parse(v) {
		return nil
	}
	out := make([]string, len(f.keys))
	for n, k := range f.keys {
		out[n] = string(v[k[0]:k[1]])
	}
	return out
}

// objects returns the raw elements of the JSON array v.
func objects(v []byte) [][]byte {
	if len(v) == 0 || v[0] != '[' {
		return nil
	}
	var out [][]byte
	i := 1
	for {
		i = skipWS(v, i)
		if i >= len(v) || v[i] == ']' {
			return out
		}
		if v[i] == ',' {
			i++
			continue
		}
		e := skipValue(v, i)
		if e < 0 {
			return out
		}
		out = append(out, v[i:e])
		i = e
	}
}
