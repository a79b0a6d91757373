package dga

import (
	"bytes"
	"os"
	"testing"
)

// TestShippedSource checks that ShippedFile is what GoSource writes of
// the model it holds: the file the training command wrote, unedited.
func TestShippedSource(t *testing.T) {
	want, err := os.ReadFile(ShippedFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := GoSource(&shipped)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what GoSource writes of its model: run `go run ./internal/detect/dga/train`", ShippedFile)
	}
}
