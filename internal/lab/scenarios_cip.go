package lab

import (
	_ "embed"
	"fmt"
	"time"
)

// ICS: disruptive CIP services sent over EtherNet/IP to a PLC while its
// HMI reads it.

// enipHelper is the lab's EtherNet/IP program (helpers/enip.py): a PLC's
// adapter, an HMI that reads it and one command, built on Python's
// standard library (Debian has no EtherNet/IP tool). The lab writes it
// into its work directory and runs it with debianPython.
//
//go:embed helpers/enip.py
var enipHelper string

const (
	enipPort = 44818
	// enipPoll is the HMI's reading period (s).
	enipPoll = "1"
	// enipRounds is how many times the attacker sends each service.
	enipRounds = 2
	// enipReboot is how long (s) the PLC takes no connection after a
	// reset of its Identity object.
	enipReboot = "3"
)

// enipPLC is the PLC; enipHMI the workstation that reads it.
var (
	enipPLC = hostIoT
	enipHMI = hostWS1
)

func init() {
	register(&Scenario{
		Name: "ics-cip", Difficulty: Medium,
		Description: fmt.Sprintf("Disruptive CIP services against a PLC: the IoT hub runs an EtherNet/IP adapter (the lab's own, on TCP %d) "+
			"whose input assembly ws1's HMI reads every second (Get_Attribute_Single); after some reading the attacker registers "+
			"sessions of its own and sends Stop (0x07) and Reset (0x05) to the Identity object, %d times each; each reset reboots "+
			"the PLC (its connections dropped, none taken for %s s) and the HMI registers again.", enipPort, enipRounds, enipReboot),
		Tools:    []string{"python3"},
		Classes:  []string{"ics.disruptive"},
		MITRE:    []string{"T0816", "T0858", "T0813"},
		Attacker: hostPtr(hostAtk), Victims: v4(enipPLC), Duration: 20 * time.Second,
		Notes: fmt.Sprintf("the PLC is %s:%d, %s its HMI, reading the input assembly (class 0x04, instance 100, attribute 3) on one "+
			"session, benign background throughout; both are helpers/enip.py (Python's standard library: every encapsulation "+
			"header and CIP message built there); a Stop freezes the assembly's values until the next reset",
			enipPLC.IPv4(), enipPort, enipHMI.IPv4()),
		services: []service{
			{enipPLC, "python3", enipPLCConfig, []int{enipPort}, nil},
			{enipHMI, "python3", enipHMIConfig, nil, nil},
		},
		attack: enipAttack,
	})
}

// enipScript writes the helper into the work directory and returns the
// command line that runs it with args.
func enipScript(w workDir, args ...string) ([]string, error) {
	return pythonHelper(w, "enip.py", enipHelper, args...)
}

func enipPLCConfig(w workDir) ([]string, error) {
	return enipScript(w, "plc", "--bind", enipPLC.IPv4().String(), "--port", fmt.Sprint(enipPort), "--reboot", enipReboot)
}

// enipHMIConfig is the HMI's reader: it starts with the services, before
// the PLC listens, and connects once it does.
func enipHMIConfig(w workDir) ([]string, error) {
	return enipScript(w, "hmi", "--plc", enipPLC.IPv4().String(), "--port", fmt.Sprint(enipPort),
		"--interval", enipPoll, "--report", "10")
}

// enipAttack lets a quarter of the phase pass with only the HMI's reads,
// then sends Stop and Reset in turn, each on a session of its own
// (alternateCommands).
func enipAttack(a *attackRun) error {
	command := func(service string) []string {
		return []string{debianPython, a.w.path("enip.py"), "command", "--plc", enipPLC.IPv4().String(),
			"--port", fmt.Sprint(enipPort), "--service", service}
	}
	return alternateCommands(a, "cip services", enipRounds, command("stop"), command("reset"))
}
