// Command train fits the DGA detector's character model and writes it as
// Go source (internal/detect/dga/model_data.go, dga.GoSource: the
// compiler lays the model out as data, so Vigil reads nothing at start):
//
//	apt-get install wamerican wbritish wngerman wfrench wspanish witalian wdutch wpolish ieee-data publicsuffix
//	go run ./internal/detect/dga/train
//
// The training routine is package dgatrain (TestFamilyHoldOut calls it
// too); this command reads flags and writes the file. The shipped model
// uses no test-corpus data: the corpus is for testing only. Its benign
// examples come from the Debian packages above, its generated ones from
// Vigil's own generators (package gen); no DGA family list is used, so
// every family of the andrewaeva corpus stays held back for TestHeldBackAUC.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/dga/dgatrain"
)

func main() {
	cfg := dgatrain.Default()
	benign := flag.String("benign", "", "extra benign domain list (one per line or CSV with the name last)")
	flag.StringVar(&cfg.Words, "words", cfg.Words, "word list for benign labels (Debian wamerican)")
	flag.StringVar(&cfg.Vendors, "vendors", cfg.Vendors, "IEEE OUI registry CSV for brand-like benign labels (Debian ieee-data)")
	more := flag.String("more-words", strings.Join(cfg.MoreWords, ","), "comma-separated word lists of other languages (Debian wbritish, wngerman, ...); empty for none")
	flag.StringVar(&cfg.Suffixes, "suffixes", cfg.Suffixes, "Public Suffix List whose names are benign labels (Debian publicsuffix); empty for none")
	out := flag.String("out", "internal/detect/dga/"+dga.ShippedFile, "Go file to write the model to")
	flag.IntVar(&cfg.Buckets, "buckets", cfg.Buckets, "hashed n-gram buckets")
	flag.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	flag.Parse()
	cfg.MoreWords = nil
	if *more != "" {
		cfg.MoreWords = strings.Split(*more, ",")
	}
	if err := run(cfg, *benign, *out); err != nil {
		fmt.Fprintln(os.Stderr, "dga train:", err)
		os.Exit(1)
	}
}

func run(cfg dgatrain.Config, benign, out string) error {
	if benign != "" {
		l, err := dgatrain.ReadLabels(benign, -1)
		if err != nil {
			return err
		}
		cfg.Benign, cfg.Source = l, benign
	}
	m, err := dgatrain.Train(cfg)
	if err != nil {
		return err
	}
	b, err := dga.GoSource(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Printf("wrote %s (%d bytes): %s\n", out, len(b), m.Source)
	return nil
}
