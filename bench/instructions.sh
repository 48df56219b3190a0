#!/usr/bin/env bash
# Instructions per request, counted by callgrind: a deterministic companion to bench/run.sh,
# whose requests/s on a shared 2-core machine vary by ±20% between rounds.
#
#   bench/instructions.sh                        uses ./build
#   BUILD_DIR=build-bench bench/instructions.sh
#
# Each server runs under callgrind twice, under a short and a long wrk load; the difference of
# the two instruction totals divided by the difference of the requests served removes start-up
# and shutdown, leaving the cost of one request (parse, handler, response, syscalls' user side).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build}"
[[ "$BUILD_DIR" == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
SHORT="${SHORT:-2s}"
LONG="${LONG:-6s}"
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is required" >&2; exit 1; }
command -v wrk >/dev/null || { echo "instructions.sh: wrk is required" >&2; exit 1; }

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_once NAME DURATION PATH COMMAND... : prints "requests instructions"; the word PORT in
# COMMAND is replaced by a free port.
run_once() {
  local name=$1 duration=$2 path=$3
  shift 3
  local port
  port=$(free_port)
  local out="$WORK/$name.$duration"
  local command=("${@//PORT/$port}")
  valgrind --tool=callgrind --callgrind-out-file="$out.%p" "${command[@]}" >"$out.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 200); do
    curl -fs "http://127.0.0.1:$port$path" >/dev/null 2>&1 && break
    sleep 0.1
  done
  local requests
  requests=$(wrk -t1 -c4 -d"$duration" "http://127.0.0.1:$port$path" | awk '/requests in/{print $1}')
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  local instructions
  instructions=$(cat "$out".* 2>/dev/null | awk '/^summary:/{s+=$2} END{print s+0}')
  echo "$requests $instructions"
}

per_request() {
  local name=$1 path=$2
  shift 2
  read -r n1 i1 < <(run_once "$name" "$SHORT" "$path" "$@")
  read -r n2 i2 < <(run_once "$name" "$LONG" "$path" "$@")
  awk -v n1="$n1" -v i1="$i1" -v n2="$n2" -v i2="$i2" 'BEGIN { printf "%.0f\n", (i2 - i1) / (n2 - n1) }'
}

LORE=("$BUILD_DIR/kernel/lore" serve -c config/lore.yaml --set log.access=false
  --set server.threads=1 --set "plugin_paths=[\"$BUILD_DIR/plugins\"]" --set server.port=PORT)
base=$(per_request baseline / "$BUILD_DIR/bench/lore_bench_pistache_hello" PORT 1)
healthz=$(per_request healthz /healthz "${LORE[@]}")
hello=$(per_request hello /api/v1/hello "${LORE[@]}")

printf '\n== instructions per request (callgrind, wrk -t1 -c4, %s vs %s runs)\n' "$SHORT" "$LONG"
printf '%-24s %12s %8s\n' target instructions ratio
printf '%-24s %12s %8s\n' "pistache baseline /" "$base" 1.00
for row in "lore /healthz:$healthz" "lore /api/v1/hello:$hello"; do
  printf '%-24s %12s %8.2f\n' "${row%%:*}" "${row##*:}" "$(awk -v a="${row##*:}" -v b="$base" 'BEGIN{print a/b}')"
done
