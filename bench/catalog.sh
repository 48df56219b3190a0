#!/usr/bin/env bash
# Catalog benchmarks: the public course list (20 courses) and one course page, as an anonymous
# visitor sees them, against /healthz of the same server in the same run; target: at least 0.8
# of /healthz's requests/s and p99 at most 10 ms at 64 connections.
#
# The server runs on a fresh SQLite database filled from config/demo-data.yaml (21 published
# courses), with the shipped catalog.public_cache_ms. For reference, the same routes are also
# measured on a second server with that cache off (every request reads the database and renders
# JSON on a worker), and signed in (never cached).
#
#   bench/catalog.sh                        uses ./build (what `make bench` builds)
#   BUILD_DIR=build-bench bench/catalog.sh  another build directory
# Settings as in bench/run.sh (DURATION, WARMUP, ROUNDS, WRK_THREADS, CONNECTIONS,
# SERVER_THREADS). Needs wrk, curl, awk.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
load_common_settings

LORE_BIN="$BUILD_DIR/kernel/lore"
need_built "$LORE_BIN" "$BUILD_DIR/plugins/course-video/libcourse-video.so" \
  "$BUILD_DIR/plugins/course-column/libcourse-column.so" \
  "$BUILD_DIR/plugins/course-live/libcourse-live.so"
need_tools wrk curl awk
start_work catalog

echo "== Lore catalog benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "   machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg), cc1plus running: $(count_compilers)"
echo

# start_lore NAME PUBLIC_CACHE_MS: a server on its own demo database; sets STARTED_PORT and
# STARTED_PID.
start_lore() {
  local name="$1" cache_ms="$2" port
  port="$(free_port)"
  "$LORE_BIN" serve -c config/lore.yaml \
    --set server.host=127.0.0.1 --set "server.port=$port" --set log.access=false \
    --set "server.threads=$SERVER_THREADS" \
    --set "database.url=\"sqlite://$WORK/$name.db\"" \
    --set "catalog.public_cache_ms=$cache_ms" \
    --set "plugin_paths=[\"$BUILD_DIR/plugins\"]" \
    --set "plugins.auth-password.settings.login_attempts_per_ip=1000000" \
    >"$WORK/$name.log" 2>&1 &
  STARTED_PID="$!"
  STARTED_PORT="$port"
  PIDS+=("$STARTED_PID")
  wait_ready "lore ($name)" "$STARTED_PID" "http://127.0.0.1:$port/healthz" "$WORK/$name.log"
}

start_lore cached 1000
port="$STARTED_PORT" pid="$STARTED_PID"
start_lore uncached 0
port_off="$STARTED_PORT" pid_off="$STARTED_PID"
BASE="http://127.0.0.1:$port"
BASE_OFF="http://127.0.0.1:$port_off"

list_json="$(curl -s "$BASE/api/v1/courses?limit=20")"
count="$(grep -o '"slug":' <<<"$list_json" | wc -l)"
[[ "$count" == 20 ]] || die "the list holds $count courses, not 20 (demo data loaded? $(grep 'demo data' "$WORK/cached.log" | tail -n 2))"
course_id="$(grep -o '"id":[0-9]*' <<<"$list_json" | head -n 1 | cut -d: -f2)"
[[ -n "$course_id" ]] || die "no course id in the list"
status="$(curl -s -o "$WORK/page.json" -w '%{http_code}' "$BASE/api/v1/courses/$course_id")"
[[ "$status" == 200 ]] || die "GET /api/v1/courses/$course_id answered $status: $(cat "$WORK/page.json")"

TOKEN="$(curl -s -X POST "$BASE_OFF/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"bench$RANDOM@example.com\",\"password\":\"correct horse battery staple\",\"display_name\":\"Bench\"}" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
[[ -n "$TOKEN" ]] || die "could not register a user: $(tail -n 20 "$WORK/uncached.log")"

echo "   list: GET /api/v1/courses?limit=20 ($(wc -c <<<"$list_json") bytes)"
echo "   page: GET /api/v1/courses/$course_id ($(wc -c <"$WORK/page.json") bytes)"
echo

LIST="/api/v1/courses?limit=20"
PAGE="/api/v1/courses/$course_id"
for round in $(seq "$ROUNDS"); do
  measure "healthz.$round" "$BASE/healthz" "$pid"
  measure "list.$round" "$BASE$LIST" "$pid"
  measure "page.$round" "$BASE$PAGE" "$pid"
done
measure "list-nocache.1" "$BASE_OFF$LIST" "$pid_off"
measure "page-nocache.1" "$BASE_OFF$PAGE" "$pid_off"
measure "list-signedin.1" "$BASE_OFF$LIST" "$pid_off" -H "Authorization: Bearer $TOKEN"
measure "page-signedin.1" "$BASE_OFF$PAGE" "$pid_off" -H "Authorization: Bearer $TOKEN"
hits="$(curl -s "$BASE/metrics" | awk '/^lore_public_answers_hits_total/ {print $2}')"
misses="$(curl -s "$BASE/metrics" | awk '/^lore_public_answers_misses_total/ {print $2}')"

echo "== summary (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION; ratios against /healthz of the same round)"
header
for round in $(seq "$ROUNDS"); do
  row "healthz.$round" "healthz" "$round" "healthz.$round"
  row "list.$round" "list (cached)" "$round" "healthz.$round"
  row "page.$round" "page (cached)" "$round" "healthz.$round"
done
for target in list-nocache page-nocache list-signedin page-signedin; do
  row "$target.1" "$target" 1 "healthz.1"
done
echo
echo "public answer cache of the cached server: $hits hits, $misses misses"
for target in list page; do
  best=1
  for round in $(seq "$ROUNDS"); do
    if awk -v a="$(ratio "${RPS[$target.$round]}" "${RPS[healthz.$round]}")" \
      -v b="$(ratio "${RPS[$target.$best]}" "${RPS[healthz.$best]}")" 'BEGIN {exit !(a > b)}'; then
      best="$round"
    fi
  done
  r="$(ratio "${RPS[$target.$best]}" "${RPS[healthz.$best]}")"
  verdict="$(awk -v r="$r" -v p="${P99[$target.$best]}" 'BEGIN {print (r >= 0.8 && p <= 10) ? "met" : "NOT met"}')"
  echo "$target: best round $best: ${r} of /healthz, p99 ${P99[$target.$best]} ms — target (>= 0.8, p99 <= 10 ms) $verdict"
done
