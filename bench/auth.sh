#!/usr/bin/env bash
# Authentication benchmarks:
#  - what checking a cached session adds to a request: two identical worker routes of the
#    bench-echo plugin, anonymous and signed-in, against /healthz (CPU per request of each);
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
for file in "$LORE_BIN" "$ARGON_BIN" "$BUILD_DIR/bench-plugins/bench-echo/libbench-echo.so" \
  "$BUILD_DIR/plugins/auth-password/libauth-password.so"; do
  [[ -e "$file" ]] || die "$file is missing: build it first (make bench builds everything)"
done
for tool in wrk curl awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/lore-bench-auth.XXXXXX")"
PIDS=()
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

cat >"$WORK/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$EMAIL","password":"$PASSWORD"}'
LUA

for round in $(seq "$ROUNDS"); do
  measure "healthz.$round" "$BASE/healthz" "$LORE_PID"
  measure "anonymous.$round" "$BASE/bench/anonymous" "$LORE_PID"
  measure "signed-in.$round" "$BASE/bench/signed-in" "$LORE_PID" -H "Authorization: Bearer $TOKEN"
done
# Sign-ins take tens of milliseconds each: few connections are enough to keep the cores busy.
CONNECTIONS_SAVED="$CONNECTIONS"
CONNECTIONS="$(nproc)"
measure "login.1" "$BASE/api/v1/auth/login" "$LORE_PID" -s "$WORK/login.lua"
CONNECTIONS="$CONNECTIONS_SAVED"

"$ARGON_BIN" --benchmark_format=json >"$WORK/argon.json" 2>/dev/null
verify_ms="$(awk -F': ' '/"real_time"/ {gsub(/,/, "", $2); print $2; exit}' "$WORK/argon.json")"

echo "== summary (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION; login with -c$(nproc))"
header
for round in $(seq "$ROUNDS"); do
  for target in healthz anonymous signed-in; do row "$target.$round" "$target" "$round" "healthz.$round"; done
done
row "login.1" "login" 1 "healthz.1"
echo
for round in $(seq "$ROUNDS"); do
  awk -v a="${CPU_US[signed-in.$round]}" -v n="${CPU_US[anonymous.$round]}" \
    -v h="${CPU_US[healthz.$round]}" -v r="$round" 'BEGIN {
      printf "round %s: a cached session costs %.1f us of CPU per request = %.1f%% of a /healthz request (%.1f us)\n",
        r, a - n, (h > 0 ? 100 * (a - n) / h : 0), h }'
done
awk -v ms="$verify_ms" -v cores="$(nproc)" -v rps="${RPS[login.1]}" 'BEGIN {
  floor = cores * 1000 / ms
  printf "argon2id verify (19 MiB, 2 passes): %.1f ms on one core -> at most %.0f sign-ins/s on %d cores; measured %.1f/s = %.2f of that floor\n",
    ms, floor, cores, rps, (floor > 0 ? rps / floor : 0) }'
