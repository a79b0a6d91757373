package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Difficulty grades a scenario as a training exercise.
type Difficulty string

const (
	Easy   Difficulty = "easy"
	Medium Difficulty = "medium"
	Hard   Difficulty = "hard"
)

// Scenario is one attack (or the benign baseline) the lab can run: what it
// is, what it needs, what a detector should say about it, and the function
// that runs the tools.
type Scenario struct {
	Name        string
	Description string
	Difficulty  Difficulty
	// Tools are the programs the attack runs (checked before the run,
	// together with those of the lab itself).
	Tools []string
	// Classes are the alert classes (DESIGN.md §3) the attack should
	// raise; none for the benign scenario.
	Classes []string
	MITRE   []string
	// Attacker is the host that runs the tools; Victims the addresses
	// attacked. AttackerAddrs overrides the attacker's addresses in the
	// labels (for the C2 cases, where the adversary is outside).
	Attacker      *Host
	AttackerAddrs []string
	// Victims are addresses, or networks ("10.66.0.0/24") for sweeps.
	Victims []string
	Notes   string
	// Duration is the default length of the attack phase; Config.Duration
	// overrides it.
	Duration time.Duration
	// RateLimit caps the attacker's link (bits/s, tc tbf) for tools that
	// have no rate option of their own; 0 is the lab's default cap.
	RateLimit int
	// services are daemons this scenario needs besides the lab's own
	// (labServices), started and waited for with them; their programs
	// are among Tools, so that the tool check covers them.
	services []service
	// feeds are threat-intelligence feeds the scenario's analysis needs
	// (its expected intel.match alerts are lookups in them): the lab
	// writes them beside the capture and the labels name them.
	feeds func() []feedFile
	// detect is a detection override (detect.Config.Override's JSON) that
	// the scenario's evaluation applies, for an attack a default threshold
	// cannot see in a lab run (longconn's hour); the labels carry it.
	detect json.RawMessage
	// prepare changes the lab for the scenario once its network is built,
	// before the services start and the capture begins (the spray's
	// extra server addresses); nil for most.
	prepare func(ctx context.Context) error
	attack  func(a *attackRun) error
}

var (
	registryMu sync.Mutex
	registry   []*Scenario
)

// register adds scenarios to the registry (from the scenario files' init).
func register(ss ...*Scenario) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry = append(registry, ss...)
}

// Scenarios lists every scenario, in the order of `vigil lab list`:
// benign first, then by name.
func Scenarios() []*Scenario {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := slices.Clone(registry)
	slices.SortFunc(out, func(a, b *Scenario) int {
		if (a.Name == "benign") != (b.Name == "benign") {
			if a.Name == "benign" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Lookup finds a scenario by name.
func Lookup(name string) (*Scenario, error) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("lab: no scenario %q (vigil lab list shows them)", name)
}

// Select resolves names ("all" for every scenario) to scenarios.
func Select(names []string) ([]*Scenario, error) {
	if len(names) == 1 && names[0] == "all" {
		return Scenarios(), nil
	}
	var out []*Scenario
	for _, n := range names {
		s, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// attackRun is what a scenario's attack function works with: the running
// lab, the time budget, and the record of commands and phases that
// becomes the labels.
type attackRun struct {
	ctx      context.Context
	sup      *supervisor
	w        workDir
	duration time.Duration
	// dryRun records the commands without running them, and sleeps on a
	// virtual clock (for the tests of the command lines).
	dryRun bool
	clock  time.Time

	mu       sync.Mutex
	commands []string
	phases   []Phase
	warnings []string
	exits    map[string]int // "hping3 exited with status 1" → times
}

// record notes a command line run in host's namespace, exactly as run.
func (a *attackRun) record(h Host, argv []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.commands = append(a.commands, shellJoin(nsArgv(h.NS(), argv)))
}

func (a *attackRun) warn(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.warnings = append(a.warnings, fmt.Sprintf(format, args...))
}

// run runs a tool to its end in host's namespace. A tool that exits
// non-zero is a warning, not a failure (hping3 exits 1 when nothing
// answers, which is what a flood with random sources gets); a tool that
// cannot start or is cut off by the run's end is an error.
func (a *attackRun) run(h Host, argv ...string) error {
	a.record(h, argv)
	if a.dryRun {
		return nil
	}
	err := a.sup.run(a.ctx, h.NS(), argv[0]+"@"+h.Name, argv)
	return a.tolerateExit(argv[0], err)
}

func (a *attackRun) tolerateExit(tool string, err error) error {
	var exit *exec.ExitError
	if err == nil || a.ctx.Err() != nil {
		return err
	}
	if errors.As(err, &exit) {
		if expectedExits[tool] == exit.ExitCode() {
			return nil
		}
		a.mu.Lock()
		if a.exits == nil {
			a.exits = map[string]int{}
		}
		a.exits[fmt.Sprintf("%s exited with status %d", tool, exit.ExitCode())]++
		a.mu.Unlock()
		return nil
	}
	return err
}

// allWarnings are the warnings and the tallied non-zero exits.
func (a *attackRun) allWarnings() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Clone(a.warnings)
	for _, k := range slices.Sorted(maps.Keys(a.exits)) {
		out = append(out, fmt.Sprintf("%s (%d×)", k, a.exits[k]))
	}
	return out
}

// expectedExits are exit statuses that mean nothing went wrong: hping3
// exits 1 when no reply came back, which is a flood's normal end; sshpass
// 5 when the password was refused, which is a guess's.
var expectedExits = map[string]int{"hping3": 1, "sshpass": 5}

// runFor runs a tool that does not stop by itself for d, then stops it
// with sig (the signal on which it cleans up: arpspoof re-ARPs the true
// addresses on SIGINT).
func (a *attackRun) runFor(h Host, d time.Duration, sig syscall.Signal, argv ...string) error {
	a.record(h, argv)
	if a.dryRun {
		return a.sleep(d)
	}
	p, err := a.sup.start(h.NS(), argv[0]+"@"+h.Name, argv)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
		// Ended early: that is the tool's verdict (usage error, no interface …).
		if p.err != nil {
			return fmt.Errorf("lab: %s ended early: %w%s", p.name, p.err, p.logTail())
		}
		return nil
	case <-time.After(d):
	case <-a.ctx.Done():
	}
	p.stop(sig)
	return a.ctx.Err()
}

// runUpTo runs a tool to its end, but for at most d: a brute force whose
// wordlist outlasts the scenario is stopped (SIGTERM) at d.
func (a *attackRun) runUpTo(h Host, d time.Duration, argv ...string) error {
	a.record(h, argv)
	if a.dryRun {
		return a.sleep(d)
	}
	p, err := a.sup.start(h.NS(), argv[0]+"@"+h.Name, argv)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
		return a.tolerateExit(argv[0], p.exitError())
	case <-time.After(d):
		p.stop(syscall.SIGTERM)
		return nil
	case <-a.ctx.Done():
		p.stop(syscall.SIGTERM)
		return a.ctx.Err()
	}
}

// feed runs a tool that reads lines from the FIFO fifo (named in its
// argv), writes lines to it one every gap and closes it (the tool's end
// of input), then waits for the tool to end, for at most feedDrain more.
// makeFIFO makes the FIFO at path (a.w.path of dir/name) anew, its
// directory first, for a tool to read what the lab writes at its pace.
func (a *attackRun) makeFIFO(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_ = os.Remove(path) // an earlier run's
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

func (a *attackRun) feed(h Host, argv []string, fifo string, lines []string, gap time.Duration) error {
	a.record(h, argv)
	if a.dryRun {
		return a.sleep(gap * time.Duration(len(lines)))
	}
	p, err := a.sup.start(h.NS(), argv[0]+"@"+h.Name, argv)
	if err != nil {
		return err
	}
	defer p.stop(syscall.SIGTERM)
	f, err := openWriter(a.ctx, fifo, p)
	if err != nil {
		return err
	}
	for i, l := range lines {
		if i > 0 {
			if err := a.sleep(gap); err != nil {
				f.Close()
				return err
			}
		}
		if _, err := f.WriteString(l + "\n"); err != nil {
			f.Close()
			return fmt.Errorf("lab: %s stopped reading after %d of %d lines: %w%s", p.name, i, len(lines), err, p.logTail())
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	select {
	case <-p.done:
		return a.tolerateExit(argv[0], p.exitError())
	case <-time.After(feedDrain):
		a.warn("%s still ran %s after its input ended", p.name, feedDrain)
		return nil
	case <-a.ctx.Done():
		return a.ctx.Err()
	}
}

// feedDrain is how long feed waits for a tool after its input ended.
const feedDrain = 10 * time.Second

// openWriter opens the FIFO path for writing once p, its reader, has
// opened it; it fails if p ends first or does not open it in 5 s.
func openWriter(ctx context.Context, path string, p *proc) (*os.File, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		// Non-blocking, an open for writing fails (ENXIO) until a reader
		// has the FIFO open; then the descriptor is made blocking again.
		fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err == nil {
			if err := syscall.SetNonblock(fd, false); err != nil {
				syscall.Close(fd)
				return nil, err
			}
			return os.NewFile(uintptr(fd), path), nil
		}
		if !errors.Is(err, syscall.ENXIO) {
			return nil, fmt.Errorf("lab: open %s: %w", path, err)
		}
		if !p.running() {
			return nil, fmt.Errorf("lab: %s ended before it read %s: %v%s", p.name, path, p.err, p.logTail())
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lab: %s did not open %s in 5s%s", p.name, path, p.logTail())
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// during starts a tool that runs while fn runs, then stops it.
func (a *attackRun) during(h Host, sig syscall.Signal, argv []string, fn func() error) error {
	a.record(h, argv)
	if a.dryRun {
		return fn()
	}
	p, err := a.sup.start(h.NS(), argv[0]+"@"+h.Name, argv)
	if err != nil {
		return err
	}
	err = fn()
	if !p.running() && p.err != nil {
		a.warn("%s ended early: %v%s", p.name, p.err, p.logTail())
	}
	p.stop(sig)
	return err
}

// phase runs fn as a named phase of the attack, timed for the labels.
func (a *attackRun) phase(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	end := time.Now()
	a.mu.Lock()
	a.phases = append(a.phases, Phase{Name: name, StartTS: epoch(start), EndTS: epoch(end)})
	a.mu.Unlock()
	return err
}

// phased is phase as a step for sequence.
func (a *attackRun) phased(name string, fn func() error) func() error {
	return func() error { return a.phase(name, fn) }
}

// sequence runs steps one after the other, stopping at the first error.
func (a *attackRun) sequence(steps ...func() error) error {
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// sleep waits d or until the run is cancelled.
func (a *attackRun) sleep(d time.Duration) error {
	if a.dryRun {
		a.clock = a.clock.Add(d)
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-a.ctx.Done():
		return a.ctx.Err()
	}
}

// now is the time, virtual in a dry run.
func (a *attackRun) now() time.Time {
	if a.dryRun {
		return a.clock
	}
	return time.Now()
}

// parallel runs fns with at most n at a time; the first error is returned.
func (a *attackRun) parallel(n int, fns []func() error) error {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, fn := range fns {
		if a.ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = a.ctx.Err()
	}
	return first
}

// seconds formats d for a tool option in whole seconds (at least 1).
func seconds(d time.Duration) string {
	return fmt.Sprint(max(1, int(d.Round(time.Second)/time.Second)))
}

// shellJoin quotes argv as a POSIX shell would need it.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, s := range argv {
		q[i] = shellQuote(s)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// allAddrs are every address a host sends from: IPv4, static IPv6 and,
// on the LAN, its SLAAC and link-local addresses.
func allAddrs(h Host) []string {
	out := []string{h.IPv4().String(), h.IPv6().String()}
	if !h.Outside {
		out = append(out, h.SLAAC().String(), h.LinkLocal().String())
	}
	return out
}

func hostPtr(h Host) *Host { return &h }

// containsAddr reports whether `ip -o addr` output shows an address in p.
func containsAddr(ipAddrOutput string, p netip.Prefix) bool {
	for _, f := range strings.Fields(ipAddrOutput) {
		if pfx, err := netip.ParsePrefix(f); err == nil && p.Contains(pfx.Addr()) {
			return true
		}
	}
	return false
}
