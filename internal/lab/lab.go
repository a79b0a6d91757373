package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Config configures a Lab.
type Config struct {
	// OutDir receives SCENARIO.pcap and SCENARIO.labels.json.
	OutDir string
	// Duration is the length of every attack phase; 0 keeps each
	// scenario's own default (10–40 s). Tools that finish sooner end the
	// phase sooner.
	Duration time.Duration
	// LeadIn and LeadOut are benign-only time before and after the attack.
	LeadIn, LeadOut time.Duration
	// NoBackground turns the benign background off (captures of the attack
	// alone; the benign scenario then holds only the network's own chatter).
	NoBackground bool
	// Seed makes the background's timing repeatable; 0 draws one.
	Seed uint64
	// Log receives one line per step; nil discards them.
	Log io.Writer
	// KeepWork keeps the temporary directory (service configurations and
	// every process's log) for debugging; Close names it.
	KeepWork bool
}

// DefaultConfig is the configuration of `vigil lab run`.
func DefaultConfig() Config {
	return Config{OutDir: "lab-out", LeadIn: 3 * time.Second, LeadOut: 2 * time.Second}
}

// MaxDuration bounds Config.Duration: the lab is for short, bounded runs.
const MaxDuration = 10 * time.Minute

// MaxBenignDuration bounds Config.Duration for runs of benign scenarios
// only (no attack tool runs): hours of ordinary traffic are what a
// false-alert rate per hour needs.
const MaxBenignDuration = 4 * time.Hour

// defaultRateLimit caps the attacker's link (tc tbf) in every scenario.
const defaultRateLimit = 20_000_000

func (c Config) validate() error {
	switch {
	case c.OutDir == "":
		return errors.New("lab: no output directory")
	case c.Duration < 0 || c.Duration > MaxBenignDuration:
		return fmt.Errorf("lab: duration %s outside 0–%s (0–%s with attacks)", c.Duration, MaxBenignDuration, MaxDuration)
	case c.LeadIn < 0 || c.LeadOut < 0 || c.LeadIn > time.Minute || c.LeadOut > time.Minute:
		return errors.New("lab: lead-in and lead-out must be within 0–1m")
	}
	return nil
}

// Lab runs scenarios. New checks the configuration only; Run does the
// work; Close removes whatever is left (namespaces, processes, the
// temporary directory) and releases the lock. A Lab is not for concurrent
// use, and only one runs on a machine at a time.
type Lab struct {
	cfg  Config
	lock *os.File
	work workDir
}

// Result is what one scenario run produced.
type Result struct {
	Scenario   string
	PcapPath   string
	LabelsPath string
	Labels     *Labels
	PcapBytes  int64
	Elapsed    time.Duration
	Warnings   []string
}

// New returns a Lab for cfg.
func New(cfg Config) (*Lab, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return &Lab{cfg: cfg}, nil
}

func (l *Lab) logf(format string, args ...any) {
	fmt.Fprintf(l.cfg.Log, "lab: "+format+"\n", args...)
}

// Run runs the scenarios one after the other, each in a topology of its
// own, and returns their results. It stops at the first failure or when
// ctx is cancelled, after tearing the running scenario's lab down.
func (l *Lab) Run(ctx context.Context, scenarios []*Scenario) ([]Result, error) {
	if err := l.start(ctx, scenarios); err != nil {
		return nil, err
	}
	var results []Result
	for _, s := range scenarios {
		r, err := l.runScenario(ctx, s)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// start checks root and tools, takes the lock, removes a stale lab and
// prepares the shared files (once per Lab).
func (l *Lab) start(ctx context.Context, scenarios []*Scenario) error {
	for _, s := range scenarios {
		if l.cfg.Duration > MaxDuration && len(s.Classes) > 0 {
			return fmt.Errorf("lab: %s is an attack: its duration is at most %s (%s is for benign runs only)", s.Name, MaxDuration, l.cfg.Duration)
		}
	}
	if err := CheckRoot(); err != nil {
		return err
	}
	if err := CheckTools(scenarios); err != nil {
		return err
	}
	if l.lock == nil {
		lock, err := acquireLock()
		if err != nil {
			return err
		}
		l.lock = lock
		if err := cleanStale(l.cfg.Log); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(l.cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("lab: output directory: %w", err)
	}
	if l.work != "" {
		return nil
	}
	dir, err := os.MkdirTemp("", workDirPrefix)
	if err != nil {
		return fmt.Errorf("lab: temporary directory: %w", err)
	}
	// Readable by the services' unprivileged helpers (vsftpd's ftp user);
	// the private keys inside are 0600.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("lab: temporary directory: %w", err)
	}
	l.work = workDir(dir)
	l.logf("preparing keys, certificates and content in %s", dir)
	return prepareFiles(ctx, l.work)
}

// Close tears down anything of the lab still present and releases the
// lock. It is safe to call more than once.
func (l *Lab) Close() error {
	var err error
	if l.lock != nil {
		err = teardown()
	}
	if l.work != "" && l.cfg.KeepWork {
		l.logf("kept %s", l.work)
		l.work = ""
	}
	if l.work != "" {
		if rerr := os.RemoveAll(string(l.work)); err == nil && rerr != nil {
			err = fmt.Errorf("lab: remove %s: %w", l.work, rerr)
		}
		l.work = ""
	}
	if l.lock != nil {
		l.lock.Close()
		l.lock = nil
	}
	return err
}

// world is one scenario's running lab: its processes and the in-process
// IoT telnet and web services.
type world struct {
	sup    *supervisor
	iot    *iotTelnet
	iotWeb *iotWeb
}

func (l *Lab) runScenario(ctx context.Context, s *Scenario) (res Result, err error) {
	began := time.Now()
	res = Result{Scenario: s.Name, PcapPath: filepath.Join(l.cfg.OutDir, s.Name+".pcap"),
		LabelsPath: filepath.Join(l.cfg.OutDir, s.Name+".labels.json")}
	logDir := l.work.path("logs", s.Name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return res, fmt.Errorf("lab: %s: %w", s.Name, err)
	}
	wd := &world{sup: newSupervisor(logDir, string(l.work)), iot: newIoTTelnet(), iotWeb: newIoTWeb()}
	defer func() {
		wd.iot.close()
		wd.iotWeb.close()
		wd.sup.stopAll()
		if terr := teardown(); err == nil && terr != nil {
			err = terr
		}
	}()
	l.logf("%s: building the network", s.Name)
	if err := l.bringUp(ctx, wd, s); err != nil {
		return res, fmt.Errorf("lab: %s: %w", s.Name, err)
	}
	labels, warnings, err := l.captureScenario(ctx, wd, s, res.PcapPath)
	res.Warnings = warnings
	if err != nil {
		return res, fmt.Errorf("lab: %s: %w", s.Name, err)
	}
	if labels.IntelFeeds, err = writeFeeds(l.cfg.OutDir, s); err != nil {
		return res, fmt.Errorf("lab: %s: %w", s.Name, err)
	}
	if err := WriteLabels(res.LabelsPath, labels); err != nil {
		return res, err
	}
	res.Labels = labels
	if st, err := os.Stat(res.PcapPath); err == nil {
		res.PcapBytes = st.Size()
	}
	res.Elapsed = time.Since(began)
	return res, nil
}

// writeFeeds writes the scenario's threat-intelligence feeds into
// outDir/SCENARIO.intel/ (replacing what an earlier run left there) and
// returns their paths relative to outDir, for the labels.
func writeFeeds(outDir string, s *Scenario) ([]string, error) {
	if s.feeds == nil {
		return nil, nil
	}
	dir := filepath.Join(outDir, feedDir(s.Name))
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("intel feeds: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("intel feeds: %w", err)
	}
	var rel []string
	for _, f := range s.feeds() {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.content), 0o644); err != nil {
			return nil, fmt.Errorf("intel feeds: %w", err)
		}
		rel = append(rel, feedDir(s.Name)+"/"+f.name)
	}
	return rel, nil
}

// bringUp builds the topology and starts the services.
func (l *Lab) bringUp(ctx context.Context, wd *world, s *Scenario) error {
	if err := buildTopology(ctx, l.work); err != nil {
		return err
	}
	if s.prepare != nil {
		if err := s.prepare(ctx); err != nil {
			return err
		}
	}
	limit := s.RateLimit
	if limit == 0 {
		limit = defaultRateLimit
	}
	if err := limitRate(ctx, hostAtk, limit); err != nil {
		return err
	}
	if err := startServices(ctx, l.work, wd.sup, s.services); err != nil {
		return err
	}
	for _, port := range []string{"23", "2323"} {
		ln, err := listenIn(hostIoT.NS(), ":"+port)
		if err != nil {
			return err
		}
		wd.iot.serve(ln)
	}
	ln, err := listenIn(hostIoT.NS(), ":80")
	if err != nil {
		return err
	}
	wd.iotWeb.serve(ln)
	return waitSLAAC(ctx)
}

// slaacTimeout bounds the wait for the hosts' SLAAC addresses (radvd
// answers their router solicitations within a few seconds).
const slaacTimeout = 10 * time.Second

// waitSLAAC waits until every LAN host but the router has its address in
// the announced prefix, so that captures start with a settled network.
func waitSLAAC(ctx context.Context) error {
	deadline := time.Now().Add(slaacTimeout)
	for _, h := range lanHosts[1:] {
		for {
			out, err := exec.CommandContext(ctx, "ip", "-n", h.NS(), "-6", "-o", "addr", "show", "dev", "eth0").Output()
			if err == nil && containsAddr(string(out), slaacNet6) && !strings.Contains(string(out), "tentative") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("lab: %s has no SLAAC address in %s after %s", h.Name, slaacNet6, slaacTimeout)
			}
			if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// limitRate caps a host's outgoing rate with a token bucket.
func limitRate(ctx context.Context, h Host, bitsPerSecond int) error {
	err := ipNetnsExec(ctx, h.NS(), "tc", "qdisc", "add", "dev", "eth0", "root", "tbf",
		"rate", fmt.Sprintf("%dbit", bitsPerSecond), "burst", "64kb", "latency", "200ms")
	if err != nil {
		return fmt.Errorf("lab: rate limit of %s: %w", h.Name, err)
	}
	return nil
}

// captureScenario runs the scenario under tcpdump with the benign background and
// returns its labels.
func (l *Lab) captureScenario(ctx context.Context, wd *world, s *Scenario, pcap string) (*Labels, []string, error) {
	_ = os.Remove(pcap)
	// tcpdump runs in the work directory: it needs the full path.
	abs, err := filepath.Abs(pcap)
	if err != nil {
		return nil, nil, err
	}
	c, err := startCapture(wd.sup, abs)
	if err != nil {
		return nil, nil, err
	}
	capStart := time.Now()
	bgCtx, stopBG := context.WithCancel(ctx)
	bg := newBackground(wd.sup, l.work)
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		if !l.cfg.NoBackground {
			bg.run(bgCtx, l.seed())
		}
	}()
	l.logf("%s: capturing on the LAN bridge; %s of background first", s.Name, l.cfg.LeadIn)
	a, start, end, attackErr := l.attack(ctx, wd, s)
	if attackErr == nil {
		attackErr = sleepCtx(ctx, l.cfg.LeadOut)
	}
	stopBG()
	<-bgDone
	packets, dropped, capErr := c.stop()
	capEnd := time.Now()
	if attackErr != nil {
		return nil, nil, attackErr
	}
	if capErr != nil {
		return nil, nil, capErr
	}
	warnings := append(a.allWarnings(), bg.problems()...)
	if dropped > 0 {
		warnings = append(warnings, fmt.Sprintf("tcpdump dropped %d packets", dropped))
	}
	labels := l.labels(s, a, start, end)
	labels.Capture = CaptureInfo{File: filepath.Base(pcap), Interface: switchNS + "/" + captureIface,
		StartTS: epoch(capStart), EndTS: epoch(capEnd), Packets: packets, Dropped: dropped}
	return labels, warnings, nil
}

// attack waits out the lead-in, then runs the scenario's attack with a
// deadline, timing it.
func (l *Lab) attack(ctx context.Context, wd *world, s *Scenario) (a *attackRun, start, end time.Time, err error) {
	d := l.duration(s)
	// The deadline is a net under tools that overrun their own bounds.
	actx, cancel := context.WithTimeout(ctx, 3*d+time.Minute)
	defer cancel()
	a = &attackRun{ctx: actx, sup: wd.sup, w: l.work, duration: d}
	solicitRouter(ctx)
	if err := sleepCtx(ctx, l.cfg.LeadIn); err != nil {
		return a, start, end, err
	}
	l.logf("%s: attack phase (%s)", s.Name, d)
	start = time.Now()
	err = s.attack(a)
	end = time.Now()
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		err = fmt.Errorf("attack overran its deadline of %s", 3*d+time.Minute)
	}
	if err != nil {
		return a, start, end, fmt.Errorf("attack: %w", err)
	}
	return a, start, end, nil
}

// solicitRouter has a workstation ask for router advertisements as the
// capture starts (best effort), so the legitimate router's RA is on the
// wire before any attack — as on a real link, where it has been for hours
// — rather than only at radvd's next unsolicited one (up to 12 s later).
func solicitRouter(ctx context.Context) {
	_ = exec.CommandContext(ctx, "ip", "netns", "exec", hostWS1.NS(), "rdisc6", "-1", "-w", "1000", "eth0").Run()
}

func (l *Lab) duration(s *Scenario) time.Duration {
	if l.cfg.Duration > 0 {
		return l.cfg.Duration
	}
	return s.Duration
}

func (l *Lab) seed() uint64 {
	if l.cfg.Seed != 0 {
		return l.cfg.Seed
	}
	return uint64(time.Now().UnixNano())
}

func (l *Lab) labels(s *Scenario, a *attackRun, start, end time.Time) *Labels {
	lb := &Labels{
		Scenario: s.Name, Description: s.Description, Difficulty: string(s.Difficulty),
		ToolCommands: a.commands, StartTS: epoch(start), EndTS: epoch(end),
		ExpectedClasses: nonNil(s.Classes), MITRE: nonNil(s.MITRE), Phases: a.phases, Notes: s.Notes,
		Attacker: []string{}, Victims: nonNil(s.Victims), Detect: s.detect,
	}
	if s.Attacker != nil {
		lb.Attacker = allAddrs(*s.Attacker)
		lb.AttackerMAC = s.Attacker.MAC().String()
	}
	if s.AttackerAddrs != nil {
		lb.Attacker = s.AttackerAddrs
	}
	for _, h := range benignHosts {
		lb.BenignHosts = append(lb.BenignHosts, h.IPv4().String(), h.IPv6().String())
	}
	lb.Hosts = map[string]string{}
	for _, h := range allHosts {
		for _, a := range allAddrs(h) {
			lb.Hosts[a] = h.Name
		}
	}
	if lb.ToolCommands == nil {
		lb.ToolCommands = []string{}
	}
	return lb
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ipNetnsExec runs a short configuration command inside ns.
func ipNetnsExec(ctx context.Context, ns string, argv ...string) error {
	return ipCmd(ctx, append([]string{"netns", "exec", ns}, argv...)...)
}

// lockPath is the lab's lock file: two labs must never share the
// namespace prefix.
func lockPath() string {
	if st, err := os.Stat("/run"); err == nil && st.IsDir() && syscall.Access("/run", 2) == nil {
		return "/run/vigil-lab.lock"
	}
	return filepath.Join(os.TempDir(), "vigil-lab.lock")
}

func acquireLock() (*os.File, error) {
	path := lockPath()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lab: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lab: another lab is running (%s is locked)", path)
		}
		return nil, fmt.Errorf("lab: lock %s: %w", path, err)
	}
	return f, nil
}

// workDirPrefix names the lab's temporary directories (removed by Clean
// when a crashed lab left one).
const workDirPrefix = "vigil-lab-"

// cleanStale removes what a lab that crashed left behind: processes in
// namespaces with the lab's prefix, the namespaces, /etc/netns entries and
// temporary directories. The caller holds the lock.
func cleanStale(log io.Writer) error {
	names, err := labNamespaces()
	if err != nil {
		return err
	}
	if len(names) > 0 {
		fmt.Fprintf(log, "lab: removing a stale lab (%d namespaces)\n", len(names))
	}
	if err := teardown(); err != nil {
		return err
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), workDirPrefix+"*"))
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("lab: remove stale %s: %w", d, err)
		}
	}
	return nil
}

// Clean removes a stale lab (what a crashed run left) and reports how many
// namespaces it removed. It fails while another lab is running.
func Clean() (int, error) {
	if err := CheckRoot(); err != nil {
		return 0, err
	}
	lock, err := acquireLock()
	if err != nil {
		return 0, err
	}
	defer lock.Close()
	names, err := labNamespaces()
	if err != nil {
		return 0, err
	}
	return len(names), cleanStale(io.Discard)
}
