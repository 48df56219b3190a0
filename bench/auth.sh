#!/usr/bin/env bash
# Authentication benchmarks:
#  - what checking a cached session adds to a request: two identical worker routes of the
#    bench-echo plugin, anonymous and signed-in, against /healthz (CPU per request of each).
#    The anonymous route is measured twice: bare, and with an `Authorization: Basic` header as
#    long as the bearer token, so that "signed-in − anonymous with the header" is the check
#    alone and "signed-in − bare anonymous" what a signed-in client pays in all;
#  - the check alone without HTTP around it (lore_session_bench: an Authenticator hit against
#    a shared_mutex-guarded map, the floor of any in-process session cache), as a share of the
#    /healthz request measured by wrk in the same run;
#  - sign-in throughput, bounded by argon2id by design, against the argon2id floor
#    (lore_argon2_bench: one verification's time; cores / that = the most sign-ins a second).
#
#   bench/auth.sh                        uses ./build (what `make bench` builds)
#   BUILD_DIR=build-bench bench/auth.sh  another build directory
# Settings as in bench/run.sh (DURATION, WARMUP, ROUNDS, WRK_THREADS, CONNECTIONS,
# SERVER_THREADS). Needs wrk, curl, awk.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
load_common_settings

LORE_BIN="$BUILD_DIR/kernel/lore"
ARGON_BIN="$BUILD_DIR/bench/lore_argon2_bench"
SESSION_BIN="$BUILD_DIR/bench/lore_session_bench"
need_built "$LORE_BIN" "$ARGON_BIN" "$SESSION_BIN" \
  "$BUILD_DIR/bench-plugins/bench-echo/libbench-echo.so" \
  "$BUILD_DIR/plugins/auth-password/libauth-password.so"
need_tools wrk curl awk
start_work auth

echo "== Lore authentication benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "   machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo

port="$(free_port)"
# Sign-in limits far above what the run sends: this measures hashing, not refusals.
"$LORE_BIN" serve -c config/lore.yaml \
  --set server.host=127.0.0.1 --set "server.port=$port" --set log.access=false \
  --set "server.threads=$SERVER_THREADS" \
  --set "database.url=\"sqlite://$WORK/lore.db\"" \
  --set "plugin_paths=[\"$BUILD_DIR/plugins\", \"$BUILD_DIR/bench-plugins\"]" \
  --set "plugins.bench-echo.enabled=true" \
  --set "plugins.auth-password.settings.login_attempts_per_account=100000" \
  --set "plugins.auth-password.settings.login_attempts_per_ip=1000000" \
  --set "plugins.auth-password.settings.max_concurrent_hashes=$(nproc)" \
  >"$WORK/lore.log" 2>&1 &
PIDS+=("$!")
LORE_PID="$!"
wait_ready "lore" "$LORE_PID" "http://127.0.0.1:$port/healthz" "$WORK/lore.log"

BASE="http://127.0.0.1:$port"
EMAIL="bench$RANDOM@example.com"
PASSWORD="correct horse battery staple"
TOKEN="$(curl -s -X POST "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"display_name\":\"Bench\"}" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
[[ -n "$TOKEN" ]] || die "could not register a user: $(tail -n 20 "$WORK/lore.log")"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/bench/signed-in")"
[[ "$status" == 200 ]] || die "the signed-in route answered $status"
# Not a bearer token, so never checked; as long as "Bearer <token>" so Pistache parses as much.
BASIC="Basic $(printf '%*s' "$((${#TOKEN} + 1))" '' | tr ' ' 'A')"

cat >"$WORK/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$EMAIL","password":"$PASSWORD"}'
LUA

for round in $(seq "$ROUNDS"); do
  measure "healthz.$round" "$BASE/healthz" "$LORE_PID"
  measure "anonymous.$round" "$BASE/bench/anonymous" "$LORE_PID"
  measure "anon-header.$round" "$BASE/bench/anonymous" "$LORE_PID" -H "Authorization: $BASIC"
  measure "signed-in.$round" "$BASE/bench/signed-in" "$LORE_PID" -H "Authorization: Bearer $TOKEN"
done
# Sign-ins take tens of milliseconds each: few connections are enough to keep the cores busy.
# argon2id is bound by memory bandwidth, which other tenants of a shared host take: its time was
# seen to swing between 17 and 45 ms on one machine within minutes. So the floor is measured
# right before and right after the sign-ins, and their mean is used.
argon_ms() {
  "$ARGON_BIN" --benchmark_format=json 2>/dev/null |
    awk -F': ' '/"real_time"/ {gsub(/,/, "", $2); print $2; exit}'
}
verify_before_ms="$(argon_ms)"
CONNECTIONS_SAVED="$CONNECTIONS"
CONNECTIONS="$(nproc)"
measure "login.1" "$BASE/api/v1/auth/login" "$LORE_PID" -s "$WORK/login.lua"
CONNECTIONS="$CONNECTIONS_SAVED"
verify_after_ms="$(argon_ms)"
verify_ms="$(awk -v a="$verify_before_ms" -v b="$verify_after_ms" 'BEGIN { print (a + b) / 2 }')"

"$SESSION_BIN" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  >"$WORK/session.txt" 2>&1 || die "lore_session_bench failed: $(tail -n 5 "$WORK/session.txt")"

echo "== summary (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION; login with -c$(nproc))"
header
for round in $(seq "$ROUNDS"); do
  for target in healthz anonymous anon-header signed-in; do row "$target.$round" "$target" "$round" "healthz.$round"; done
done
row "login.1" "login" 1 "healthz.1"
echo
for round in $(seq "$ROUNDS"); do
  awk -v a="${CPU_US[signed-in.$round]}" -v n="${CPU_US[anonymous.$round]}" \
    -v b="${CPU_US[anon-header.$round]}" -v h="${CPU_US[healthz.$round]}" -v r="$round" 'BEGIN {
      printf "round %s: checking a cached session costs %.1f us of CPU per request = %.1f%% of a /healthz request (%.1f us);", r, a - b, (h > 0 ? 100 * (a - b) / h : 0), h
      printf " with the Authorization header itself %.1f us = %.1f%%\n", a - n, (h > 0 ? 100 * (a - n) / h : 0) }'
done
# One round's difference is within the noise of two wrk runs: the median of the rounds says more.
for round in $(seq "$ROUNDS"); do
  awk -v a="${CPU_US[signed-in.$round]}" -v b="${CPU_US[anon-header.$round]}" \
    -v h="${CPU_US[healthz.$round]}" 'BEGIN { printf "%.2f\n", (h > 0 ? 100 * (a - b) / h : 0) }'
done | sort -g | awk '{ v[NR] = $1 } END {
  m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
  printf "median of %d rounds: checking a cached session costs %.1f%% of a /healthz request\n", NR, m }'
echo
echo "== the check alone (lore_session_bench, median of 3; CPU ns per check, x the floor, share of /healthz)"
best_healthz="$(for round in $(seq "$ROUNDS"); do echo "${CPU_US[healthz.$round]}"; done | sort -g | head -n 1)"
awk -v h="$best_healthz" '
  /^BM_/ && /_median/ && $3 == "ns" {
    name = $1; sub(/_median$/, "", name); sub(/\/real_time/, "", name)
    names[++n] = name; value[name] = $4  # CPU time: what the check takes from a core
  }
  END {
    printf "%-34s %10s %12s %10s %14s\n", "benchmark", "CPU ns", "floor ns", "x floor", "% of /healthz"
    for (i = 1; i <= n; i++) {
      name = names[i]; base = name; sub(/BM_CachedSession/, "BM_MapBaseline", base)
      if (base == name || !(base in value)) continue
      printf "%-34s %10.0f %12.0f %10.2f %13.2f%%\n", name, value[name], value[base],
        value[name] / value[base], (h > 0 ? 100 * value[name] / (h * 1000) : 0)
    }
    printf "(floor: a shared_mutex-guarded unordered_map; /healthz: %.1f us of CPU, the best round)\n", h
  }' "$WORK/session.txt"
awk -v ms="$verify_ms" -v a="$verify_before_ms" -v b="$verify_after_ms" -v cores="$(nproc)" \
  -v rps="${RPS[login.1]}" -v cpu="${CPU_US[login.1]}" 'BEGIN {
  floor = cores * 1000 / ms
  printf "argon2id verify (19 MiB, 2 passes): %.1f ms on one core (%.1f before the sign-ins, %.1f after) -> at most %.0f sign-ins/s on %d cores; measured %.1f/s = %.2f of that floor\n",
    ms, a, b, floor, cores, rps, (floor > 0 ? rps / floor : 0)
  printf "CPU per sign-in: %.1f ms, of which one argon2id verification is %.1f ms (%.0f%%)\n",
    cpu / 1000, ms, (cpu > 0 ? 100 * ms * 1000 / cpu : 0) }'
