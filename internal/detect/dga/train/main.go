// Command train fits the DGA detector's character model and writes it as
// JSON (internal/detect/dga/model.json, embedded in the binary):
//
//	go run ./internal/detect/dga/train -benign ../shared/corpus/netrack-learn/dns/plain/names.csv \
//	    -out internal/detect/dga/model.json
//
// Benign examples come from -benign (one domain per line, or label,name CSV
// rows whose last field is the name). Generated examples come from this
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
	benign := flag.String("benign", "", "benign domain list (one per line or CSV with the name last)")
	out := flag.String("out", "internal/detect/dga/model.json", "model file to write")
	buckets := flag.Int("buckets", 4096, "hashed n-gram buckets")
	epochs := flag.Int("epochs", 12, "training epochs")
	flag.Parse()
	if err := run(*benign, *out, *buckets, *epochs); err != nil {
		fmt.Fprintln(os.Stderr, "dga train:", err)
		os.Exit(1)
	}
}

func run(benignPath, out string, buckets, epochs int) error {
	if benignPath == "" {
		return fmt.Errorf("-benign is required")
	}
	labels, err := readLabels(benignPath)
	if err != nil {
		return err
	}
	isDGA := make([]bool, len(labels))
	rng := rand.New(rand.NewPCG(20240501, 5))
	for n, i := len(labels)*3/2, 0; i < n; i++ {
		labels = append(labels, gen.Generate(rng))
		isDGA = append(isDGA, true)
	}
	source := fmt.Sprintf("benign: %s (%d labels); generated: %d labels from the train command's own generators",
		benignPath, len(isDGA)-countTrue(isDGA), countTrue(isDGA))
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
