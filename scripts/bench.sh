#!/usr/bin/env bash
# bench.sh: Vigil and its peers, side by side, on one synthetic capture.
#
# Builds bin/vigil, writes a deterministic mixed-traffic capture with
# `vigil sample`, drops it from the page cache and reads it back from storage
# (see settle_cache), then runs each tool on that same file with a hot page
# cache under /usr/bin/time, and prints a Markdown table (also written to
# bench/out/results.md): wall seconds, CPU seconds (user+sys), packets per
# second of wall time, packets per CPU-second (per core), Vigil's per-core
# rate over each tool's, max RSS and minor page faults (with what one costs
# on this host: on the VMs the benchmark ran on, 1.7 to 33 µs).
#
# Peers (installed with apt-get when missing and available; a peer that
# cannot be had is reported and skipped):
#   ndpiReader (libndpi-bin), tshark, argus (argus-server), softflowd,
#   nfpcapd (nfdump).
#
# Environment:
#   BENCH_PACKETS  packets in the capture (default 700000, about 370 MB)
#   BENCH_FLOWS    flows in the capture (default: vigil sample's default)
#   BENCH_SEED     capture seed (default 1)
#   BENCH_TIMEOUT  seconds allowed per run (default 600)
#   BENCH_REPEAT   runs per tool; the one with the least wall time is kept
#                  (default 1)
#   BENCH_TOOLS    comma-separated subset of: vigil-decode,vigil-flows,vigil-records,vigil-1,vigil-all,
#                  ndpi,tshark,argus,softflowd,nfpcapd (default: all)
#   BENCH_REUSE=1  keep an existing capture made with the same
#                  packets/flows/seed/kind
#   BENCH_NO_INSTALL=1  never call apt-get
#   BENCH_KIND     mix (default) or flood: `vigil sample --flood`, a spoofed
#                  SYN flood and DNS queries for random names, written to
#                  bench/out/flood.pcap (BENCH_FLOWS does not apply): how
#                  each tool copes with a table-filling attack
#   BENCH_ROUNDS   interleaved rounds of ndpiReader and Vigil's one-core modes
#                  after the table (default 5; 0: none): CPU times on a shared
#                  machine drift, so the ratios are also given as the median
#                  of per-round ratios, each round's runs back to back
#
# Everything runs on local files; softflowd is given no collector (-n), so
# it exports nothing, and no tool opens a network socket.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out
KIND=${BENCH_KIND:-mix}
case $KIND in
mix) FILE=$OUT/mixed.pcap ;;
flood) FILE=$OUT/flood.pcap ;;
*)
	echo "bench: BENCH_KIND is mix or flood, not $KIND" >&2
	exit 2
	;;
esac
RESULTS=$OUT/results.md
PACKETS=${BENCH_PACKETS:-700000}
FLOWS=${BENCH_FLOWS:-}
SEED=${BENCH_SEED:-1}
TMO=${BENCH_TIMEOUT:-600}
REPEAT=${BENCH_REPEAT:-1}
TOOLS=${BENCH_TOOLS:-vigil-decode,vigil-flows,vigil-records,vigil-1,vigil-all,ndpi,tshark,argus,softflowd,nfpcapd}
TIMEBIN=/usr/bin/time

log() { printf 'bench: %s\n' "$*" >&2; }
want() { [[ ",$TOOLS," == *",$1,"* ]]; }
have() { command -v "$1" >/dev/null; }

mkdir -p "$OUT"

# ---------------------------------------------------------------------------
# 1. Peers.

PEER_PKGS=(libndpi-bin tshark argus-server argus-client softflowd nfdump time)
declare -A PKG_NOTE=()

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
pkg_candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

install_peers() {
	if ! have dpkg-query || ! have apt-get; then
		log "no dpkg/apt: using whatever peers are installed"
		return
	fi
	local missing=() pkg cand
	for pkg in "${PEER_PKGS[@]}"; do
		pkg_installed "$pkg" || missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return
	if [[ ${BENCH_NO_INSTALL:-} == 1 ]]; then
		log "BENCH_NO_INSTALL=1: not installing ${missing[*]}"
		return
	fi
	local SUDO=()
	if [[ $(id -u) -ne 0 ]]; then
		if have sudo && sudo -n true 2>/dev/null; then
			SUDO=(sudo -n)
		else
			log "not root and no sudo: cannot install ${missing[*]}"
			return
		fi
	fi
	# An empty package list (fresh machine) knows no candidates: update once.
	if [[ -z $(pkg_candidate "${missing[0]}") || $(pkg_candidate "${missing[0]}") == "(none)" ]]; then
		"${SUDO[@]}" apt-get update -qq >/dev/null 2>&1 || log "apt-get update failed"
	fi
	local avail=()
	for pkg in "${missing[@]}"; do
		cand=$(pkg_candidate "$pkg")
		if [[ -z $cand || $cand == "(none)" ]]; then
			PKG_NOTE[$pkg]="not available from apt"
			log "peer package $pkg is not available: skipped"
		else
			avail+=("$pkg")
		fi
	done
	[[ ${#avail[@]} -eq 0 ]] && return
	log "installing ${avail[*]}"
	if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${avail[@]}" >"$OUT/apt.log" 2>&1; then
		log "apt-get install failed (see $OUT/apt.log); going on with what is there"
		# Try one by one so that one broken package does not cost the rest.
		for pkg in "${avail[@]}"; do
			"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "$pkg" >>"$OUT/apt.log" 2>&1 ||
				PKG_NOTE[$pkg]="install failed"
		done
	fi
}

install_peers
if [[ ! -x $TIMEBIN ]]; then
	echo "bench: $TIMEBIN is required (Debian package 'time')" >&2
	exit 1
fi

# ---------------------------------------------------------------------------
# 2. Vigil and the capture.

log "building bin/vigil"
go build -o bin/vigil ./cmd/vigil
VIGIL=$ROOT/bin/vigil

GEN_NOTE="reused"
PARAMS="packets=$PACKETS flows=${FLOWS:-default} seed=$SEED kind=$KIND"
if [[ ${BENCH_REUSE:-} == 1 && -s $FILE && -f $FILE.params && $(cat "$FILE.params") == "$PARAMS" ]]; then
	log "reusing $FILE ($PARAMS)"
else
	log "writing $FILE ($PARAMS)"
	sample_args=(sample -o "$FILE" --packets "$PACKETS" --seed "$SEED")
	[[ -n $FLOWS && $KIND == mix ]] && sample_args+=(--flows "$FLOWS")
	[[ $KIND == flood ]] && sample_args+=(--flood)
	rm -f "$FILE.params"
	"$TIMEBIN" -f '%e %U %S %M' -o "$OUT/time.sample" "$VIGIL" "${sample_args[@]}" | tee "$OUT/sample.log"
	echo "$PARAMS" >"$FILE.params"
	read -r sw su ss _ < <(tail -n 1 "$OUT/time.sample")
	GEN_NOTE="written in ${sw}s wall, $(awk -v u="$su" -v s="$ss" 'BEGIN{printf "%.2f", u+s}')s CPU"
	log "capture $GEN_NOTE"
fi

FILE_BYTES=$(stat -L -c %s "$FILE")
NPKTS=""
if have capinfos; then
	NPKTS=$(capinfos -T -r -c -M "$FILE" 2>/dev/null | awk -F'\t' 'NF>=2 {print $2; exit}') || true
fi
if ! [[ $NPKTS =~ ^[0-9]+$ ]]; then
	NPKTS=$("$VIGIL" analyze --decode-only "$FILE" | awk '/decode-only:/ {print $2; exit}')
fi
log "capture: $NPKTS packets, $FILE_BYTES bytes"

# cpu_of COMMAND...: the CPU seconds (user+sys) COMMAND took. GNU time
# prints them in steps of 10 ms, as large as the differences the rounds
# look for; the kernel counts them to the microsecond, which
# getrusage(RUSAGE_CHILDREN) gives (python3, where there is one).
cpu_of() {
	if have python3; then
		python3 - "$TMO" "$@" <<'PY'
import resource, subprocess, sys
try:
    subprocess.run(["timeout", sys.argv[1]] + sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
except OSError:
    pass
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime), end="")
PY
		return
	fi
	local tf="$OUT/time.round"
	"$TIMEBIN" -o "$tf" -f "%U %S" timeout "$TMO" "$@" >/dev/null 2>&1 || true
	awk '{printf "%.3f", $1+$2}' "$tf"
}

# settle_cache: every tool reads the capture from the page cache, and what
# copying it out costs depends on how the cache holds it: in large folios,
# as readahead caches a file read from storage, `cat` of the 1.1 GiB capture
# takes 0.03–0.05 s of CPU; in 4 KiB pages, as a file written or re-read
# under memory pressure may be held, 0.10–0.40 s, for every tool alike. So
# the capture is written back, dropped from the cache and read back from
# storage once (then twice more, as the kernel settles its new pages) before
# anything is timed: each bench starts from the cache a capture read from
# disk gets, whatever happened to the file before. Each round prints `cat`'s
# CPU, so the state a run had stays visible.
settle_cache() {
	sync "$FILE"
	dd if="$FILE" iflag=nocache count=0 status=none || log "could not drop $FILE from the page cache"
	local i
	for i in 1 2 3; do
		cat "$FILE" >/dev/null
		sleep 1
	done
	log "capture cached anew: \`cat\` takes $(cpu_of cat "$FILE")s of CPU"
}
settle_cache

# ---------------------------------------------------------------------------
# 3. Runs.

NAMES=()
declare -A WALL=() CPU=() RSS=() FAULTS=() STATUS=() CMDS=()

# keep_run records the run measure just timed (its locals name, w, u, s, m,
# f: wall, user, system, max RSS in KiB, minor page faults) as NAME's.
keep_run() {
	WALL[$name]=$w
	CPU[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
	RSS[$name]=$(awk -v k="$m" 'BEGIN{printf "%.0f", k/1024}')
	FAULTS[$name]=$f
}

# measure NAME COMMAND...: warm the page cache, run COMMAND under timeout and
# /usr/bin/time (BENCH_REPEAT times, keeping the fastest by wall time), and
# record wall, CPU, max RSS, minor page faults and whether it succeeded.
measure() {
	local name=$1
	shift
	NAMES+=("$name")
	CMDS[$name]="$*"
	local tf="$OUT/time.$name" rc i w u s m f
	log "running $name: $*"
	for ((i = 1; i <= REPEAT; i++)); do
		cat "$FILE" >/dev/null
		rm -f "$tf"
		rc=0
		"$TIMEBIN" -o "$tf" -f '%e %U %S %M %R' timeout "$TMO" "$@" >"$OUT/log.$name.run" 2>&1 || rc=$?
		read -r w u s m f < <(tail -n 1 "$tf" 2>/dev/null || echo "0 0 0 0 0")
		if [[ $rc -ne 0 ]]; then
			mv -f "$OUT/log.$name.run" "$OUT/log.$name"
			keep_run
			if [[ $rc -eq 124 || $rc -eq 137 ]]; then
				STATUS[$name]="timed out after ${TMO}s"
			else
				STATUS[$name]="failed (exit $rc, see bench/out/log.$name)"
			fi
			break
		fi
		if [[ $i -eq 1 ]] || awk -v a="$w" -v b="${WALL[$name]}" 'BEGIN{exit !(a < b)}'; then
			keep_run
			mv -f "$OUT/log.$name.run" "$OUT/log.$name"
		fi
		rm -f "$OUT/log.$name.run"
		STATUS[$name]=ok
	done
	log "$name: ${STATUS[$name]}, ${WALL[$name]}s wall, ${CPU[$name]}s CPU, ${RSS[$name]} MiB, ${FAULTS[$name]} page faults"
}

skip() {
	NAMES+=("$1")
	STATUS[$1]="skipped: $2"
	log "$1 skipped: $2"
}

want vigil-decode && measure "vigil decode-only" "$VIGIL" analyze --decode-only "$FILE"
if want vigil-flows; then
	rm -rf "$OUT/vigil-flows"
	measure "vigil analyze --no-app --workers 1" "$VIGIL" analyze --no-app --no-insight --workers 1 -o "$OUT/vigil-flows" "$FILE"
fi
if want vigil-records; then
	rm -rf "$OUT/vigil-records"
	measure "vigil analyze --no-insight --workers 1" "$VIGIL" analyze --no-insight --workers 1 -o "$OUT/vigil-records" "$FILE"
fi
if want vigil-1; then
	rm -rf "$OUT/vigil-w1"
	measure "vigil analyze --workers 1" "$VIGIL" analyze --workers 1 -o "$OUT/vigil-w1" "$FILE"
fi
if want vigil-all; then
	rm -rf "$OUT/vigil-all"
	measure "vigil analyze (all cores)" "$VIGIL" analyze -o "$OUT/vigil-all" "$FILE"
fi
if want ndpi; then
	# Single-threaded on pcap files (-n is ignored for them); -q: no report.
	if have ndpiReader; then measure "ndpiReader" ndpiReader -q -i "$FILE"; else skip ndpiReader "not installed${PKG_NOTE[libndpi-bin]:+ (${PKG_NOTE[libndpi-bin]})}"; fi
fi
if want tshark; then
	# The cheapest meaningful flow summary: TCP and UDP conversation tables
	# (full dissection of every packet), no name resolution.
	if have tshark; then measure "tshark -z conv" tshark -n -r "$FILE" -q -z conv,tcp -z conv,udp; else skip tshark "not installed${PKG_NOTE[tshark]:+ (${PKG_NOTE[tshark]})}"; fi
fi
if want argus; then
	# -F /dev/null: ignore /etc/argus.conf; -P 0: no remote access port.
	if have argus; then
		measure "argus" argus -F /dev/null -P 0 -r "$FILE" -w "$OUT/argus.out"
		rm -f "$OUT/argus.out"
	else
		skip argus "not installed${PKG_NOTE[argus-server]:+ (${PKG_NOTE[argus-server]})}"
	fi
fi
if want softflowd; then
	# No -n collector: softflowd tracks and expires flows but sends nothing.
	# -c none: no control socket; -6: track IPv6 too; -m: room for every
	# flow so none is force-expired; -d: stay in the foreground.
	if have softflowd; then
		measure "softflowd" softflowd -r "$FILE" -d -c none -6 -m 1048576
	else
		skip softflowd "not installed${PKG_NOTE[softflowd]:+ (${PKG_NOTE[softflowd]})}"
	fi
fi
if want nfpcapd; then
	# nfdump reads NetFlow, not pcap; its nfpcapd turns pcap into flows.
	if have nfpcapd; then
		rm -rf "$OUT/nfpcapd" && mkdir -p "$OUT/nfpcapd"
		measure "nfpcapd (nfdump)" nfpcapd -r "$FILE" -w "$OUT/nfpcapd"
		rm -rf "$OUT/nfpcapd"
	else
		skip "nfpcapd (nfdump)" "not installed${PKG_NOTE[nfdump]:+ (${PKG_NOTE[nfdump]})}"
	fi
fi

# ---------------------------------------------------------------------------
# 3b. Interleaved rounds: ndpiReader, then Vigil's one-core modes, back to
# back, ROUNDS times. Each round also times `cat` reading the capture: the
# kernel's cost of copying it out of the page cache, which depends on how the
# cache holds the file (measured here from 0.05 to 0.4 s for 1.1 GiB: small
# or large folios) and weighs on a reader of 1 MiB blocks like Vigil more
# than on ndpiReader's 4 KiB reads, whose cost is mostly the system calls.

ROUNDS=${BENCH_ROUNDS:-5}
ROUND_MODES=("vigil analyze --no-insight --workers 1" "vigil analyze --workers 1")
ROUND_ARGS=("--no-insight --workers 1" "--workers 1")
ROUND_LINES=()


if ((ROUNDS > 0)) && want ndpi && have ndpiReader && want vigil-records && want vigil-1; then
	declare -a R_CAT=() R_NDPI=() R_V0=() R_V1=()
	for ((i = 1; i <= ROUNDS; i++)); do
		log "round $i of $ROUNDS"
		R_CAT+=("$(cpu_of cat "$FILE")")
		R_NDPI+=("$(cpu_of ndpiReader -q -i "$FILE")")
		rm -rf "$OUT/vigil-round"
		R_V0+=("$(cpu_of "$VIGIL" analyze ${ROUND_ARGS[0]} -q -o "$OUT/vigil-round" "$FILE")")
		rm -rf "$OUT/vigil-round"
		R_V1+=("$(cpu_of "$VIGIL" analyze ${ROUND_ARGS[1]} -q -o "$OUT/vigil-round" "$FILE")")
	done
	rm -rf "$OUT/vigil-round" "$OUT/time.round"
	median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f", (a[NR/2]+a[NR/2+1])/2}'; }
	ratios() { # ratios VIGIL...: ndpiReader's CPU (R_NDPI) over Vigil's, per round
		paste -d' ' <(printf '%s\n' "${R_NDPI[@]}") <(printf '%s\n' "$@") | awk '{printf "%.2f\n", $1/$2}'
	}
	r0=$(ratios "${R_V0[@]}" | tr '\n' ' ')
	r1=$(ratios "${R_V1[@]}" | tr '\n' ' ')
	ROUND_LINES+=("- Interleaved rounds ($ROUNDS; median CPU s): ndpiReader $(median "${R_NDPI[@]}"), ${ROUND_MODES[0]} $(median "${R_V0[@]}"), ${ROUND_MODES[1]} $(median "${R_V1[@]}"); \`cat\` reading the capture $(median "${R_CAT[@]}") (${R_CAT[*]})")
	ROUND_LINES+=("  - ${ROUND_MODES[0]}: ndpiReader/Vigil per round $r0→ median $(median $r0)x")
	ROUND_LINES+=("  - ${ROUND_MODES[1]}: ndpiReader/Vigil per round $r1→ median $(median $r1)x")
fi

# ---------------------------------------------------------------------------
# 4. Report.

ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }

# fault_cost prints what a minor page fault costs here, in µs: the time to
# touch each 4 KiB page of 64 MiB of fresh anonymous memory (python3's
# mmap), or nothing without python3. On the VMs the benchmark has run on it
# ranged from 1.7 to 33 µs (sessions 25 to 27), which moves every tool's CPU time by the
# faults it takes (the table's column): see docs/PERFORMANCE.md.
fault_cost() {
	have python3 || return 0
	python3 - <<'PY' 2>/dev/null || true
import mmap, time
n = 64 << 20
m = mmap.mmap(-1, n, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
t = time.perf_counter()
for i in range(0, n, 4096):
    m[i] = 1
print("%.1f" % ((time.perf_counter() - t) * 1e6 / (n // 4096)))
PY
}

REF="vigil analyze --workers 1"
FAULT_US=$(fault_cost)
{
	echo "## Benchmark: Vigil and peers on one capture"
	echo
	echo "- Machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)"
	echo "- Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes wall times noisy; CPU seconds less so)"
	[[ -n $FAULT_US ]] && echo "- A minor page fault costs about $FAULT_US µs here (64 MiB of fresh memory touched page by page); each tool's CPU time includes its faults (the table's page faults column)"
	if [[ $KIND == flood ]]; then sample_cmd="vigil sample --flood --packets $PACKETS --seed $SEED"; else sample_cmd="vigil sample --packets $PACKETS${FLOWS:+ --flows $FLOWS} --seed $SEED"; fi
	echo "- Capture: \`$sample_cmd\`: $NPKTS packets, $(awk -v b="$FILE_BYTES" 'BEGIN{printf "%.0f MiB", b/1048576}') ($GEN_NOTE); dropped from the page cache and read back from storage before the runs, the cache warmed before each"
	echo "- Versions: $("$VIGIL" version 2>/dev/null | head -n 1), nDPI $(ver libndpi-bin), tshark $(ver tshark), argus $(ver argus-server), softflowd $(ver softflowd), nfdump $(ver nfdump), Go $(go env GOVERSION)"
	echo
	echo "| tool | wall s | CPU s | packets/s (wall) | packets/s per core | Vigil/tool per core | max RSS MiB | page faults | status |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
	ref_pc=""
	if [[ ${STATUS[$REF]:-} == ok ]]; then
		ref_pc=$(awk -v n="$NPKTS" -v c="${CPU[$REF]}" 'BEGIN{if (c < 0.01) c = 0.01; printf "%.6f", n/c}')
	fi
	for name in "${NAMES[@]}"; do
		if [[ ${STATUS[$name]} == skipped* ]]; then
			echo "| $name | | | | | | | | ${STATUS[$name]} |"
			continue
		fi
		awk -v name="$name" -v n="$NPKTS" -v w="${WALL[$name]}" -v c="${CPU[$name]}" \
			-v m="${RSS[$name]}" -v f="${FAULTS[$name]:-}" -v ref="$ref_pc" -v st="${STATUS[$name]}" 'BEGIN{
			ww = (w < 0.01) ? 0.01 : w; cc = (c < 0.01) ? 0.01 : c
			pw = n / ww; pc = n / cc
			ratio = (ref == "") ? "n/a" : sprintf("%.2f", ref / pc)
			printf "| %s | %.2f | %.2f | %.0f | %.0f | %s | %s | %s | %s |\n", name, w, c, pw, pc, ratio, m, f, st
		}'
	done
	echo
	if [[ ${STATUS["vigil decode-only"]:-} == ok ]]; then
		for a in "vigil analyze --no-app --workers 1" "vigil analyze --no-insight --workers 1" "vigil analyze --workers 1" "vigil analyze (all cores)"; do
			[[ ${STATUS[$a]:-} == ok ]] || continue
			awk -v a="$a" -v dw="${WALL["vigil decode-only"]}" -v dc="${CPU["vigil decode-only"]}" \
				-v aw="${WALL[$a]}" -v ac="${CPU[$a]}" 'BEGIN{
				if (dw < 0.01) dw = 0.01; if (dc < 0.01) dc = 0.01; if (aw < 0.01) aw = 0.01; if (ac < 0.01) ac = 0.01
				printf "- %s vs decode-only: %.1fx the wall time, %.1fx the CPU time (analysis runs at %.0f%% of the decode-only per-core rate)\n", a, aw/dw, ac/dc, 100*dc/ac
			}'
		done
	fi
	for name in "vigil decode-only" "vigil analyze --no-app --workers 1" "vigil analyze --no-insight --workers 1" "vigil analyze --workers 1" "vigil analyze (all cores)"; do
		[[ ${STATUS[$name]:-} == ok ]] || continue
		self=$(grep -m 1 -o 'decode-only: .*\|analysed in .*' "$OUT/log.$name" || true)
		# How the capture was read: mapped or read, as the trial chose.
		reading=$(grep -m 1 '^Reading ' "$OUT/log.$name" | sed 's/^Reading *//' || true)
		[[ -n $reading ]] && self="$self; capture $reading"
		[[ -n $self ]] && echo "- $name, as Vigil times itself (after start-up): $self"
	done
	[[ $REPEAT -gt 1 ]] && echo "- Each tool ran $REPEAT times; the run with the least wall time is shown."
	for l in "${ROUND_LINES[@]}"; do echo "$l"; done
	echo "- \"Vigil/tool per core\" is Vigil's packets per CPU-second (\`$REF\`) over the tool's: above 1, Vigil does more per core."
	echo "- Commands:"
	for name in "${NAMES[@]}"; do
		[[ -n ${CMDS[$name]:-} ]] && echo "  - $name: \`${CMDS[$name]//$ROOT\//}\`"
	done
} >"$RESULTS"

cat "$RESULTS"
log "results written to ${RESULTS#"$ROOT"/}"
