#!/usr/bin/env bash
# Storage and cache benchmarks, against real servers started for the run:
#   1. cache get/set, in-process and Redis, each against its floor (lore_cache_bench);
#   2. HTTP: the hello plugin's GET /api/v1/hello/visits?limit=20 (20 rows from MariaDB) served
#      through the cache vs the same endpoint with the cache disabled, next to /healthz, all in
#      one wrk run on the same machine.
#
#   bench/storage.sh                        uses ./build (what `make bench` builds)
#   BUILD_DIR=build-bench bench/storage.sh
#
# Without LORE_TEST_MYSQL_URL and LORE_TEST_REDIS_URL it re-runs itself under
# scripts/with-test-servers.sh, which starts a throwaway MariaDB and Redis on loopback.
# Environment: BUILD_DIR, DURATION (10s), WARMUP (2s), ROUNDS (2), WRK_THREADS (2),
# CONNECTIONS (64), SERVER_THREADS (2), WORKERS (16), POOL_SIZE (8), CACHE_BENCH_ARGS,
# SKIP_CACHE=1, SKIP_HTTP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ -z "${LORE_TEST_MYSQL_URL:-}" || -z "${LORE_TEST_REDIS_URL:-}" ]]; then
  exec scripts/with-test-servers.sh "$0" "$@"
fi
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

load_common_settings
WORKERS="${WORKERS:-16}"
POOL_SIZE="${POOL_SIZE:-8}"
CACHE_BENCH_ARGS="${CACHE_BENCH_ARGS:-}"
SKIP_CACHE="${SKIP_CACHE:-0}"
SKIP_HTTP="${SKIP_HTTP:-0}"

LORE_BIN="$BUILD_DIR/kernel/lore"
CACHE_BENCH_BIN="$BUILD_DIR/bench/lore_cache_bench"
need_built "$LORE_BIN" "$CACHE_BENCH_BIN" "$BUILD_DIR/plugins/hello/libhello.so"
need_tools wrk curl awk
start_work storage

echo "== Lore storage benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "   machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
echo "   idle before: $(idle_percent)%, cc1plus running: $(count_compilers)"
echo "   MariaDB: ${LORE_TEST_MYSQL_URL/:lore@/:***@}   Redis: $LORE_TEST_REDIS_URL"
echo

if [[ "$SKIP_CACHE" != 1 ]]; then
  echo "== Cache: $CACHE_BENCH_BIN $CACHE_BENCH_ARGS"
  # shellcheck disable=SC2086  # a list of arguments
  LORE_BENCH_REDIS_URL="$LORE_TEST_REDIS_URL" "$CACHE_BENCH_BIN" $CACHE_BENCH_ARGS \
    --benchmark_counters_tabular=true 2>&1 | tee "$WORK/cache.txt"
  echo
  echo "== Cache summary: ns per operation, and x the floor measured in the same run"
  awk '
    /^BM_/ && $3 == "ns" {
      name = $1; sub(/\/real_time/, "", name)
      names[++n] = name; value[name] = $2
    }
    END {
      printf "%-40s %12s %12s %10s\n", "benchmark", "ns/op", "floor ns/op", "x floor"
      for (i = 1; i <= n; i++) {
        name = names[i]; base = name
        sub(/BM_Memory/, "BM_MapBaseline", base); sub(/BM_Redis/, "BM_HiredisBaseline", base)
        if (base == name || !(base in value)) continue
        printf "%-40s %12.0f %12.0f %10.2f\n", name, value[name], value[base], value[name] / value[base]
      }
    }' "$WORK/cache.txt"
  echo "(MapBaseline: a mutex-guarded unordered_map; HiredisBaseline: one raw hiredis context.)"
  echo
fi

if [[ "$SKIP_HTTP" != 1 ]]; then
  # The throwaway MariaDB's user may create lore_test_* schemas.
  schema="lore_test_bench_$$"
  base_url="${LORE_TEST_MYSQL_URL%/*}"
  mariadb --no-defaults -h127.0.0.1 -P"$LORE_TEST_MYSQL_PORT" -ulore -plore \
    -e "CREATE DATABASE $schema CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  db_url="$base_url/$schema"

  start_lore() {  # start_lore NAME TTL_MS → sets PORT_<NAME>, PID_<NAME>
    local name="$1" ttl="$2" port
    port="$(free_port)"
    "$LORE_BIN" serve -c config/lore.yaml \
      --set server.host=127.0.0.1 --set "server.port=$port" \
      --set "server.threads=$SERVER_THREADS" --set "server.workers=$WORKERS" \
      --set log.access=false --set log.level=warn \
      --set "database.url=\"$db_url\"" --set "database.pool_size=$POOL_SIZE" \
      --set "cache.url=\"memory://\"" \
      --set "plugin_paths=[\"$BUILD_DIR/plugins\"]" \
      --set "plugins.hello.settings.visits_cache_ttl_ms=$ttl" >"$WORK/lore-$name.log" 2>&1 &
    PIDS+=("$!")
    wait_ready "lore ($name)" "$!" "http://127.0.0.1:$port/healthz" "$WORK/lore-$name.log"
    printf -v "PORT_$name" '%s' "$port"
    printf -v "PID_$name" '%s' "$!"
  }
  start_lore cached 60000
  start_lore uncached 0
  for i in $(seq 1 40); do
    for _ in $(seq 1 $(((i % 5) + 1))); do
      curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT_cached/api/v1/hello/visits" \
        -d "{\"name\":\"learner-$i\"}"
    done
  done
  rows="$(curl -s "http://127.0.0.1:$PORT_uncached/api/v1/hello/visits?limit=20" | grep -o '"name"' | wc -l)"
  [[ "$rows" == 20 ]] || die "expected 20 visitors in the list, got $rows"

  echo "== HTTP on MariaDB: the same list endpoint cached (ttl 60 s) and uncached (ttl 0), and"
  echo "   /healthz, all on this machine in this run; wrk and the servers share $(nproc) cores."
  targets=(healthz cached uncached)
  declare -A LABEL=([healthz]="lore /healthz" [cached]="visits cached" [uncached]="visits uncached")
  declare -A URL=([healthz]="http://127.0.0.1:$PORT_cached/healthz"
    [cached]="http://127.0.0.1:$PORT_cached/api/v1/hello/visits?limit=20"
    [uncached]="http://127.0.0.1:$PORT_uncached/api/v1/hello/visits?limit=20")
  declare -A PID_OF=([healthz]="$PID_cached" [cached]="$PID_cached" [uncached]="$PID_uncached")
  for round in $(seq "$ROUNDS"); do
    for target in "${targets[@]}"; do measure "$target.$round" "${URL[$target]}" "${PID_OF[$target]}"; done
  done
  echo "== HTTP summary (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION; ratios against /healthz of the same round)"
  header
  for round in $(seq "$ROUNDS"); do
    for target in "${targets[@]}"; do row "$target.$round" "${LABEL[$target]}" "$round" "healthz.$round"; done
    echo "   cached / uncached requests/s, round $round: $(ratio "${RPS[cached.$round]}" "${RPS[uncached.$round]}")"
  done
  mariadb --no-defaults -h127.0.0.1 -P"$LORE_TEST_MYSQL_PORT" -ulore -plore -e "DROP DATABASE $schema"
fi
