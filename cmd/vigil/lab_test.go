package main

import (
	"context"
	"errors"
	"flag"
	"reflect"
	"testing"
)

// Options may come before or after the scenario names.
func TestLabFlagsAnyOrder(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	out := fs.String("o", "", "")
	d := fs.Duration("duration", 0, "")
	names, err := labFlags(fs, []string{"mirai", "-o", "x", "iodine", "--duration", "5s", "beacon"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"mirai", "iodine", "beacon"}) || *out != "x" || d.Seconds() != 5 {
		t.Errorf("names %v, -o %q, --duration %s", names, *out, d)
	}
}

func TestLabUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nonsense"}, {"run"}, {"exercise"}} {
		if err := runLab(context.Background(), args); !errors.Is(err, errUsage) {
			t.Errorf("vigil lab %v: %v, want a usage error", args, err)
		}
	}
	if err := runLab(context.Background(), []string{"run", "no-such-scenario"}); err == nil || errors.Is(err, errUsage) {
		t.Errorf("unknown scenario: %v", err)
	}
}
