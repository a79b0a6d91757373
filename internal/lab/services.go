package lab

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// service is one daemon of the lab: where it runs, how it is configured
// and started (always in the foreground, so the supervisor owns it), and
// the ports that say it is ready.
type service struct {
	host  Host
	name  string
	setup func(w workDir) (argv []string, err error)
	tcp   []int // ports it listens on when ready
	udp   []int
}

// serviceReadyTimeout bounds the wait for a service's ports.
const serviceReadyTimeout = 15 * time.Second

// labServices are the daemons started for every scenario.
var labServices = []service{
	{hostServer, "sshd", sshdConfig, []int{22}, nil},
	{hostServer, "telnetd", srvTelnetConfig, []int{23}, nil},
	{hostServer, "nginx", srvNginxConfig, []int{80, 443}, nil},
	{hostServer, "dnsmasq", dnsmasqConfig, []int{53}, []int{53, 67}},
	{hostServer, "vsftpd", vsftpdConfig, []int{21}, nil},
	{hostServer, "mosquitto", srvMosquittoConfig, []int{1883}, nil},
	{hostServer, "chronyd", chronyConfig, nil, []int{123}},
	{hostServer, "smbd", smbdConfig, []int{445, 139}, nil},
	{hostServer, "xrdp", xrdpConfig, []int{3389}, nil},
	{hostIoT, "mosquitto", iotMosquittoConfig, []int{1883}, nil},
	{hostIoT, "coap-server", coapServerConfig, nil, []int{5683}},
	{hostRouter, "radvd", radvdConfig, nil, nil},
	{hostExt, "nginx", extNginxConfig, []int{80, 443, expiredPort}, nil},
	{hostExt, "iodined", iodinedConfig, nil, []int{53}},
}

// startServices starts every daemon of the lab and the scenario's own
// (extra) and waits until each listens.
func startServices(ctx context.Context, w workDir, sup *supervisor, extra []service) error {
	type started struct {
		svc service
		p   *proc
	}
	var all []started
	for _, s := range append(slices.Clone(labServices), extra...) {
		argv, err := s.setup(w)
		if err != nil {
			return fmt.Errorf("lab: configure %s in %s: %w", s.name, s.host.NS(), err)
		}
		p, err := sup.start(s.host.NS(), s.name+"@"+s.host.Name, argv)
		if err != nil {
			return err
		}
		all = append(all, started{s, p})
	}
	for _, st := range all {
		if err := waitReady(ctx, st.p, st.svc); err != nil {
			return err
		}
	}
	return nil
}

// waitReady waits until every port of s listens in the process's network
// namespace (read from /proc/PID/net), or fails if the process exits.
func waitReady(ctx context.Context, p *proc, s service) error {
	deadline := time.Now().Add(serviceReadyTimeout)
	for {
		if !p.running() {
			return fmt.Errorf("lab: start %s in %s: exited: %v%s", s.name, s.host.NS(), p.err, p.logTail())
		}
		missing := missingPorts(p.cmd.Process.Pid, s)
		if missing == "" {
			// radvd and friends have no port: alive a moment after start is ready.
			if len(s.tcp)+len(s.udp) == 0 {
				time.Sleep(200 * time.Millisecond)
				if !p.running() {
					continue
				}
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lab: start %s in %s: not listening on %s after %s%s", s.name, s.host.NS(), missing, serviceReadyTimeout, p.logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// missingPorts names the ports of s that nothing listens on yet.
func missingPorts(pid int, s service) string {
	var missing []string
	tcp := listeningPorts(pid, "tcp", true)
	for _, port := range s.tcp {
		if !tcp[port] {
			missing = append(missing, fmt.Sprintf("tcp/%d", port))
		}
	}
	udp := listeningPorts(pid, "udp", false)
	for _, port := range s.udp {
		if !udp[port] {
			missing = append(missing, fmt.Sprintf("udp/%d", port))
		}
	}
	return strings.Join(missing, ", ")
}

// listeningPorts reads /proc/PID/net/PROTO{,6}: local ports in LISTEN state
// (TCP) or bound (UDP) in that process's network namespace.
func listeningPorts(pid int, proto string, listenOnly bool) map[int]bool {
	ports := map[int]bool{}
	for _, f := range []string{proto, proto + "6"} {
		file, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[0] == "sl" {
				continue
			}
			if listenOnly && fields[3] != "0A" {
				continue
			}
			if i := strings.LastIndexByte(fields[1], ':'); i >= 0 {
				if port, err := strconv.ParseUint(fields[1][i+1:], 16, 16); err == nil {
					ports[int(port)] = true
				}
			}
		}
		file.Close()
	}
	return ports
}

func sshdConfig(w workDir) ([]string, error) {
	// sshd insists on its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`# vigil lab: sshd on srv
Port 22
ListenAddress 0.0.0.0
ListenAddress ::
HostKey %s
PidFile %s
UsePAM no
PermitRootLogin no
PasswordAuthentication yes
KbdInteractiveAuthentication no
StrictModes no
MaxAuthTries 6
MaxStartups 64:30:128
LoginGraceTime 20
PrintMotd no
`, w.path("ssh/host_ed25519"), w.path("sshd.pid"))
	p, err := w.write("sshd_config", conf, 0o600)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/sshd", "-D", "-e", "-f", p}, nil
}

// srvTelnetLogin is the login program inetutils telnetd runs on srv
// (instead of /bin/login, which would authenticate against the host's
// users): it accepts one operator account and gives a shell that echoes
// commands but runs none.
const srvTelnetLogin = `#!/bin/bash
# vigil lab: telnet login of the server (nothing is executed)
cr=$'\r'
sleep 0.3
for try in 1 2 3; do
  user=
  while [ -z "$user" ]; do
    printf 'srv login: '
    IFS= read -r user || exit 0
    user=${user%"$cr"}
  done
  printf 'Password: '
  stty -echo 2>/dev/null
  IFS= read -r pass || exit 0
  stty echo 2>/dev/null
  pass=${pass%"$cr"}
  printf '\r\n'
  if [ "$user" = "@USER@" ] && [ "$pass" = "@PASS@" ]; then
    printf 'Last login: Mon Jan  6 09:12:44 from 10.66.0.21\r\n$ '
    while IFS= read -r cmd; do
      cmd=${cmd%"$cr"}
      case "$cmd" in exit|logout) exit 0;; esac
      printf '%s: command not available in this session\r\n$ ' "${cmd%% *}"
    done
    exit 0
  fi
  sleep 1
  printf 'Login incorrect\r\n'
done
`

func srvTelnetConfig(w workDir) ([]string, error) {
	script := strings.NewReplacer("@USER@", srvTelnetUser, "@PASS@", srvTelnetPass).Replace(srvTelnetLogin)
	login, err := w.write("telnet-login.sh", script, 0o755)
	if err != nil {
		return nil, err
	}
	conf, err := w.write("inetd.conf", "23 stream tcp nowait root /usr/sbin/telnetd telnetd -h -E "+login+"\n", 0o644)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/inetutils-inetd", "-d", "-p", w.path("inetd.pid"), conf}, nil
}

const nginxCommon = `# vigil lab: nginx on %[1]s
user root;
worker_processes 1;
daemon off;
pid %[2]s/nginx-%[1]s.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  client_body_temp_path %[2]s/nginx-%[1]s-tmp/body;
  proxy_temp_path %[2]s/nginx-%[1]s-tmp/proxy;
  fastcgi_temp_path %[2]s/nginx-%[1]s-tmp/fastcgi;
  uwsgi_temp_path %[2]s/nginx-%[1]s-tmp/uwsgi;
  scgi_temp_path %[2]s/nginx-%[1]s-tmp/scgi;
  server {
    listen 80;
    listen [::]:80;
    listen 443 ssl;
    listen [::]:443 ssl;
    ssl_certificate %[2]s/tls/%[1]s.crt;
    ssl_certificate_key %[2]s/tls/%[1]s.key;
    server_name _;
%[3]s
  }
%[4]s}
`

// nginxConfig writes host's nginx configuration: its one server's
// locations, then servers of its own (each a whole server block).
func nginxConfig(w workDir, host, locations, servers string) ([]string, error) {
	if err := os.MkdirAll(w.path("nginx-"+host+"-tmp"), 0o755); err != nil {
		return nil, err
	}
	p, err := w.write("nginx-"+host+".conf", fmt.Sprintf(nginxCommon, host, string(w), locations, servers), 0o644)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/nginx", "-e", "stderr", "-c", p}, nil
}

// srvNginxConfig is the intranet's server: its site for any name, with a
// password-protected /admin/, and a staging site under a name of its own
// (devVhost), which only a client that names it gets (web-vhost-scan).
func srvNginxConfig(w workDir) ([]string, error) {
	return nginxConfig(w, "srv", fmt.Sprintf(`    root %s;
    location /admin/ {
      auth_basic "Device administration";
      auth_basic_user_file %s;
    }`, w.path("www"), w.path("htpasswd")), fmt.Sprintf(`  server {
    listen 80;
    listen [::]:80;
    server_name %s;
    root %s;
  }
`, devVhost, w.path("www-dev")))
}

// extNginxConfig is the outside server: the C2's check-in endpoint, a
// payload to download and an upload endpoint that swallows exfiltrated
// data (nginx reads and discards the body of a request it answers with
// return); and, on expiredPort, a web shop whose certificate expired
// (TLS 1.2 only, so that the certificate crosses in clear).
func extNginxConfig(w workDir) ([]string, error) {
	return nginxConfig(w, "ext", fmt.Sprintf(`    root %s;
    client_max_body_size 0;
    location /api/ {
      default_type application/json;
      return 200 '{"task":"sleep","interval":30}';
    }
    location /upload/ {
      return 201 "stored\n";
    }`, w.path("c2")), fmt.Sprintf(`  server {
    listen %[1]d ssl;
    listen [::]:%[1]d ssl;
    ssl_protocols TLSv1.2;
    ssl_certificate %[2]s;
    ssl_certificate_key %[3]s;
    server_name %[4]s;
    root %[5]s;
  }
`, expiredPort, w.path("tls/expired.crt"), w.path("tls/expired.key"), expiredName, w.path("c2")))
}

// expiredPort is the expired web shop's port on ext.
const expiredPort = 8443

func dnsmasqConfig(w workDir) ([]string, error) {
	srv4, srv6 := hostServer.IPv4(), hostServer.IPv6()
	var b strings.Builder
	fmt.Fprintf(&b, `# vigil lab: dnsmasq (DNS and DHCP) on srv
no-resolv
no-hosts
no-poll
keep-in-foreground
log-facility=-
log-queries
user=root
pid-file=%s
interface=eth0
bind-interfaces
domain=%s
local=/%s/
edns-packet-max=4096
server=/%s/%s
dhcp-authoritative
dhcp-range=10.66.0.100,10.66.0.150,255.255.255.0,1h
dhcp-option=option:router,%s
dhcp-option=option:dns-server,%s
dhcp-option=option:ntp-server,%s
dhcp-leasefile=%s
`, w.path("dnsmasq.pid"), lanDomain, lanDomain, tunnelDomain, hostExt.IPv4(),
		hostRouter.IPv4(), srv4, srv4, w.path("dnsmasq.leases"))
	for _, name := range []string{"www", "srv", "ftp", "mqtt", "ntp", "intranet"} {
		fmt.Fprintf(&b, "host-record=%s.%s,%s,%s\n", name, lanDomain, srv4, srv6)
	}
	for _, h := range []Host{hostRouter, hostWS1, hostWS2, hostIoT} {
		fmt.Fprintf(&b, "host-record=%s.%s,%s,%s\n", h.Name, lanDomain, h.IPv4(), h.IPv6())
	}
	// The C2's name resolves as if the resolver had asked the Internet;
	// so does the download domain that feeds list (intel-ioc), to the
	// outside server's IPv4 address only, the one the feeds list.
	fmt.Fprintf(&b, "host-record=%s,%s,%s\n", c2Name, hostExt.IPv4(), hostExt.IPv6())
	fmt.Fprintf(&b, "host-record=%s,%s\n", iocDomain, hostExt.IPv4())
	fmt.Fprintf(&b, "host-record=%s,%s\n", expiredName, hostExt.IPv4())
	// So do the DGA's registered names (today's and tomorrow's); the
	// other names under its top-level domains are NXDOMAIN, as the
	// Internet answers for unregistered domains. (The resolver has no
	// upstream: any other name it holds no record of is REFUSED.)
	for _, name := range dgaC2Names(time.Now()) {
		fmt.Fprintf(&b, "host-record=%s,%s,%s\n", name, hostExt.IPv4(), hostExt.IPv6())
	}
	fmt.Fprintf(&b, "local=/%s/\n", strings.Join(dgaTLDs, "/"))
	fmt.Fprintf(&b, "dhcp-host=%s,%s,%s\n", hostWS2.MAC(), hostWS2.IPv4(), hostWS2.Name)
	// Large TXT records: what the amplification scenario asks for.
	for i := range 8 {
		fmt.Fprintf(&b, "txt-record=%s,\"v=spf1 %s\",\"%s\"\n", ampName,
			strings.Repeat(fmt.Sprintf("include:_spf%d.lab.example ", i), 8), strings.Repeat("k", 200))
	}
	p, err := w.write("dnsmasq.conf", b.String(), 0o644)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/dnsmasq", "--conf-file=" + p}, nil
}

func vsftpdConfig(w workDir) ([]string, error) {
	conf := fmt.Sprintf(`# vigil lab: vsftpd on srv
listen=YES
listen_ipv6=NO
background=NO
anonymous_enable=YES
anon_root=%s
no_anon_password=YES
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=%s
xferlog_enable=NO
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
max_clients=100
max_per_ip=50
delay_failed_login=1
max_login_fails=3
pasv_min_port=40000
pasv_max_port=40100
ftpd_banner=Lab file server ready.
`, w.path("ftp"), w.path("ftp-empty"))
	p, err := w.write("vsftpd.conf", conf, 0o600)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/vsftpd", p}, nil
}

// smbdConfig is Samba on srv: one share, the lab user's account (added
// to Samba's own password database in srv's namespace, where the lab's
// passwd names the user) and, besides SMB2 and SMB3, SMB1 with NTLMv1,
// which hydra's smb module speaks (as old NAS boxes and IoT clients do).
func smbdConfig(w workDir) ([]string, error) {
	d := w.path("samba")
	for _, sub := range []string{"lock", "state", "cache", "private", "pid", "share"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			return nil, err
		}
	}
	conf := fmt.Sprintf(`# vigil lab: smbd on srv
[global]
  workgroup = VIGILLAB
  netbios name = SRV
  server role = standalone server
  server min protocol = NT1
  ntlm auth = ntlmv1-permitted
  passdb backend = tdbsam:%[1]s/private/passdb.tdb
  lock directory = %[1]s/lock
  state directory = %[1]s/state
  cache directory = %[1]s/cache
  private dir = %[1]s/private
  pid directory = %[1]s/pid
  ncalrpc dir = %[1]s/ncalrpc
  log file = %[1]s/log.%%m
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  smb ports = 445 139
[share]
  path = %[1]s/share
  read only = yes
`, d)
	p, err := w.write("samba/smb.conf", conf, 0o644)
	if err != nil {
		return nil, err
	}
	pw, err := w.write("samba/password", labUserPassword+"\n"+labUserPassword+"\n", 0o600)
	if err != nil {
		return nil, err
	}
	start := fmt.Sprintf("smbpasswd -c %[1]s -s -a %[2]s <%[3]s >/dev/null && exec smbd --foreground --no-process-group --debug-stdout -d 0 -s %[1]s", p, labUser, pw)
	return []string{"/bin/sh", "-c", start}, nil
}

// xrdpConfig is xrdp on srv with the LAN's certificate. It offers
// standard RDP security and TLS but no NLA, so a login is decided on its
// login screen, after the protocol's handshake: password guessers see
// every try "succeed", but their connections are real RDP.
func xrdpConfig(w workDir) ([]string, error) {
	conf := fmt.Sprintf(`; vigil lab: xrdp on srv
[Globals]
ini_version=1
fork=false
port=3389
tcp_nodelay=true
security_layer=negotiate
crypt_level=high
certificate=%[1]s/tls/srv.crt
key_file=%[1]s/tls/srv.key
ssl_protocols=TLSv1.2, TLSv1.3
max_bpp=32
[Logging]
LogFile=%[1]s/xrdp.log
LogLevel=WARNING
EnableSyslog=false
[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
code=20
`, string(w))
	p, err := w.write("xrdp.ini", conf, 0o644)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/xrdp", "--nodaemon", "--config", p}, nil
}

func srvMosquittoConfig(w workDir) ([]string, error) {
	return mosquittoConfig(w, "srv", "allow_anonymous false\npassword_file "+w.path("mosquitto.passwd")+"\n")
}

// iotMosquittoConfig is the IoT hub's broker: anonymous, as shipped.
func iotMosquittoConfig(w workDir) ([]string, error) {
	return mosquittoConfig(w, "iot", "allow_anonymous true\n")
}

func mosquittoConfig(w workDir, host, auth string) ([]string, error) {
	conf := "# vigil lab: mosquitto on " + host + "\nper_listener_settings true\nlistener 1883\n" + auth +
		"persistence false\nlog_dest stderr\nuser root\n"
	p, err := w.write("mosquitto-"+host+".conf", conf, 0o644)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/mosquitto", "-c", p}, nil
}

// mariadbConfig is MariaDB on srv for bruteforce-mysql: a data directory
// made for the run, the lab user's account reachable from the LAN (a
// wrong password is then refused with "Access denied", as by a server
// its clients reach; an address no account allows would be turned away
// in the greeting, before any password).
func mariadbConfig(w workDir) ([]string, error) {
	d := w.path("mariadb")
	if err := os.MkdirAll(filepath.Join(d, "data"), 0o755); err != nil {
		return nil, err
	}
	init, err := w.write("mariadb/init.sql",
		fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s';\n", labUser, labUserPassword), 0o600)
	if err != nil {
		return nil, err
	}
	start := fmt.Sprintf("mariadb-install-db --no-defaults --user=root --datadir=%[1]s/data --skip-test-db >%[1]s/install.log 2>&1 && "+
		"exec mariadbd --no-defaults --user=root --datadir=%[1]s/data --socket=%[1]s/mysqld.sock --pid-file=%[1]s/mysqld.pid "+
		"--bind-address=%[2]s --port=3306 --init-file=%[3]s --skip-log-bin --log-error=%[1]s/error.log", d, hostServer.IPv4(), init)
	return []string{"/bin/sh", "-c", start}, nil
}

// krbRealm is the lab's Kerberos realm (kerberos-spray), whose KDC is srv.
const krbRealm = "LAB.EXAMPLE"

// krbPrincipals are the realm's users, each with the lab user's password
// and pre-authentication required, as an Active Directory's accounts:
// a wrong password is then refused by the KDC (KDC_ERR_PREAUTH_FAILED),
// not only by the client that cannot decrypt the reply.
var krbPrincipals = []string{labUser, "admin", "backup"}

// krbServices are the realm's service principals (kerberoasting), each
// with an RC4 key only, as service accounts that were never given AES
// keys: their tickets are encrypted with RC4, which cracks offline fast.
var krbServices = []string{"MSSQLSvc/db1.lab.example:1433", "MSSQLSvc/db2.lab.example:1433", "HTTP/intranet.lab.example",
	"HTTP/wiki.lab.example", "cifs/files.lab.example", "ldap/dc.lab.example"}

// krbNoPreauth are the realm's legacy accounts that need no
// pre-authentication and have an RC4 key only (asrep-roasting): anyone
// may ask for their AS-REPs.
var krbNoPreauth = []string{"svc_legacy", "svc_print"}

// krb5Client writes the krb5.conf of the lab's Kerberos clients and KDC
// (no DNS: srv is the realm's KDC) and returns its path.
func krb5Client(w workDir) (string, error) {
	return w.write("krb5/krb5.conf", fmt.Sprintf(`# vigil lab: Kerberos realm %[1]s
[libdefaults]
  default_realm = %[1]s
  allow_weak_crypto = true
  permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 rc4-hmac
  dns_lookup_kdc = false
  dns_lookup_realm = false
[realms]
  %[1]s = {
    kdc = %[2]s
  }
`, krbRealm, hostServer.IPv4()), 0o644)
}

// krb5kdcConfig is an MIT Kerberos KDC on srv for kerberos-spray: its
// database made for the run with krbPrincipals.
func krb5kdcConfig(w workDir) ([]string, error) {
	d := w.path("krb5")
	conf, err := krb5Client(w)
	if err != nil {
		return nil, err
	}
	kdc, err := w.write("krb5/kdc.conf", fmt.Sprintf(`# vigil lab: KDC on srv
[kdcdefaults]
  kdc_ports = 88
  kdc_tcp_listen = 88
[realms]
  %[1]s = {
    database_name = %[2]s/principal
    key_stash_file = %[2]s/stash
    acl_file = %[2]s/kadm5.acl
    default_principal_flags = +preauth
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal rc4-hmac:normal
  }
[logging]
  kdc = FILE:%[2]s/kdc.log
`, krbRealm, d), 0o644)
	if err != nil {
		return nil, err
	}
	var script strings.Builder
	fmt.Fprintf(&script, "set -e\nexport KRB5_CONFIG=%s KRB5_KDC_PROFILE=%s\nkdb5_util -r %s create -s -P lab-master-key >%s/setup.log 2>&1\n",
		conf, kdc, krbRealm, d)
	for _, p := range krbPrincipals {
		fmt.Fprintf(&script, "kadmin.local -r %s -q 'addprinc -pw %s %s' >>%s/setup.log 2>&1\n", krbRealm, labUserPassword, p, d)
	}
	for _, p := range krbNoPreauth {
		fmt.Fprintf(&script, "kadmin.local -r %s -q 'addprinc -pw %s -requires_preauth -e rc4-hmac:normal %s' >>%s/setup.log 2>&1\n",
			krbRealm, labUserPassword, p, d)
	}
	for _, s := range krbServices {
		fmt.Fprintf(&script, "kadmin.local -r %s -q 'addprinc -randkey -e rc4-hmac:normal %s' >>%s/setup.log 2>&1\n", krbRealm, s, d)
	}
	fmt.Fprintf(&script, "exec krb5kdc -n -r %s\n", krbRealm)
	p, err := w.write("krb5/start.sh", script.String(), 0o700)
	if err != nil {
		return nil, err
	}
	return []string{"/bin/sh", p}, nil
}

// memcachedConfig is an open memcached on srv as many were before
// memcached 1.5.6 (2018) turned UDP off by default: UDP on 11211 beside
// TCP, no authentication. The memcached-amplification scenario reflects
// off it.
func memcachedConfig(workDir) ([]string, error) {
	return []string{"memcached", "-u", "root", "-l", hostServer.IPv4().String(), "-p", fmt.Sprint(memcachedPort),
		"-U", fmt.Sprint(memcachedPort), "-m", "64", "-c", "256", "-v"}, nil
}

func coapServerConfig(workDir) ([]string, error) {
	return []string{"coap-server-notls", "-v", "4"}, nil
}

func chronyConfig(w workDir) ([]string, error) {
	conf := fmt.Sprintf("# vigil lab: NTP server on srv (never sets the clock: -x)\nlocal stratum 8\nallow %s\nallow %s\npidfile %s\ncmdport 0\n",
		lanNet4, lanNet6, w.path("chronyd.pid"))
	p, err := w.write("chrony.conf", conf, 0o644)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/chronyd", "-d", "-x", "-u", "root", "-f", p}, nil
}

func radvdConfig(w workDir) ([]string, error) {
	conf := fmt.Sprintf(`# vigil lab: router advertisements on the LAN
interface eth0 {
  AdvSendAdvert on;
  MinRtrAdvInterval 4;
  MaxRtrAdvInterval 12;
  AdvDefaultLifetime 180;
  prefix %s {
    AdvOnLink on;
    AdvAutonomous on;
  };
  prefix %s {
    AdvOnLink on;
    AdvAutonomous off;
  };
  RDNSS %s {
  };
};
`, slaacNet6, lanNet6, hostServer.IPv6())
	p, err := w.write("radvd.conf", conf, 0o644)
	if err != nil {
		return nil, err
	}
	return []string{"/usr/sbin/radvd", "-n", "-m", "stderr", "-C", p, "-p", w.path("radvd.pid")}, nil
}

func iodinedConfig(w workDir) ([]string, error) {
	return []string{"/usr/sbin/iodined", "-f", "-c", "-P", iodinePassword,
		"-l", hostExt.IPv4().String(), "-n", hostExt.IPv4().String(),
		hostAddr(tunnelNet4, 1).String() + "/27", tunnelDomain}, nil
}
