#!/usr/bin/env bash
# pgo.sh: regenerates cmd/vigil/default.pgo, the CPU profile that `go build`
# and `go install` use for profile-guided optimisation of the vigil binary
# (Go's default -pgo=auto picks up default.pgo in the main package).
#
# The profile comes from training runs that are not the benchmark: a sample
# capture with another seed and size than scripts/bench.sh's, analysed whole
# and records-only with one worker and on all cores, plus the lab's labelled
# captures. Run it again after large changes to the hot paths; a stale
# profile costs only the gain (the build stays correct), and `-pgo=off`
# builds without it.
#
# Environment:
#   PGO_PACKETS  packets in the training capture (default 2000000)
#   PGO_SEED     its seed (default 7; the benchmark uses 1)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PACKETS=${PGO_PACKETS:-2000000}
SEED=${PGO_SEED:-7}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

log() { printf 'pgo: %s\n' "$*" >&2; }

log "building vigil without a profile"
go build -pgo=off -o "$TMP/vigil" ./cmd/vigil
log "writing a training capture ($PACKETS packets, seed $SEED)"
"$TMP/vigil" sample -o "$TMP/train.pcap" --packets "$PACKETS" --seed "$SEED" >/dev/null

profile() { # NAME ARGS...: one profiled run
	local name=$1
	shift
	"$TMP/vigil" analyze -q -cpuprofile "$TMP/$name.pprof" -o "$TMP/out" "$@" >/dev/null
}
# pprof samples at 100 Hz: a dozen runs give the profile enough samples
# that rebuilding it moves the gain little.
for i in 1 2 3 4 5 6 7 8; do profile "whole-$i" --workers 1 "$TMP/train.pcap"; done
for i in 1 2 3 4; do profile "records-$i" --workers 1 --no-insight "$TMP/train.pcap"; done
for i in 1 2; do profile "all-cores-$i" "$TMP/train.pcap"; done
for f in testdata/lab/*.pcap; do profile "lab-$(basename "$f" .pcap)" "$f"; done

go tool pprof -proto "$TMP"/*.pprof >cmd/vigil/default.pgo
log "wrote cmd/vigil/default.pgo ($(stat -c %s cmd/vigil/default.pgo) bytes)"
