#!/usr/bin/env bash
# ab.sh: paired CPU-time comparison of Vigil builds or modes on one capture.
#
#   scripts/ab.sh [-n ROUNDS] [-f CAPTURE] SPEC SPEC...
#
# A SPEC is LABEL=COMMAND: COMMAND is a vigil binary and its analyze options,
# run as `COMMAND -o DIR CAPTURE` after `analyze` is put after the binary
# (e.g. 'old=/tmp/vigil-old --workers 1' 'new=bin/vigil --workers 1'), or
# the word ndpi for `ndpiReader -q -i CAPTURE`. Environment variables for one
# SPEC go before the binary: 'huge=VIGIL_HUGEPAGES=1 bin/vigil --workers 1'.
#
# Each round runs every SPEC once, back to back, starting from a different
# one each round, and records the run's user+system CPU seconds
# (/usr/bin/time). The shared VMs this project is measured on drift by tens
# of percent within a minute; a ratio taken within a round cancels most of
# that, so the summary gives, against the first SPEC, the median of the
# per-round ratios and in how many rounds each SPEC was faster. Differences
# under about 3% need many rounds (20 or more) to tell from noise here.
#
# Defaults: 9 rounds, bench/out/mixed.pcap (scripts/bench.sh makes it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=9
CAPTURE=bench/out/mixed.pcap
while getopts "n:f:" opt; do
	case $opt in
	n) ROUNDS=$OPTARG ;;
	f) CAPTURE=$OPTARG ;;
	*)
		sed -n '2,20p' "$0" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
if (($# < 2)); then
	echo "ab.sh: give at least two SPECs (LABEL=COMMAND); see the head of $0" >&2
	exit 2
fi
if [[ ! -r $CAPTURE ]]; then
	echo "ab.sh: cannot read $CAPTURE (scripts/bench.sh writes bench/out/mixed.pcap; -f names another)" >&2
	exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
	echo "ab.sh: needs /usr/bin/time (apt-get install time)" >&2
	exit 2
fi

labels=()
commands=()
for spec in "$@"; do
	if [[ $spec != *=* ]]; then
		echo "ab.sh: $spec is not LABEL=COMMAND" >&2
		exit 2
	fi
	labels+=("${spec%%=*}")
	commands+=("${spec#*=}")
done
n=${#labels[@]}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# run I: one run of SPEC I; prints its CPU seconds.
run() {
	local i=$1 words env=() bin args
	read -r -a words <<<"${commands[$i]}"
	while [[ ${words[0]} == *=* ]]; do
		env+=("${words[0]}")
		words=("${words[@]:1}")
	done
	rm -rf "$scratch/out"
	if [[ ${words[0]} == ndpi ]]; then
		env "${env[@]}" /usr/bin/time -f '%U %S' -o "$scratch/t" ndpiReader -q -i "$CAPTURE" >/dev/null 2>&1
	else
		bin=${words[0]}
		args=("${words[@]:1}")
		env "${env[@]}" /usr/bin/time -f '%U %S' -o "$scratch/t" "$bin" analyze "${args[@]}" -o "$scratch/out" "$CAPTURE" >/dev/null 2>&1
	fi
	awk 'END { printf "%.3f", $1 + $2 }' "$scratch/t"
}

for ((r = 0; r < ROUNDS; r++)); do
	line="round $r:"
	for ((k = 0; k < n; k++)); do
		i=$(((r + k) % n))
		t=$(run "$i")
		echo "$r $i $t" >>"$scratch/times"
		line+=" ${labels[$i]}=$t"
	done
	echo "$line"
done

# Summary: medians, and per-round ratios against the first SPEC.
for ((i = 0; i < n; i++)); do
	awk -v i="$i" -v label="${labels[$i]}" -v base="${labels[0]}" '
		{ t[$1, $2] = $3; if ($1 + 1 > rounds) rounds = $1 + 1 }
		function median(a, m,   j, k, x) {
			for (j = 1; j <= m; j++) for (k = j + 1; k <= m; k++) if (a[k] < a[j]) { x = a[j]; a[j] = a[k]; a[k] = x }
			return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		}
		END {
			for (r = 0; r < rounds; r++) { own[r + 1] = t[r, i]; ratio[r + 1] = t[r, i] / t[r, 0]; if (t[r, i] < t[r, 0]) faster++ }
			line = sprintf("%-12s median %.3f s", label, median(own, rounds))
			if (i > 0) line = line sprintf("; against %s: median ratio %.3f, faster in %d of %d rounds", base, median(ratio, rounds), faster, rounds)
			print line
		}' "$scratch/times"
done
