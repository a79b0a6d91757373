#!/usr/bin/env bash
# live-flood.sh: how much of a flood a live Vigil sensor keeps up with.
#
# Makes a network namespace of its own holding one veth pair and nothing
# else (no route leads out of it), starts `vigil analyze -i` on one end,
# replays a capture into the other end with tcpreplay, at a set rate or as
# fast as it goes, and prints what the kernel passed to the capture and
# dropped, and what Vigil analysed. The namespace is removed on exit.
#
# Needs root, iproute2 and tcpreplay (apt-get install tcpreplay).
#
# Environment:
#   LIVE_FILE   capture to replay (default bench/out/flood.pcap: make it
#               with BENCH_KIND=flood scripts/bench.sh, or
#               `vigil sample --flood --packets N -o FILE`)
#   LIVE_PPS    packets a second (default: tcpreplay --topspeed)
#   LIVE_ARGS   more `vigil analyze` options (e.g. --fanout 2, --no-insight)
#   LIVE_ENV    environment for vigil (e.g. VIGIL_CONSUMER_STAGE=0)
#   LIVE_OUT    output directory (default a temporary one, removed)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
FILE=${LIVE_FILE:-bench/out/flood.pcap}
[[ -r $FILE ]] || { echo "live-flood: no capture $FILE (LIVE_FILE)" >&2; exit 2; }
command -v tcpreplay >/dev/null || { echo "live-flood: tcpreplay not found (apt-get install tcpreplay)" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "live-flood: needs root (network namespace, capture)" >&2; exit 2; }

go build -o bin/vigil ./cmd/vigil
NS=vigil-lf-$$
OUT=${LIVE_OUT:-$(mktemp -d)}
VPID=
cleanup() {
	[[ -n $VPID ]] && kill "$VPID" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	[[ -z ${LIVE_OUT:-} ]] && rm -rf "$OUT"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add lf0 type veth peer name lf1
ip -n "$NS" link set lf0 up
ip -n "$NS" link set lf1 up

rm -rf "$OUT/vigil"
# shellcheck disable=SC2086
ip netns exec "$NS" env ${LIVE_ENV:-} bin/vigil analyze -i lf0 -o "$OUT/vigil" ${LIVE_ARGS:-} >"$OUT/summary.txt" 2>&1 &
VPID=$!
for _ in $(seq 50); do # the capture is open once conn.log exists
	[[ -e $OUT/vigil/conn.log ]] && break
	sleep 0.1
done
sleep 0.5

rate=(--topspeed)
[[ -n ${LIVE_PPS:-} ]] && rate=(--pps "$LIVE_PPS")
ip netns exec "$NS" tcpreplay -q -i lf1 "${rate[@]}" "$FILE" 2>&1 | grep -E "Actual|Rated|Failed" || true
sleep 2
kill -INT "$VPID"
wait "$VPID" || true
VPID=
grep -E "^(Capture|Packets|Flows|Alerts)" "$OUT/summary.txt" || cat "$OUT/summary.txt"
