package lab

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"time"
)

// activity is one kind of benign traffic: a command a host runs again and
// again, at intervals drawn uniformly from [min, max] (people and
// programs are not metronomes).
type activity struct {
	name     string
	host     Host
	min, max time.Duration
	argv     func(w workDir, rng *rand.Rand) []string
}

// backgroundCommandLimit bounds one run of a benign command.
const backgroundCommandLimit = 20 * time.Second

const browserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

// benignActivities are the background of every scenario.
var benignActivities = []activity{
	{"browse-http", hostWS1, 4 * time.Second, 9 * time.Second, browseHTTP},
	{"browse-https", hostWS2, 5 * time.Second, 12 * time.Second, browseHTTPS},
	{"dns-lookups", hostWS2, 2 * time.Second, 6 * time.Second, dnsLookup},
	{"ssh-session", hostWS1, 15 * time.Second, 35 * time.Second, sshSession},
	{"mqtt-telemetry", hostIoT, 3 * time.Second, 6 * time.Second, mqttTelemetry},
	{"mqtt-home", hostWS2, 6 * time.Second, 14 * time.Second, mqttHomeCommand},
	{"coap-poll", hostWS2, 5 * time.Second, 11 * time.Second, coapPoll},
	{"ntp", hostWS1, 10 * time.Second, 25 * time.Second, ntpQuery},
	{"dhcp", hostWS2, 20 * time.Second, 40 * time.Second, dhcpExchange},
	{"ping", hostWS2, 6 * time.Second, 14 * time.Second, ping4},
	{"ping6", hostWS1, 6 * time.Second, 14 * time.Second, ping6},
	{"router-solicit", hostWS1, 20 * time.Second, 40 * time.Second, routerSolicit},
	{"ftp-download", hostWS2, 15 * time.Second, 35 * time.Second, ftpDownload},
}

// listeners are benign programs that stay connected for the whole run.
var benignListeners = []struct {
	name string
	host Host
	argv []string
}{
	{"mqtt-dashboard", hostWS1, []string{"mosquitto_sub", "-h", "mqtt." + lanDomain, "-u", mqttDashUser, "-P", mqttDashPass, "-t", "sensors/#", "-q", "1"}},
	{"mqtt-home-state", hostWS1, []string{"mosquitto_sub", "-h", hostIoT.IPv4().String(), "-t", "home/+/+/state"}},
}

// backgroundTools are the programs the benign background runs.
var backgroundTools = []string{"curl", "dig", "ssh", "mosquitto_pub", "mosquitto_sub", "coap-client-notls",
	"chronyd", "busybox", "ping", "rdisc6"}

func browseHTTP(_ workDir, rng *rand.Rand) []string {
	pages := []string{"/", "/news.html", "/docs/handbook.html", "/api/status.json"}
	argv := []string{"curl", "-s", "-A", browserAgent, "--max-time", "10"}
	for _, u := range []string{pages[rng.IntN(len(pages))], "/static/site.css", "/static/app.js"} {
		argv = append(argv, "-o", "/dev/null", "http://www."+lanDomain+u)
	}
	if rng.IntN(4) == 0 {
		argv = append(argv, "-o", "/dev/null", "http://www."+lanDomain+"/files/report.pdf")
	}
	return argv
}

func browseHTTPS(w workDir, rng *rand.Rand) []string {
	pages := []string{"/", "/news.html", "/docs/handbook.html"}
	return []string{"curl", "-s", "-A", browserAgent, "--max-time", "10", "--cacert", w.path("tls/srv.crt"),
		"-o", "/dev/null", "https://www." + lanDomain + pages[rng.IntN(len(pages))],
		"-o", "/dev/null", "https://www." + lanDomain + "/api/status.json"}
}

func dnsLookup(_ workDir, rng *rand.Rand) []string {
	names := []string{"www", "intranet", "ftp", "mqtt", "ntp", "iot", "printer", "wiki"}
	types := []string{"A", "AAAA", "A", "MX"}
	return []string{"dig", "+time=2", "+tries=1", "@" + hostServer.IPv4().String(),
		names[rng.IntN(len(names))] + "." + lanDomain, types[rng.IntN(len(types))]}
}

func sshSession(w workDir, rng *rand.Rand) []string {
	cmds := []string{"uptime", "df -h / | tail -1", "ls /var/log | head -5", "cat /proc/loadavg", "date"}
	script := fmt.Sprintf("%s; sleep %d; %s", cmds[rng.IntN(len(cmds))], 1+rng.IntN(3), cmds[rng.IntN(len(cmds))])
	return []string{"ssh", "-i", w.path("ssh/client_ed25519"), "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
		"-o", "LogLevel=ERROR", labUser + "@srv." + lanDomain, script}
}

func mqttTelemetry(_ workDir, rng *rand.Rand) []string {
	sensors := []string{"temperature", "humidity", "door", "motion"}
	s := sensors[rng.IntN(len(sensors))]
	payload := fmt.Sprintf(`{"sensor":"%s","value":%.1f,"battery":%d}`, s, 15+rng.Float64()*10, 60+rng.IntN(40))
	return []string{"mosquitto_pub", "-h", hostServer.IPv4().String(), "-u", mqttUser, "-P", mqttPassword,
		"-q", "1", "-t", "sensors/hub1/" + s, "-m", payload}
}

func mqttHomeCommand(_ workDir, rng *rand.Rand) []string {
	rooms := []string{"livingroom", "kitchen", "bedroom"}
	state := []string{"ON", "OFF"}[rng.IntN(2)]
	return []string{"mosquitto_pub", "-h", hostIoT.IPv4().String(),
		"-t", "home/" + rooms[rng.IntN(len(rooms))] + "/light/state", "-m", state}
}

func coapPoll(_ workDir, rng *rand.Rand) []string {
	paths := []string{"/time", "/.well-known/core", "/time"}
	return []string{"coap-client-notls", "-m", "get", "-B", "5", "coap://" + hostIoT.IPv4().String() + paths[rng.IntN(len(paths))]}
}

// ntpQuery asks the lab's NTP server for the time and prints the offset:
// chronyd -Q never sets the clock.
func ntpQuery(w workDir, _ *rand.Rand) []string {
	return []string{"chronyd", "-Q", "-t", "6", "-u", "root",
		"pidfile " + w.path("chronyd-query.pid"),
		"server " + hostServer.IPv4().String() + " iburst maxsamples 1"}
}

// dhcpExchange runs a DHCP discover/request with ISC dhclient (what a
// Debian workstation uses) and a no-op script: the exchange is on the
// wire, the static address stays. (busybox udhcpc, the embedded client,
// made the workstation look like an IoT device to the inventory.)
// dhclient stays in the foreground to renew its lease: it is stopped
// after three seconds, by then the exchange is done.
func dhcpExchange(w workDir, _ *rand.Rand) []string {
	conf, err := w.write("dhclient4.conf", fmt.Sprintf("send host-name %q;\n", hostWS2.Name), 0o644)
	if err != nil {
		conf = "/dev/null"
	}
	cmd := fmt.Sprintf("timeout 3 dhclient -4 -1 -d -sf /bin/true -cf %s -lf %s -pf %s eth0; exit 0",
		conf, w.path("dhclient4.leases"), w.path("dhclient4.pid"))
	return []string{"sh", "-c", cmd}
}

func ping4(_ workDir, rng *rand.Rand) []string {
	targets := []string{hostRouter.IPv4().String(), hostServer.IPv4().String(), hostIoT.IPv4().String()}
	return []string{"ping", "-n", "-c", "3", "-i", "0.5", "-W", "1", targets[rng.IntN(len(targets))]}
}

func ping6(_ workDir, rng *rand.Rand) []string {
	targets := []string{hostServer.IPv6().String(), hostExt.IPv6().String(), hostServer.SLAAC().String()}
	return []string{"ping", "-6", "-n", "-c", "3", "-i", "0.5", "-W", "1", targets[rng.IntN(len(targets))]}
}

func routerSolicit(_ workDir, _ *rand.Rand) []string {
	return []string{"rdisc6", "-1", "-w", "1000", "eth0"}
}

func ftpDownload(_ workDir, rng *rand.Rand) []string {
	files := []string{"/pub/README.txt", "/pub/firmware/cam-fw-2.4.1.bin"}
	return []string{"curl", "-s", "--max-time", "10", "-o", "/dev/null", "ftp://ftp." + lanDomain + files[rng.IntN(len(files))]}
}

// background runs the benign activities until its context ends.
type background struct {
	sup *supervisor
	w   workDir

	mu       sync.Mutex
	runs     map[string]int
	failures map[string]int
	lastErr  map[string]error
}

func newBackground(sup *supervisor, w workDir) *background {
	return &background{sup: sup, w: w, runs: map[string]int{}, failures: map[string]int{}, lastErr: map[string]error{}}
}

// run starts the listeners and the activity loops and returns when ctx is
// done and every command it started has ended.
func (b *background) run(ctx context.Context, seed uint64) {
	var wg sync.WaitGroup
	for _, l := range benignListeners {
		p, err := b.sup.start(l.host.NS(), l.name+"@"+l.host.Name, l.argv)
		if err != nil {
			b.record(l.name, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ctx.Done()
			p.stop(syscall.SIGTERM)
		}()
	}
	for i, a := range benignActivities {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.loop(ctx, a, rng)
		}()
	}
	wg.Wait()
}

func (b *background) loop(ctx context.Context, a activity, rng *rand.Rand) {
	// The first run comes early (within the shortest interval), so even
	// short scenarios hold every kind of background.
	wait := time.Duration(rng.Int64N(int64(a.min)))
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		cctx, cancel := context.WithTimeout(ctx, backgroundCommandLimit)
		err := b.sup.run(cctx, a.host.NS(), a.name+"@"+a.host.Name, a.argv(b.w, rng))
		cancel()
		if ctx.Err() != nil {
			return
		}
		b.record(a.name, err)
		wait = a.min + time.Duration(rng.Int64N(int64(a.max-a.min)))
	}
}

func (b *background) record(name string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runs[name]++
	if err != nil {
		b.failures[name]++
		b.lastErr[name] = err
	}
}

// problems describes the activities that never succeeded (a broken
// background is worth a warning, not a failed run).
func (b *background) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for name, n := range b.runs {
		if f := b.failures[name]; f == n {
			out = append(out, fmt.Sprintf("background %s failed %d of %d runs: %v", name, f, n,
				strings.ReplaceAll(fmt.Sprint(b.lastErr[name]), "\n", " ")))
		}
	}
	return out
}
