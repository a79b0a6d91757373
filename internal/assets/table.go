package assets

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// PrintTable writes hosts as a table: one line per host with its
// addresses, MAC vendor, best name, class, device (the product a rule
// names: an ICS device's identity, a printer's model) and OS (with
// confidence), the services it offers and its findings.
func PrintTable(w io.Writer, hosts []Host) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tMAC\tVENDOR\tNAME\tCLASS\tDEVICE\tOS\tSERVICES\tFINDINGS\tLAST SEEN")
	for i := range hosts {
		h := &hosts[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			cut(addrList(h), 40), dash(h.MAC), cut(dash(h.Vendor), 24), cut(bestName(h), 32),
			guessText(h.Class), guessCut(h.Device, 48), cut(guessText(h.OS), 28), cut(serviceList(h), 48),
			findingList(h), timeText(h.LastSeen))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("assets: print table: %w", err)
	}
	_, err := fmt.Fprintf(w, "%d hosts\n", len(hosts))
	return err
}

// PrintDetail writes each host in full: names with their sources, the
// evidence behind each guess, services with banners, and findings.
func PrintDetail(w io.Writer, hosts []Host) error {
	for i := range hosts {
		h := &hosts[i]
		fmt.Fprintf(w, "%s  %s  %s\n", h.Key, dash(h.Vendor), addrList(h))
		for _, n := range h.Names {
			fmt.Fprintf(w, "  name     %s (%s)\n", n.Name, n.Source)
		}
		for _, g := range []struct {
			label string
			g     *Guess
		}{{"os", h.OS}, {"class", h.Class}, {"device", h.Device}} {
			printGuess(w, g.label, g.g)
		}
		for _, r := range h.Roles {
			fmt.Fprintf(w, "  role     %s (%.2f)\n", r.Role, r.Confidence)
		}
		for _, s := range h.Services {
			fmt.Fprintf(w, "  service  %s/%d %s %s\n", s.Proto, s.Port, dash(s.Name), strings.TrimSpace(s.Banner+" "+s.CertSubject))
		}
		for _, u := range h.Used {
			fmt.Fprintf(w, "  uses     %s %s/%d (%d conns)\n", u.Name, u.Proto, u.Port, u.Conns)
		}
		for _, f := range h.Findings {
			fmt.Fprintf(w, "  finding  [%d] %s: %s\n", f.Severity, f.Kind, f.Summary)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func printGuess(w io.Writer, label string, g *Guess) {
	if g == nil {
		return
	}
	fmt.Fprintf(w, "  %-8s %s (%.2f)\n", label, g.Value, g.Confidence)
	for _, e := range g.Evidence {
		fmt.Fprintf(w, "           %s %s=%q rule %s (%.2f)\n", e.Log, e.Field, cut(e.Value, 60), e.Rule, e.Confidence)
	}
}

func addrList(h *Host) string {
	var parts []string
	for _, a := range h.Addrs {
		parts = append(parts, a.Addr)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func bestName(h *Host) string {
	if len(h.Names) == 0 {
		return "-"
	}
	return h.Names[0].Name
}

func guessText(g *Guess) string {
	if g == nil {
		return "-"
	}
	return g.Value + " (" + strconv.FormatFloat(g.Confidence, 'f', 2, 64) + ")"
}

// guessCut is guessText with the value cut to n runes, the confidence
// kept.
func guessCut(g *Guess, n int) string {
	if g == nil {
		return "-"
	}
	return cut(g.Value, n) + " (" + strconv.FormatFloat(g.Confidence, 'f', 2, 64) + ")"
}

func serviceList(h *Host) string {
	var parts []string
	for _, s := range h.Services {
		p := s.Proto + "/" + strconv.Itoa(int(s.Port))
		if s.Name != "" {
			p += " " + s.Name
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func findingList(h *Host) string {
	if len(h.Findings) == 0 {
		return "-"
	}
	seen := map[string]bool{}
	var kinds []string
	for _, f := range h.Findings {
		if !seen[f.Kind] {
			seen[f.Kind] = true
			kinds = append(kinds, f.Kind)
		}
	}
	return strings.Join(kinds, ",")
}

func timeText(ts float64) string {
	if ts <= 0 {
		return "-"
	}
	return time.Unix(int64(ts), 0).UTC().Format("2006-01-02 15:04:05")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cut shortens s to n runes, marking the cut with "…".
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// RunCommand is `vigil assets [DIR] [--json] [--detail]`: the inventory
// of an analysis output directory (default vigil-out) as a table, in
// full, or as the JSON lines of DIR/assets.log.
func RunCommand(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("assets", flag.ContinueOnError)
	fs.SetOutput(stdout)
	asJSON := fs.Bool("json", false, "print the hosts as JSON lines (assets.log's records)")
	detail := fs.Bool("detail", false, "print each host in full, with the evidence behind each guess")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: vigil assets [DIR] [--json] [--detail]")
		fmt.Fprintln(fs.Output(), "\nPrints the asset inventory DIR/assets.log (DIR: an analysis output directory, default vigil-out).")
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard) // a mistake is the error only, not the usage with it
	err := fs.Parse(reorderFlags(args))
	fs.SetOutput(stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return nil
		}
		return fmt.Errorf("assets: %w (vigil assets -h for the options)", err)
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("assets: one directory expected, got %d arguments", fs.NArg())
	}
	dir := "vigil-out"
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	path := dir
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist) && fs.NArg() == 0:
		return fmt.Errorf("assets: no %s here: give the output directory of a vigil analyze run (vigil assets DIR)", dir)
	case err == nil && st.IsDir():
		path = filepath.Join(dir, LogName)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("assets: %s holds no %s: give the output directory of a vigil analyze run (one without --no-assets or --no-insight)", dir, LogName)
		}
	}
	hosts, err := ReadLog(path)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return WriteHosts(stdout, hosts)
	case *detail:
		return PrintDetail(stdout, hosts)
	}
	return PrintTable(stdout, hosts)
}

// reorderFlags moves flags before positional arguments, so that
// `vigil assets DIR --json` works as well as `vigil assets --json DIR`.
func reorderFlags(args []string) []string {
	var flags, rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}
