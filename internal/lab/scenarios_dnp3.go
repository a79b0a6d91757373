package lab

import (
	_ "embed"
	"fmt"
	"time"
)

// ICS: disruptive DNP3 commands sent to an RTU while its SCADA master
// polls it.

// dnp3Helper is the lab's DNP3 program (helpers/dnp3.py): an outstation,
// a master that polls it and one command, built on Python's standard
// library (Debian has no DNP3 tool). The lab writes it into its work
// directory and runs it with debianPython.
//
//go:embed helpers/dnp3.py
var dnp3Helper string

const (
	dnp3Port = 20000
	// dnp3Poll is the master's polling period (s).
	dnp3Poll = "1"
	// dnp3Rounds is how many times the attacker sends each command.
	dnp3Rounds = 2
	// dnp3Reboot is how long (s) the RTU takes no connection after a
	// cold restart.
	dnp3Reboot = "3"
)

// dnp3RTU is the outstation; dnp3Master the workstation that polls it.
var (
	dnp3RTU    = hostIoT
	dnp3Master = hostWS1
)

func init() {
	register(&Scenario{
		Name: "ics-dnp3", Difficulty: Medium,
		Description: fmt.Sprintf("Disruptive DNP3 commands against an RTU: the IoT hub runs a DNP3 outstation (the lab's own, on TCP %d) "+
			"that ws1's SCADA master polls every second (integrity polls of class 0); after some polling the attacker, with the master's "+
			"DNP3 address, sends DISABLE_UNSOLICITED (function 21) and COLD_RESTART (function 13), %d times each; each cold restart "+
			"reboots the RTU (its connections dropped, none taken for %s s) and the master reconnects.", dnp3Port, dnp3Rounds, dnp3Reboot),
		Tools:    []string{"python3"},
		Classes:  []string{"ics.disruptive"},
		MITRE:    []string{"T0816", "T0813"},
		Attacker: hostPtr(hostAtk), Victims: v4(dnp3RTU), Duration: 20 * time.Second,
		Notes: fmt.Sprintf("the RTU is %s:%d (outstation address 10), %s its master (address 1), polling on one connection, benign "+
			"background throughout; the outstation and the master are helpers/dnp3.py (Python's standard library: every frame with "+
			"its link-layer CRCs built there); the RTU answers every command, sets DEVICE_RESTART after a restart and the master "+
			"clears it with a WRITE, as DNP3 masters do", dnp3RTU.IPv4(), dnp3Port, dnp3Master.IPv4()),
		services: []service{
			{dnp3RTU, "python3", dnp3OutstationConfig, []int{dnp3Port}, nil},
			{dnp3Master, "python3", dnp3MasterConfig, nil, nil},
		},
		attack: dnp3Attack,
	})
}

// dnp3Script writes the helper into the work directory and returns the
// command line that runs it with args.
func dnp3Script(w workDir, args ...string) ([]string, error) {
	return pythonHelper(w, "dnp3.py", dnp3Helper, args...)
}

func dnp3OutstationConfig(w workDir) ([]string, error) {
	return dnp3Script(w, "outstation", "--bind", dnp3RTU.IPv4().String(), "--port", fmt.Sprint(dnp3Port), "--reboot", dnp3Reboot)
}

// dnp3MasterConfig is the master's poller: it starts with the services,
// before the outstation listens, and connects once it does.
func dnp3MasterConfig(w workDir) ([]string, error) {
	return dnp3Script(w, "master", "--outstation", dnp3RTU.IPv4().String(), "--port", fmt.Sprint(dnp3Port),
		"--interval", dnp3Poll, "--report", "10")
}

// dnp3Attack lets a quarter of the phase pass with only the master's
// polling, then sends DISABLE_UNSOLICITED and COLD_RESTART in turn, each
// on a connection of its own (alternateCommands).
func dnp3Attack(a *attackRun) error {
	command := func(fn string) []string {
		return []string{debianPython, a.w.path("dnp3.py"), "command", "--outstation", dnp3RTU.IPv4().String(),
			"--port", fmt.Sprint(dnp3Port), "--func", fn}
	}
	return alternateCommands(a, "dnp3 commands", dnp3Rounds, command("disable-unsolicited"), command("cold-restart"))
}
