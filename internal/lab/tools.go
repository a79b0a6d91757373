package lab

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
)

// toolPackages maps every program the lab runs to the Debian package that
// has it, or the packages (space-separated) it needs (scripts/lab-deps.sh
// installs them all).
var toolPackages = map[string]string{
	"ip": "iproute2", "ethtool": "ethtool", "openssl": "openssl", "tc": "iproute2", "sysctl": "procps", "tcpdump": "tcpdump",
	"sshd": "openssh-server", "ssh": "openssh-client", "ssh-keygen": "openssh-client",
	"inetutils-inetd": "inetutils-inetd", "telnetd": "inetutils-telnetd", "inetutils-telnet": "inetutils-telnet",
	"nginx": "nginx", "dnsmasq": "dnsmasq", "vsftpd": "vsftpd", "chronyd": "chrony", "radvd": "radvd",
	"mosquitto": "mosquitto", "mosquitto_passwd": "mosquitto",
	"mosquitto_pub": "mosquitto-clients", "mosquitto_sub": "mosquitto-clients",
	"coap-server-notls": "libcoap3-bin", "coap-client-notls": "libcoap3-bin",
	"curl": "curl", "dig": "bind9-dnsutils", "ping": "iputils-ping", "rdisc6": "ndisc6", "busybox": "busybox",
	"nmap": "nmap", "masscan": "masscan", "hping3": "hping3", "hydra": "hydra", "ncrack": "ncrack",
	"arpspoof": "dsniff", "iodine": "iodine", "iodined": "iodine",
	"scan6": "ipv6toolkit", "ra6": "ipv6toolkit", "frag6": "ipv6toolkit", "tcp6": "ipv6toolkit", "na6": "ipv6toolkit",
	"atk6-fake_router26": "thc-ipv6", "atk6-flood_router26": "thc-ipv6", "atk6-kill_router6": "thc-ipv6",
	"atk6-parasite6": "thc-ipv6", "atk6-dos-new-ip6": "thc-ipv6", "atk6-redir6": "thc-ipv6",
	"atk6-smurf6": "thc-ipv6", "atk6-fragmentation6": "thc-ipv6", "atk6-fake_dhcps6": "thc-ipv6",
	"dhclient": "isc-dhcp-client", "socat": "socat",
	"smbd": "samba", "smbpasswd": "samba", "xrdp": "xrdp", "memcached": "memcached",
	"mariadbd": "mariadb-server", "mariadb-install-db": "mariadb-server",
	"krb5kdc": "krb5-kdc", "kdb5_util": "krb5-kdc", "kadmin.local": "krb5-admin-server", "kinit": "krb5-user", "kvno": "krb5-user",
	// pymodbus's client imports serial_asyncio, which Debian's package
	// only recommends.
	"pymodbus":     "python3-pymodbus python3-serial-asyncio",
	"python3":      "python3",
	"sshpass":      "sshpass",
	"slowhttptest": "slowhttptest",
	"dirb":         "dirb",
	"gobuster":     "gobuster",
}

// debianPython runs the lab's Python helpers: Debian's own interpreter,
// whose dist-packages hold the python3-* packages (a python3 met earlier
// in root's PATH, pyenv's or a virtual environment's, lacks them).
const debianPython = "/usr/bin/python3"

// pythonModules are tools that are Python modules run by debianPython
// (through a helper of the lab's): the tool check imports them.
var pythonModules = map[string][]string{
	"pymodbus": {"pymodbus.client", "pymodbus.server", "pymodbus.datastore"},
	// the DNP3 helper needs Debian's interpreter and its standard library only
	"python3": {"asyncio", "socket", "struct"},
}

// labTools are the programs every run needs: the topology, the capture,
// the services and the benign background.
var labTools = append([]string{"ip", "ethtool", "tc", "sysctl", "tcpdump", "openssl", "sshd", "ssh-keygen", "inetutils-inetd", "telnetd",
	"nginx", "dnsmasq", "vsftpd", "chronyd", "radvd", "mosquitto", "mosquitto_passwd",
	"coap-server-notls", "iodined", "smbd", "smbpasswd", "xrdp"}, backgroundTools...)

// MissingToolsError lists the programs that were not found, with the
// packages that provide them.
type MissingToolsError struct {
	Tools    []string
	Packages []string
}

func (e *MissingToolsError) Error() string {
	return fmt.Sprintf("lab: missing tools: %s (Debian packages: %s); run scripts/lab-deps.sh as root to install them",
		strings.Join(e.Tools, ", "), strings.Join(e.Packages, " "))
}

// CheckTools looks up every program the lab and the given scenarios need
// (exec.LookPath, with the sbin directories added to PATH as root has
// them) and reports those missing. It installs nothing.
func CheckTools(scenarios []*Scenario) error {
	need := slices.Clone(labTools)
	for _, s := range scenarios {
		need = append(need, s.Tools...)
	}
	var missing []string
	pkgs := map[string]bool{}
	for _, t := range uniq(need) {
		if _, err := lookTool(t); err != nil {
			missing = append(missing, t)
			for _, p := range strings.Fields(packageOf(t)) {
				pkgs[p] = true
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &MissingToolsError{Tools: missing, Packages: sortedKeys(pkgs)}
}

func lookTool(name string) (string, error) {
	if mods, ok := pythonModules[name]; ok {
		if err := exec.Command(debianPython, "-c", "import "+strings.Join(mods, ", ")).Run(); err != nil {
			return "", exec.ErrNotFound
		}
		return debianPython, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func packageOf(tool string) string {
	if p, ok := toolPackages[tool]; ok {
		return p
	}
	return tool
}

// CheckRoot fails unless the process runs as root, which namespaces,
// bridges and raw sockets need.
func CheckRoot() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("lab: must run as root (it creates network namespaces and the tools use raw sockets): try sudo")
	}
	return nil
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
