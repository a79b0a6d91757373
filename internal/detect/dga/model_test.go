package dga

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// readList reads domains (one per line, or "domain","family" CSV rows).
func readList(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, ','); i >= 0 {
			line = line[:i]
		}
		line = strings.Trim(line, `"`)
		if l := Label(line); l != "" && !Skip(l) {
			out = append(out, l)
		}
	}
	return out
}

// auc is the probability that a random positive scores above a random
// negative (ties count half), by ranks.
func auc(pos, neg []float64) float64 {
	type s struct {
		v   float64
		pos bool
	}
	all := make([]s, 0, len(pos)+len(neg))
	for _, v := range pos {
		all = append(all, s{v, true})
	}
	for _, v := range neg {
		all = append(all, s{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	rankSum := 0.0
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie
		for k := i; k < j; k++ {
			if all[k].pos {
				rankSum += mid
			}
		}
		i = j
	}
	np, nn := float64(len(pos)), float64(len(neg))
	return (rankSum - np*(np+1)/2) / (np * nn)
}

func scoreAll(m *Model, labels []string) []float64 {
	out := make([]float64, len(labels))
	for i, l := range labels {
		out[i] = m.Raw(m.Extract(l))
	}
	return out
}

// TestHeldBackAUC scores every DGA family of the andrewaeva corpus — all
// held back: the shipped model was trained on benign names (netrack-learn,
// Apache-2.0) and Vigil's own generators only — against benign lists the
// model did not see (its Alexa sample and OpenDNS random sample), and
// reports the AUC per family and pooled.
//
// Families of random-character names (cryptolocker, ramdo, tinba, zeus, the
// DDS feed) must reach 0.96 each (0.97 but for tinba, 0.966). The pooled
// AUC is held to 0.94: short
// random names (conficker) and pronounceable ones (pushdo) overlap with the
// benign lists, which themselves hold random-looking real domains and
// pinyin words; word-list DGAs (matsnu, rovnix) look like real names to
// any character model.
func TestHeldBackAUC(t *testing.T) {
	dir := testcorpus.Require(t, "andrewaeva-dga")
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	benign := scoreAll(m, append(readList(t, filepath.Join(dir, "help", "1000domains", "alexa_1000.txt")),
		readList(t, filepath.Join(dir, "dga_wordlists", "opendns-random-domains.txt"))...))
	strict := map[string]bool{"cryptolocker": true, "ramdo": true, "tinba": true, "zeus": true, "dds-malicious-domains.csv": true}
	families, _ := filepath.Glob(filepath.Join(dir, "help", "1000domains", "*_1000.txt"))
	families = append(families, filepath.Join(dir, "dga_wordlists", "dds-malicious-domains.csv"), filepath.Join(dir, "dga_wordlists", "others_dga.txt"))
	var pooled []float64
	for _, f := range families {
		name := strings.TrimSuffix(filepath.Base(f), "_1000.txt")
		if name == "alexa" {
			continue
		}
		s := scoreAll(m, readList(t, f))
		pooled = append(pooled, s...)
		a := auc(s, benign)
		t.Logf("%-28s %5d names  AUC %.4f", name, len(s), a)
		if strict[name] && a < 0.96 {
			t.Errorf("%s: AUC %.4f < 0.96", name, a)
		}
	}
	total := auc(pooled, benign)
	t.Logf("pooled held-back families: %d names vs %d benign: AUC %.4f (model: %s)", len(pooled), len(benign), total, m.Source)
	if total < 0.94 {
		t.Errorf("pooled AUC %.4f < 0.94", total)
	}
}
