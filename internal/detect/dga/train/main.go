// Command train fits the DGA detector's character model and writes it as
// JSON (internal/detect/dga/model.json, embedded in the binary):
//
//	apt-get install wamerican ieee-data
//	go run ./internal/detect/dga/train -out internal/detect/dga/model.json
//
// Benign examples are made from Debian's word list (-words, wamerican) and
// the IEEE registry's vendor names (-vendors, ieee-data): single words,
// two words run together, vendor brands and words with digits, the shapes
// of real domain labels. -benign adds a list of real domains (one per line,
// or CSV rows whose last field is the name). The shipped model uses no
// test corpus data: the corpus is for testing only. Generated examples come from this
// command's own generators, written for Vigil: random letters, random
// letters and digits, hex strings, consonant-vowel syllables and
// concatenated English words. No DGA family list is used for training, so
// every family of the andrewaeva corpus stays held back for the test.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/dga/gen"
)

func main() {
	benign := flag.String("benign", "", "extra benign domain list (one per line or CSV with the name last)")
	words := flag.String("words", "/usr/share/dict/words", "word list for benign labels (Debian wamerican)")
	vendors := flag.String("vendors", "/usr/share/ieee-data/oui.csv", "IEEE OUI registry CSV for brand-like benign labels (Debian ieee-data)")
	out := flag.String("out", "internal/detect/dga/model.json", "model file to write")
	buckets := flag.Int("buckets", 4096, "hashed n-gram buckets")
	epochs := flag.Int("epochs", 12, "training epochs")
	flag.Parse()
	if err := run(*benign, *words, *vendors, *out, *buckets, *epochs); err != nil {
		fmt.Fprintln(os.Stderr, "dga train:", err)
		os.Exit(1)
	}
}

func run(benignPath, wordsPath, vendorsPath, out string, buckets, epochs int) error {
	rng := rand.New(rand.NewPCG(20240501, 5))
	labels, err := benignLabels(rng, wordsPath, vendorsPath)
	if err != nil {
		return err
	}
	if benignPath != "" {
		extra, err := readLabels(benignPath)
		if err != nil {
			return err
		}
		labels = append(labels, extra...)
	}
	isDGA := make([]bool, len(labels))
	for n, i := len(labels)*3/2, 0; i < n; i++ {
		labels = append(labels, gen.Generate(rng))
		isDGA = append(isDGA, true)
	}
	source := fmt.Sprintf("benign: %d labels from %s and %s%s; generated: %d labels from the train command's own generators",
		len(isDGA)-countTrue(isDGA), wordsPath, vendorsPath, map[bool]string{true: " and " + benignPath}[benignPath != ""], countTrue(isDGA))
	m := dga.Train(labels, isDGA, buckets, epochs, source)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Printf("wrote %s (%d bytes): %s\n", out, len(b), source)
	return nil
}

// benignLabels makes domain-label-shaped benign examples from a word list
// and the vendor names of the IEEE registry.
func benignLabels(rng *rand.Rand, wordsPath, vendorsPath string) ([]string, error) {
	words, err := readColumn(wordsPath, -1, func(w string) bool { return len(w) >= 3 && len(w) <= 10 && isLower(w) })
	if err != nil {
		return nil, err
	}
	vendors, err := readColumn(vendorsPath, 2, func(v string) bool { return len(v) >= 3 && len(v) <= 12 })
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("no words in %s", wordsPath)
	}
	pick := func() string { return words[rng.IntN(len(words))] }
	var out []string
	for i := 0; i < 4000; i++ {
		out = append(out, pick())
	}
	for i := 0; i < 4000; i++ {
		if w := pick() + pick(); len(w) <= 16 {
			out = append(out, w)
		}
	}
	for i := 0; i < 1500; i++ {
		out = append(out, fmt.Sprintf("%s%d", pick(), rng.IntN(99)))
	}
	for i := 0; i < 1500; i++ {
		out = append(out, pick()+"-"+pick())
	}
	for i := 0; i < 1500 && len(vendors) > 2; i++ {
		// Abbreviations: initials of two or three brands ("hpe", "ibm").
		n := 2 + rng.IntN(2)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteByte(vendors[rng.IntN(len(vendors))][0])
		}
		out = append(out, b.String()+pick()[:3])
	}
	return append(out, vendors...), nil
}

// readColumn reads one lower-cased token per line: the whole line (col <
// 0) or the first word of CSV column col, letters only, kept when ok.
func readColumn(path string, col int, ok func(string) bool) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if col >= 0 {
			parts := strings.SplitN(line, ",", col+1)
			if len(parts) <= col {
				continue
			}
			fields := strings.Fields(strings.Trim(parts[col], `" `))
			if len(fields) == 0 {
				continue
			}
			line = fields[0]
		}
		tok := strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' {
				return r + 'a' - 'A'
			}
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, line)
		if col < 0 {
			tok = line
		}
		if ok(tok) && !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
	}
	return out, sc.Err()
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

func readLabels(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.LastIndexByte(line, ','); i >= 0 {
			line = line[i+1:]
		}
		line = strings.Trim(line, `"`)
		if line == "" || line == "qname" || strings.Contains(line, "arpa") {
			continue
		}
		if l := dga.Label(line); l != "" && !dga.Skip(l) {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
