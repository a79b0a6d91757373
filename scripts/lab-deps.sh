#!/bin/sh
# lab-deps.sh installs the Debian packages that `vigil lab` runs inside its
# network namespaces: the services of the lab's hosts, the benign clients and
# the attack tools. Run as root on Debian 12 (bookworm) or later:
#
#   sudo scripts/lab-deps.sh
#
# `vigil lab` never installs anything itself; it names the packages it is
# missing and points here. softflowd is not a lab host's tool: the NetFlow
# tests replay the lab's captures through it (a real v9/IPFIX exporter).
set -eu

packages="
iproute2 ethtool tcpdump openssl curl busybox
openssh-server openssh-client
nginx vsftpd dnsmasq radvd chrony
mosquitto mosquitto-clients libcoap3-bin
bind9-dnsutils iputils-ping ndisc6 inetutils-telnet inetutils-telnetd inetutils-inetd
nmap masscan hping3 hydra ncrack dsniff iodine isc-dhcp-client procps
ipv6toolkit thc-ipv6 socat memcached sshpass slowhttptest dirb gobuster
samba xrdp mariadb-server krb5-kdc krb5-admin-server krb5-user
python3 python3-pymodbus python3-serial-asyncio
softflowd
"

if [ "$(id -u)" -ne 0 ]; then
	echo "lab-deps: run as root (apt-get needs it)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# The lab runs its own copies of the services inside its namespaces: keep
# the packages from starting them on the host itself (a host dnsmasq or
# nginx would take ports 53 and 80 of the machine; softflowd would sniff
# and export) with Debian's policy-rc.d hook, unless the machine already
# has one.
policy=/usr/sbin/policy-rc.d
ours=false
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	ours=true
fi
cleanup() { if [ "$ours" = true ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update
# shellcheck disable=SC2086 # the list is split on purpose
apt-get install -y --no-install-recommends $packages

# The lab starts its own copies of the services inside its namespaces, with
# its own configuration files, so whatever the packages enabled on the host
# itself is left alone (stopping the host's sshd could lock its owner out).
echo "lab-deps: done"
