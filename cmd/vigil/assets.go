package main

import (
	"context"
	"os"

	"github.com/vigil-nsm/vigil/internal/assets"
)

// runAssets prints the inventory a run wrote (DIR/assets.log).
func runAssets(_ context.Context, args []string) error {
	return assets.RunCommand(args, os.Stdout)
}
