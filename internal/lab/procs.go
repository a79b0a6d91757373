package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a process gets between SIGTERM (or SIGINT) and
// SIGKILL when the lab stops it.
const stopGrace = 5 * time.Second

// supervisor starts every process of the lab, each in a namespace and in a
// process group of its own, keeps track of them and stops them all. Output
// goes to one log file per process under logDir, whose tail is quoted in
// errors.
type supervisor struct {
	logDir string
	// dir is the processes' working directory (the lab's temporary
	// directory: what tools leave there, hydra.restore say, goes with it).
	dir string

	mu    sync.Mutex
	procs map[*proc]struct{}
	seq   int
}

// proc is one process started by the supervisor.
type proc struct {
	name string // "sshd@srv": what it is and where, for errors
	ns   string
	argv []string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has been waited for
	err  error         // Wait's result, valid after done
}

func newSupervisor(logDir, dir string) *supervisor {
	return &supervisor{logDir: logDir, dir: dir, procs: map[*proc]struct{}{}}
}

// nsArgv is the command line that runs argv inside namespace ns.
func nsArgv(ns string, argv []string) []string {
	return append([]string{"ip", "netns", "exec", ns}, argv...)
}

// start runs argv in namespace ns in the background. The process gets its
// own process group (so the terminal's Ctrl-C reaches the lab, not its
// tools, and stopping kills the whole group) and dies with the lab's
// thread that started it if the lab itself is killed.
func (s *supervisor) start(ns, name string, argv []string) (*proc, error) {
	s.mu.Lock()
	s.seq++
	logPath := filepath.Join(s.logDir, fmt.Sprintf("%03d-%s.log", s.seq, sanitizeName(name)))
	s.mu.Unlock()
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("lab: start %s: %w", name, err)
	}
	full := nsArgv(ns, argv)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = ownGroupDyingWithParent()
	cmd.Env = labEnv()
	cmd.Dir = s.dir
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("lab: start %s in %s: %w", name, ns, err)
	}
	p := &proc{name: name, ns: ns, argv: argv, cmd: cmd, log: logPath, done: make(chan struct{})}
	s.mu.Lock()
	s.procs[p] = struct{}{}
	s.mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		s.mu.Lock()
		delete(s.procs, p)
		s.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// labEnv is the environment of the lab's processes: a plain PATH, the C
// locale, no proxies inherited from the caller (a proxy could send a tool's
// requests out of the lab).
func labEnv() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG=C", "LC_ALL=C", "HOME=/root", "TERM=dumb",
	}
}

// run starts argv in ns and waits for it to end, or for ctx to be done, in
// which case the process group is stopped. A non-zero exit is an error
// quoting the end of the process's output.
func (s *supervisor) run(ctx context.Context, ns, name string, argv []string) error {
	_, err := s.runProc(ctx, ns, name, argv)
	return err
}

// output runs argv in ns like run and also returns its combined output.
func (s *supervisor) output(ctx context.Context, ns, name string, argv []string) (string, error) {
	p, err := s.runProc(ctx, ns, name, argv)
	if p == nil {
		return "", err
	}
	b, _ := os.ReadFile(p.log)
	return string(b), err
}

func (s *supervisor) runProc(ctx context.Context, ns, name string, argv []string) (*proc, error) {
	p, err := s.start(ns, name, argv)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.stop(syscall.SIGTERM)
		return p, ctx.Err()
	}
	return p, p.exitError()
}

// exitError is nil for a clean exit, else an error with the log's tail.
func (p *proc) exitError() error {
	<-p.done
	if p.err == nil {
		return nil
	}
	return fmt.Errorf("lab: %s in %s: %w%s", p.name, p.ns, p.err, p.logTail())
}

// logTail is the last lines of the process's output, for error messages.
func (p *proc) logTail() string {
	b, err := os.ReadFile(p.log)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	return "\n\t" + strings.Join(lines, "\n\t")
}

// running reports whether the process has not exited yet.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends sig to the process group, then SIGKILL after stopGrace, and
// waits for the process to be reaped.
func (p *proc) stop(sig syscall.Signal) {
	if !p.running() {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children that outlived the leader (daemons' helpers) are still in
	// the group: the group is killed in any case.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// waitLog waits until the process's log contains marker, the process
// exits (an error) or timeout passes (an error).
func (p *proc) waitLog(marker string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(p.log); bytes.Contains(b, []byte(marker)) {
			return nil
		}
		if !p.running() {
			return fmt.Errorf("lab: %s in %s exited before it was ready: %v%s", p.name, p.ns, p.err, p.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("lab: %s in %s not ready after %s (waiting for %q)%s", p.name, p.ns, timeout, marker, p.logTail())
}

// stopAll stops every process still running, all at once, and waits.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	procs := make([]*proc, 0, len(s.procs))
	for p := range s.procs {
		procs = append(procs, p)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop(syscall.SIGTERM)
		}()
	}
	wg.Wait()
}

// count is the number of processes still running.
func (s *supervisor) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.procs)
}

func sanitizeName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
}
