// Package dgatrain assembles the DGA model's training examples and fits it:
// the routine behind `go run ./internal/detect/dga/train`, which writes the
// shipped model (model_data.go), and behind TestFamilyHoldOut, which trains on some
// andrewaeva-dga families at test time.
//
// The shipped recipe (Default) uses no test-corpus data. Benign examples
// come from Debian packages: the word list (wamerican) and the IEEE
// registry's vendor names (ieee-data) make domain-label shapes — single
// words, two words run together or hyphenated, words with digits, vendor
// brands and brand initials; single words of other languages' word lists
// (wbritish, wngerman, wfrench, wspanish, witalian, wdutch, wpolish); and the
// names in the Public Suffix List (publicsuffix), real labels such as
// Japanese and Norwegian place names and hosting brands. Generated examples
// come from Vigil's own generators (package gen), a tenth of them three to
// five words of the lexicon run together. The lexicon labels are segmented
// into is wamerican's words and names (Lexicon); models trained without a
// word list of their own (TestFamilyHoldOut) take the shipped model's, and
// make their synthetic benign labels (all but the vendor names) from its
// words.
// Callers may add benign and DGA labels of their own: DGA labels listed
// family after family, so that dga.Train's grouped cross-fitting holds
// families out.
package dgatrain

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/dga/gen"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
)

// Config says what to train on.
type Config struct {
	// Words and Vendors are the Debian word list and the IEEE OUI CSV the
	// synthetic benign labels are made from; Words "" makes them (less the
	// vendor names) from the lexicon's words instead.
	Words, Vendors string
	// MoreWords are word lists of other languages and spellings (Debian's
	// wbritish, wngerman, wfrench, ...): moreEach single words from each.
	MoreWords []string
	// Suffixes is the Public Suffix List (Debian publicsuffix): its rules'
	// names ("kawasaki" of kawasaki.jp, "herokuapp" of herokuapp.com) are
	// real domain labels, many of them not English.
	Suffixes string
	// Benign and DGA are labels (already reduced by dga.Label) added to the
	// others.
	Benign, DGA []string
	// Generated is how many labels Vigil's generators add; negative means
	// 1.5 times the number of benign labels (the shipped recipe).
	Generated int
	// Lexicon names the word lists labels are segmented into (see
	// Lexicon); none means the shipped model's lexicon.
	Lexicon []string
	// Buckets and Epochs are passed to dga.Train (0: 16384 and 12).
	Buckets, Epochs int
	// Trees and Depth size dga.Train's boosted trees (0: 100 and 3;
	// negative Trees: none).
	Trees, Depth int
	// Source describes Benign and DGA in the model's Source field.
	Source string
	// Seed seeds the generators and the sampling of word lists (0: the
	// shipped recipe's).
	Seed uint64
}

// concatShare is the percentage of generated labels that are three to five
// words of the lexicon run together (the rest come from gen.Generate).
const concatShare = 10

// moreEach is the number of single words taken from each MoreWords list.
const moreEach = 1000

// Default is the shipped model's recipe:
//
//	apt-get install wamerican wbritish wngerman wfrench wspanish witalian wdutch wpolish ieee-data publicsuffix
func Default() Config {
	var more []string
	for _, l := range []string{"british-english", "ngerman", "french", "spanish", "italian", "dutch", "polish"} {
		more = append(more, "/usr/share/dict/"+l)
	}
	return Config{Words: "/usr/share/dict/american-english", Vendors: "/usr/share/ieee-data/oui.csv", MoreWords: more,
		Suffixes: "/usr/share/publicsuffix/public_suffix_list.dat", Lexicon: []string{"/usr/share/dict/american-english"},
		Generated: -1, Buckets: 16384, Epochs: 12}
}

// Train assembles the examples cfg names and fits a model. It is
// deterministic for given inputs.
func Train(cfg Config) (*dga.Model, error) {
	seed := cfg.Seed
	if seed == 0 {
		seed = 20240501
	}
	rng := rand.New(rand.NewPCG(seed, 5))
	var labels, src []string
	if cfg.Words != "" {
		syn, err := Synthetic(rng, cfg.Words, cfg.Vendors)
		if err != nil {
			return nil, err
		}
		labels = append(labels, syn...)
		src = append(src, fmt.Sprintf("%d synthetic from %s and %s", len(syn), cfg.Words, cfg.Vendors))
	}
	for _, path := range cfg.MoreWords {
		words, err := readColumn(path, -1, func(w string) bool { return len(w) >= 5 && len(w) <= 12 && isLower(w) })
		if err != nil {
			return nil, err
		}
		if len(words) == 0 {
			return nil, fmt.Errorf("no words in %s", path)
		}
		for i := 0; i < moreEach; i++ {
			labels = append(labels, words[rng.IntN(len(words))])
		}
		src = append(src, fmt.Sprintf("%d words of %s", moreEach, path))
	}
	lex, err := Lexicon(cfg.Lexicon)
	if err != nil {
		return nil, err
	}
	if cfg.Words == "" {
		// No word list: the same shapes from the lexicon's words.
		var ws []string
		for _, w := range strings.Fields(lex) {
			if len(w) >= 3 && len(w) <= 10 {
				ws = append(ws, w)
			}
		}
		syn := synthetic(rng, ws, nil)
		labels = append(labels, syn...)
		src = append(src, fmt.Sprintf("%d synthetic from the lexicon", len(syn)))
	}
	if cfg.Suffixes != "" {
		psl, err := SuffixLabels(cfg.Suffixes)
		if err != nil {
			return nil, err
		}
		labels = append(labels, psl...)
		src = append(src, fmt.Sprintf("%d names of %s", len(psl), cfg.Suffixes))
	}
	if len(cfg.Benign) > 0 {
		labels = append(labels, cfg.Benign...)
		src = append(src, fmt.Sprintf("%d of %s", len(cfg.Benign), orDefault(cfg.Source, "the caller")))
	}
	nBenign := len(labels)
	isDGA := make([]bool, nBenign)
	n := cfg.Generated
	if n < 0 {
		n = nBenign * 3 / 2
	}
	lexWords := strings.Fields(lex)
	// Groups for the second cross-fitting of dga.Train: the benign labels
	// spread over the parts, each generator's in one part (the word
	// concatenations with the pronounceable ones), the caller's DGA
	// labels in four runs (a list of families, one after the other, keeps
	// most of each family in one part).
	groups := make([]int, 0, nBenign+n+len(cfg.DGA))
	for i := 0; i < nBenign; i++ {
		groups = append(groups, i)
	}
	concat := 0
	for i := 0; i < n; i++ {
		if i%100 < concatShare {
			labels = append(labels, gen.Concat(rng, lexWords, 3, 5))
			groups = append(groups, 3)
			concat++
		} else {
			l, k := gen.GenerateKind(rng)
			labels = append(labels, l)
			groups = append(groups, k)
		}
		isDGA = append(isDGA, true)
	}
	for i := range cfg.DGA {
		groups = append(groups, i*4/len(cfg.DGA))
	}
	dgaSrc := []string{}
	if n > 0 {
		dgaSrc = append(dgaSrc, fmt.Sprintf("%d from Vigil's own generators (%d of them lexicon words run together)", n, concat))
	}
	if len(cfg.DGA) > 0 {
		labels = append(labels, cfg.DGA...)
		for range cfg.DGA {
			isDGA = append(isDGA, true)
		}
		dgaSrc = append(dgaSrc, fmt.Sprintf("%d of %s", len(cfg.DGA), orDefault(cfg.Source, "the caller")))
	}
	if nBenign == 0 || len(labels) == nBenign {
		return nil, fmt.Errorf("dgatrain: need benign and generated examples (%d benign, %d generated)", nBenign, len(labels)-nBenign)
	}
	buckets, epochs := cfg.Buckets, cfg.Epochs
	if buckets <= 0 {
		buckets = 16384
	}
	if epochs <= 0 {
		epochs = 12
	}
	source := fmt.Sprintf("benign: %s; generated: %s", strings.Join(src, ", "), strings.Join(dgaSrc, ", "))
	o := dga.TrainOptions{Lexicon: lex, Buckets: buckets, Epochs: epochs, Trees: cfg.Trees, Depth: cfg.Depth, Rate: 0.2, Groups: groups, Source: source}
	if o.Trees == 0 {
		o.Trees = 100
	}
	if o.Depth <= 0 {
		o.Depth = 3
	}
	if o.Trees < 0 {
		o.Trees = 0
	}
	return dga.Train(labels, isDGA, o), nil
}

// twoLetter are the two-letter English words a lexicon holds.
const twoLetter = "am an as at be by do go he if in is it me my no of on or so to up us we"

// Lexicon returns the words of the word lists at paths for the model's
// lexicon, space-separated and sorted: their words of 3 to 15 letters,
// lower-case or capitalised names (lower-cased), and the common two-letter
// English words. No paths means the shipped model's lexicon (made from
// Debian's wamerican).
func Lexicon(paths []string) (string, error) {
	if len(paths) == 0 {
		return dga.DefaultLexicon()
	}
	seen := map[string]bool{}
	for _, w := range strings.Fields(twoLetter) {
		seen[w] = true
	}
	for _, path := range paths {
		words, err := readColumn(path, -1, func(w string) bool { return len(w) >= 3 && len(w) <= 15 && isWord(w) })
		if err != nil {
			return "", err
		}
		for _, w := range words {
			seen[strings.ToLower(w)] = true
		}
	}
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	sort.Strings(words)
	return strings.Join(words, " "), nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// SuffixLabels returns the names in the rules of a Public Suffix List
// file: each dot-separated part of five characters or more, letters,
// digits and hyphens only, not punycode, once each.
func SuffixLabels(path string) ([]string, error) {
	return uniqueTokens(path, func(line string, keep func(string)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") {
			return
		}
		for _, p := range strings.Split(strings.TrimLeft(line, "!*."), ".") {
			if len(p) >= 5 && !strings.HasPrefix(p, "xn--") && strings.Trim(p, "abcdefghijklmnopqrstuvwxyz0123456789-") == "" {
				keep(p)
			}
		}
	})
}

// uniqueTokens reads path line by line; tokens hands keep the tokens of
// each line, and the result holds each token once, in first-seen order.
func uniqueTokens(path string, tokens func(line string, keep func(string))) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []string
	keep := func(tok string) {
		if !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		tokens(sc.Text(), keep)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// Synthetic makes domain-label-shaped benign examples from a word list and
// the vendor names of the IEEE registry (vendorsPath "" leaves those out).
func Synthetic(rng *rand.Rand, wordsPath, vendorsPath string) ([]string, error) {
	words, err := readColumn(wordsPath, -1, func(w string) bool { return len(w) >= 3 && len(w) <= 10 && isLower(w) })
	if err != nil {
		return nil, err
	}
	var vendors []string
	if vendorsPath != "" {
		if vendors, err = readColumn(vendorsPath, 2, func(v string) bool { return len(v) >= 3 && len(v) <= 12 }); err != nil {
			return nil, err
		}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("no words in %s", wordsPath)
	}
	return synthetic(rng, words, vendors), nil
}

// synthetic makes Synthetic's labels from words and vendor names.
func synthetic(rng *rand.Rand, words, vendors []string) []string {
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
	return append(out, vendors...)
}

// readColumn reads one lower-cased token per line: the whole line (col <
// 0) or the first word of CSV column col, letters only, kept when ok.
func readColumn(path string, col int, ok func(string) bool) ([]string, error) {
	return uniqueTokens(path, func(line string, keep func(string)) {
		if col >= 0 {
			parts := strings.SplitN(line, ",", col+1)
			if len(parts) <= col {
				return
			}
			fields := strings.Fields(strings.Trim(parts[col], `" `))
			if len(fields) == 0 {
				return
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
		if ok(tok) {
			keep(tok)
		}
	})
}

// isWord reports lower-case words and capitalised names.
func isWord(s string) bool {
	if s[0] >= 'A' && s[0] <= 'Z' {
		return isLower(s[1:])
	}
	return isLower(s)
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// Row is one name of a domain list, reduced to the label dga scores, with
// the line's CSV fields (unquoted).
type Row struct {
	Label  string
	Fields []string
}

// ReadRows reads a domain list: one name per line, or CSV rows whose name
// is field (0-based; negative counts from the end, -1 the last field).
// Blank lines, headers ("qname", "domain"), reverse-lookup names and labels
// dga.Skip passes over are dropped.
func ReadRows(path string, field int) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ",")
		for i, v := range fields {
			fields[i] = strings.Trim(strings.TrimSpace(v), `"`)
		}
		i := field
		if i < 0 {
			i += len(fields)
		}
		if i < 0 || i >= len(fields) {
			continue
		}
		name := fields[i]
		if name == "" || name == "qname" || name == "domain" || strings.HasSuffix(name, ".arpa") {
			continue
		}
		if l := listLabel(name); l != "" && !dga.Skip(l) {
			out = append(out, Row{l, fields})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// listLabel is the label of a listed site: the first label of its
// registered domain, the Public Suffix List's private section included (a
// list's matric-results.blogspot.com is a site its owner named). The
// detector, reading traffic, scores dga.Label instead, where names under
// private-section suffixes are mostly providers' host ids.
func listLabel(name string) string {
	reg, _ := domain.Registered(domain.Normalize(name))
	if i := strings.IndexByte(reg, '.'); i > 0 {
		return reg[:i]
	}
	return reg
}

// ReadLabels is ReadRows' labels alone.
func ReadLabels(path string, field int) ([]string, error) {
	rows, err := ReadRows(path, field)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Label
	}
	return out, err
}
