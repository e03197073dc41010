#!/usr/bin/env bash
# Profiles the lab's five services at one fixed rate: starts `tracelab up --workload none`
# with the flags given (and the environment, e.g. OTEL_TRACES_SAMPLER=always_off), sends
# RATE orders/s, and records every service with `perf` for SECONDS s once the rate has run
# for 12 s. Writes OUTDIR/<service>.txt (`perf script` output) and prints each service's CPU
# an order; compare two runs with dist/bench/perf-diff.js.
#
#   npm run build
#   bench/profile-lab.sh /tmp/prof/untraced --tracing off --monitor off
#   OTEL_TRACES_SAMPLER=always_off bench/profile-lab.sh /tmp/prof/context --monitor off
#   node dist/bench/perf-diff.js /tmp/prof/{untraced,context}/inventory.txt --hz 499 --orders 2000
#
# Needs Linux `perf` (Debian: linux-perf) and the right to attach to one's own processes.
set -euo pipefail
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  code=2; [ $# -ge 1 ] && code=0
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit $code
fi
command -v perf >/dev/null || { echo "perf is not installed (Debian: apt-get install linux-perf)" >&2; exit 2; }
out=$1; shift
rate=${RATE:-100}; seconds=${SECONDS_RECORDED:-20}; hz=${HZ:-499}
cli="$(dirname "$0")/../dist/src/cli/main.js"
[ -f "$cli" ] || cli="$(dirname "$0")/../src/cli/main.js"
mkdir -p "$out"

NODE_OPTIONS="${NODE_OPTIONS:-} --perf-basic-prof-only-functions" node "$cli" up --workload none \
  --api-port 18380 --inventory-port 18381 --otlp-port 18318 --http-port 18386 --admin-port 0 \
  --key-prefix "profile-$$:" "$@" > "$out/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null && wait $up || true' EXIT
for _ in $(seq 1 240); do
  curl -sf http://127.0.0.1:18380/health >/dev/null && break
  kill -0 $up 2>/dev/null || { echo "tracelab up stopped; see $out/up.log" >&2; exit 1; }
  sleep 0.5
done
node "$cli" load --url http://127.0.0.1:18380 --rate "$rate" --duration "$((seconds + 20))s" \
  > "$out/load.log" 2>&1 &
load=$!
sleep 12

declare -A service_of
pids=()
for p in $(pgrep -P $up); do
  svc=$(tr '\0' ' ' < "/proc/$p/cmdline" | sed -n 's/.* service \([a-z]*\) .*/\1/p')
  if [ -n "$svc" ]; then service_of[$p]=$svc; pids+=("$p"); fi
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A cpu0
for p in "${pids[@]}"; do cpu0[$p]=$(cpu "$p"); done
perf record -q -F "$hz" -g -p "$(IFS=,; echo "${pids[*]}")" -o "$out/perf.data" -- sleep "$seconds" 2>/dev/null
orders=$((rate * seconds))
ticks=$(getconf CLK_TCK)
for p in "${pids[@]}"; do
  used=$(( $(cpu "$p") - cpu0[$p] ))
  awk -v s="${service_of[$p]}" -v t="$used" -v k="$ticks" -v n="$orders" \
    'BEGIN { printf "%-13s %.3f ms CPU an order\n", s, t / k * 1000 / n }'
done | tee "$out/cpu.txt"
wait $load
for p in "${pids[@]}"; do
  perf script -i "$out/perf.data" --pid "$p" 2>/dev/null > "$out/${service_of[$p]}.txt"
done
echo "$orders orders at ${hz} Hz: $out/<service>.txt" | tee "$out/README"
tail -2 "$out/load.log"
