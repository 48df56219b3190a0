#!/usr/bin/env bash
# Completed purchases per second, end to end, on MariaDB, next to the raw single-row commit rate
# of the same MariaDB measured in the same run with the same concurrency.
#
# The release `lore` binary serves on a fresh schema of a MariaDB, with Redis as its cache and
# the plugins auth-password, course-column and pay-sandbox (a known webhook_secret). Then
# lore_purchase_bench (bench/purchase_bench.cc):
#   1. registers BUYERS buyers through the API, and a creator (made with `lore admin
#      create-user`) creates and publishes COURSES paid column courses;
#   2. per round: CLIENTS threads run autocommit single-row INSERTs into an InnoDB table of the
#      same server for DURATION (commits/s), then CLIENTS threads buy for DURATION, each
#      purchase being POST /api/v1/orders (a fresh Idempotency-Key) followed by the
#      pay-sandbox webhook for that order, signed as pay-sandbox signs it (purchases/s);
#   3. checks in the database that every purchase it counted is fulfilled once, with one
#      entitlement, and that the ledger balances. It fails (exit 1) otherwise, or if any
#      purchase failed.
# Afterwards mariadb-slap runs the same kind of INSERT with the same concurrency, as a
# cross-check of the commit rate with a tool that is not ours.
#
#   bench/purchases.sh                        uses ./build (what `make bench` builds)
#   BUILD_DIR=build-bench DURATION=20s bench/purchases.sh
#
# Without LORE_TEST_MYSQL_URL and LORE_TEST_REDIS_URL it re-runs itself under
# scripts/with-test-servers.sh, which starts a throwaway MariaDB and Redis on loopback. (That
# MariaDB runs with innodb_flush_log_at_trx_commit=2 and no binary log: a commit is written to
# the OS but not fsynced. Both figures are measured on that same server, so their ratio holds;
# the absolute rates are those of a server configured that way.)
# Environment:
#   BUILD_DIR       build directory, relative to the repository or absolute        (build)
#   DURATION        length of each measured phase (commits, then purchases)         (10s)
#   WARMUP          commits, then purchases, before the first round; 0 to skip       (2s)
#   ROUNDS          rounds of the two phases                                         (2)
#   CLIENTS         concurrent clients in both phases                                (8)
#   BUYERS          buyers registered                                                (64)
#   COURSES         courses for sale; each buyer buys each course at most once     (1024)
#   SERVER_THREADS  lore's reactor threads (2);  WORKERS  its worker threads (16)
#   POOL_SIZE       lore's database connections                                      (8)
#   SLAP_QUERIES    INSERTs of the mariadb-slap cross-check, 0 to skip              (40000)
#   WAIT_QUIET      wait up to this many seconds for a quiet machine (no cc1plus running,
#                   >= 90% idle) before measuring                                     (0)
# Each phase that a compiler overlapped is marked DISTURBED (and "cc1plus running" in the
# summary); "everything else" in its CPU line is what other processes took of the cores.
# Needs: curl, awk, mariadb (and mariadb-slap for the cross-check).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ -z "${LORE_TEST_MYSQL_URL:-}" || -z "${LORE_TEST_REDIS_URL:-}" ]]; then
  exec scripts/with-test-servers.sh "$0" "$@"
fi
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

load_common_settings
CLIENTS="${CLIENTS:-8}"
BUYERS="${BUYERS:-64}"
COURSES="${COURSES:-1024}"
WORKERS="${WORKERS:-16}"
POOL_SIZE="${POOL_SIZE:-8}"
SLAP_QUERIES="${SLAP_QUERIES:-40000}"
WAIT_QUIET="${WAIT_QUIET:-0}"

LORE_BIN="$BUILD_DIR/kernel/lore"
BENCH_BIN="$BUILD_DIR/bench/lore_purchase_bench"
need_built "$LORE_BIN" "$BENCH_BIN" "$BUILD_DIR/plugins/auth-password/libauth-password.so" \
  "$BUILD_DIR/plugins/course-column/libcourse-column.so" \
  "$BUILD_DIR/plugins/pay-sandbox/libpay-sandbox.so"
need_tools curl awk mariadb
start_work purchases

# The throwaway MariaDB's user may create lore_test_* schemas.
sql() { mariadb --no-defaults -h127.0.0.1 -P"$LORE_TEST_MYSQL_PORT" -ulore -plore "$@"; }
schema="lore_test_bench_purchases_$$"
slap_schema="lore_test_bench_slap_$$"
# shellcheck disable=SC2317  # called from the EXIT trap
drop_schemas() {
  sql -e "DROP DATABASE IF EXISTS $schema; DROP DATABASE IF EXISTS $slap_schema" 2>/dev/null || true
}
trap 'drop_schemas; cleanup' EXIT

if [[ "$WAIT_QUIET" != 0 ]]; then
  deadline=$((SECONDS + WAIT_QUIET))
  while :; do
    idle="$(idle_percent)"
    compilers="$(count_compilers)"
    [[ "${compilers:-0}" == 0 && "$idle" -ge 90 ]] && break
    if ((SECONDS >= deadline)); then
      echo "bench: the machine is still busy after ${WAIT_QUIET}s; measuring anyway" >&2
      break
    fi
    echo "bench: waiting for a quiet machine (cc1plus: ${compilers:-0}, idle ${idle}%)" >&2
    sleep 8
  done
fi

echo "== Lore purchase benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
cache="$BUILD_DIR/CMakeCache.txt"
build_type="$(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' "$cache" 2>/dev/null || true)"
echo "   build:   $BUILD_DIR (${build_type:-?})"
echo "   machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
echo "   before:  $(idle_percent)% idle over 2 s, $(count_compilers) cc1plus running, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   MariaDB: ${LORE_TEST_MYSQL_URL/:lore@/:***@}   Redis: $LORE_TEST_REDIS_URL"
sql -N -e "SELECT CONCAT('   server:  ', VERSION(), ', innodb_flush_log_at_trx_commit=',
  @@innodb_flush_log_at_trx_commit, ', log_bin=', @@log_bin, ', innodb_buffer_pool_size=',
  @@innodb_buffer_pool_size DIV 1048576, ' MiB')"
echo

sql -e "CREATE DATABASE $schema CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
db_url="${LORE_TEST_MYSQL_URL%/*}/$schema"
secret="bench-webhook-secret-$$-$RANDOM$RANDOM"
port="$(free_port)"
cat >"$WORK/lore.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
  threads: $SERVER_THREADS
  workers: $WORKERS
database:
  url: "$db_url"
  pool_size: $POOL_SIZE
cache:
  url: "$LORE_TEST_REDIS_URL"
  key_prefix: "lore-bench-$$:"
log:
  level: warn
  access: false
plugin_paths: ["$BUILD_DIR/plugins"]
plugins:
  auth-password:
    settings:
      # Every buyer signs up from 127.0.0.1.
      registrations_per_ip_per_hour: 1000000
  course-column: {}
  pay-sandbox:
    settings:
      webhook_secret: "$secret"
      webhook_url: "http://127.0.0.1:$port/api/v1/payments/sandbox/webhook"
YAML
"$LORE_BIN" serve -c "$WORK/lore.yaml" >"$WORK/lore.log" 2>&1 &
LORE_PID="$!"
PIDS+=("$LORE_PID")
wait_ready "lore" "$LORE_PID" "http://127.0.0.1:$port/healthz" "$WORK/lore.log"

creator="$("$LORE_BIN" admin create-user -c "$WORK/lore.yaml" --email creator@bench.example.com \
  --role creator --token 2>&1)" || die "lore admin create-user failed: $creator"
token="$(sed -n 's/^ *"token": "\([^"]*\)".*/\1/p' <<<"$creator")"
[[ -n "$token" ]] || die "no token in the output of lore admin create-user: $creator"

echo "== lore (pid $LORE_PID) on :$port, database $schema; $CLIENTS clients, $DURATION per phase, $ROUNDS round(s)"
status=0
"$BENCH_BIN" --url="http://127.0.0.1:$port" --mysql="$db_url" --creator-token="$token" \
  --secret="$secret" --lore-pid="$LORE_PID" --clients="$CLIENTS" --buyers="$BUYERS" \
  --courses="$COURSES" --duration-ms="$(to_ms "$DURATION")" --warmup-ms="$(to_ms "$WARMUP")" \
  --rounds="$ROUNDS" || status=$?
if ! alive "$LORE_PID"; then
  echo "bench: lore exited during the run; its output:" >&2
  tail -n 30 "$WORK/lore.log" >&2
  status=1
fi
# What the server logged at warn and above (nothing, in a clean run).
if [[ -s "$WORK/lore.log" ]]; then
  echo
  echo "== lore's log (level warn), last lines:"
  tail -n 15 "$WORK/lore.log" | cut -c1-300
fi

if [[ "$SLAP_QUERIES" != 0 ]] && command -v mariadb-slap >/dev/null; then
  echo
  echo "== Cross-check: mariadb-slap, $SLAP_QUERIES autocommit single-row INSERTs by $CLIENTS clients"
  # mariadb-slap creates the schema and the table, and drops them afterwards.
  mariadb-slap --no-defaults -h127.0.0.1 -P"$LORE_TEST_MYSQL_PORT" -ulore -plore \
    --create-schema="$slap_schema" \
    --create="CREATE TABLE bench_commits (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, client INT NOT NULL, n BIGINT NOT NULL, at_ms BIGINT NOT NULL, note VARCHAR(64) NOT NULL) ENGINE=InnoDB" \
    --query="INSERT INTO bench_commits (client, n, at_ms, note) VALUES (1, 2, 3, 'a single-row autocommit insert')" \
    --concurrency="$CLIENTS" --number-of-queries="$SLAP_QUERIES" --iterations=1 \
    2>&1 | tee "$WORK/slap.txt"
  awk -v n="$SLAP_QUERIES" '/Average number of seconds to run all queries/ {
    printf "   mariadb-slap: %.1f commits/s\n", ($(NF - 1) > 0 ? n / $(NF - 1) : 0) }' "$WORK/slap.txt"
fi

echo
echo "== after: $(count_compilers) cc1plus running, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
