package assets

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestRequiredLiterals(t *testing.T) {
	for expr, want := range map[string][]string{
		`(?i)^MSFT 5\.0`:                         {"msft 5.0"},
		`(?i)(^|\.)tuya(cn|eu|us|in)?\.com$`:     {"tuya"},
		`(?i)PuTTY|WinSCP`:                       {"putty", "winscp"},
		`(?i)Microsoft-IIS/([\d.]+)`:             {"microsoft-iis/"},
		`(?i)\.iot\.[a-z0-9-]+\.amazonaws\.com$`: {".amazonaws.com"},
		`(?i)(ab)+x?`:                            {"ab"},
		`(?i)(ab){2,3}`:                          {"ab"},
		`(?i)a|b*`:                               nil,
		`(?i)x?`:                                 nil,
		`(?i).`:                                  nil,
		`(?i)[a-z]+`:                             nil,
		`(?i)(é|e)x`:                             {"x"},
		`(?i)caf(é)`:                             {"caf"},
		`(?i)^(?:(.*?)\.)?(_[a-z0-9-]+\._(?:tcp|udp))\.local\.?$`: {".local"},
	} {
		if got := requiredLiterals(expr); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}

// TestPrefilterKeepsMatches runs every built-in expression on many values
// (the record corpus's strings, the rules' own words in other cases) and
// checks that the prefilter never skips one it matches.
func TestPrefilterKeepsMatches(t *testing.T) {
	rules, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	values := corpusStrings(t)
	for _, list := range rules.match {
		for _, m := range list {
			for _, l := range m.pattern.required() {
				values = append(values, l, strings.ToUpper(l), "x"+l+"1.0", "K"+l, "\u212a"+l)
			}
			values = append(values, m.Match)
		}
	}
	values = append(values, "\u212a", "\u017f", "ſsh", "Ubuntu \u212a")
	matched := 0
	for _, v := range values {
		lower, ascii := asciiLower(v)
		for _, list := range rules.match {
			for _, m := range list {
				if !m.pattern.compiled().MatchString(v) {
					continue
				}
				matched++
				if lits := m.pattern.required(); !mayMatch(lits, lower, ascii) {
					t.Errorf("rule %s matches %q, the prefilter (%q) skips it", m.ID, v, lits)
				}
			}
		}
	}
	if matched < 500 {
		t.Errorf("only %d matches: the values test little", matched)
	}
	re := regexp.MustCompile(`(?i)sk`)
	if lits := requiredLiterals(`(?i)sk`); !re.MatchString("\u017f\u212a") || !mayMatch(lits, "", false) {
		t.Error("a value beyond ASCII must always run the expression")
	}
}

// corpusStrings returns the string values of the record corpus.
func corpusStrings(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join("testdata", "records", "*.log"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			_ = scanObject([]byte(line), func(_ []byte, v value) {
				switch v.kind() {
				case kindString:
					out = append(out, v.str())
				case kindArray:
					out = append(out, v.strs(64)...)
				}
			})
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d corpus strings", len(out))
	}
	return out
}

func TestIsAddrLiteral(t *testing.T) {
	for name, want := range map[string]bool{
		"10.1.2.3": true, "[10.1.2.3]": true, "2001:db8::1": true, "[2001:db8::1]": true, "fe80::1%eth0": true,
		"::ffff:1.2.3.4": true, "www.example.com": false, "1.2.3": false, "1.2.3.4.5": false, "": false,
		"01.2.3.4": false, "10.1.2.3a": false, "host:": false, "[]": false,
	} {
		if got := isAddrLiteral(name); got != want {
			t.Errorf("isAddrLiteral(%q) = %v", name, got)
		}
	}
}
