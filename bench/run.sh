#!/usr/bin/env bash
# Lore benchmarks: HTTP throughput against a bare Pistache server, and hook bus dispatch cost.
#
#   bench/run.sh                        uses ./build (what `make bench` builds)
#   BUILD_DIR=build-bench bench/run.sh  another build directory
#
# Environment:
#   BUILD_DIR        build directory, relative to the repository or absolute   (build)
#   DURATION         wrk duration of each measured run                          (10s)
#   WARMUP           wrk warm-up before each measured run, 0 to skip             (2s)
#   WRK_THREADS      wrk -t                                                       (2)
#   CONNECTIONS      wrk -c                                                       (64)
#   SERVER_THREADS   reactor threads of both servers                             (2)
#   HOOK_BENCH_ARGS  extra arguments of lore_hook_bus_bench, e.g. --benchmark_filter=Ref
#   SKIP_HTTP=1      only the hook bus benchmark;  SKIP_HOOKS=1  only HTTP
#
# Needs: wrk, curl, awk. Exits non-zero if a server does not start or answer.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUILD_DIR="${BUILD_DIR:-build}"
[[ "$BUILD_DIR" == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
WRK_THREADS="${WRK_THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
SERVER_THREADS="${SERVER_THREADS:-2}"
HOOK_BENCH_ARGS="${HOOK_BENCH_ARGS:-}"
SKIP_HTTP="${SKIP_HTTP:-0}"
SKIP_HOOKS="${SKIP_HOOKS:-0}"

LORE_BIN="$BUILD_DIR/kernel/lore"
BASELINE_BIN="$BUILD_DIR/bench/lore_bench_pistache_hello"
HOOK_BENCH_BIN="$BUILD_DIR/bench/lore_hook_bus_bench"
HELLO_PLUGIN="$BUILD_DIR/plugins/hello/libhello.so"

die() {
  echo "bench: $*" >&2
  exit 1
}

# --- preconditions -------------------------------------------------------------------------------

for tool in wrk curl awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install $tool)"
done
need=()
if [[ "$SKIP_HTTP" != 1 ]]; then need+=("$LORE_BIN" "$BASELINE_BIN" "$HELLO_PLUGIN"); fi
if [[ "$SKIP_HOOKS" != 1 ]]; then need+=("$HOOK_BENCH_BIN"); fi
for file in "${need[@]}"; do
  [[ -e "$file" ]] || die "$file is missing: build it first (make build, or cmake --build $BUILD_DIR;
the benchmarks need Google Benchmark: apt-get install libbenchmark-dev)"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/lore-bench.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # Give each server 5 s to stop, then kill it.
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the machine ---------------------------------------------------------------------------------

cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"
compilers="$(pgrep -c cc1plus 2>/dev/null || true)"
echo "== Lore benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "   build:     $BUILD_DIR"
echo "   machine:   $(nproc) cores, ${cpu_model:-unknown CPU}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   compilers: ${compilers:-0} cc1plus running$([[ "${compilers:-0}" -gt 0 ]] && echo ' — NOT QUIET, figures will be noisy')"
echo

# --- HTTP --------------------------------------------------------------------------------------

free_port() {
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 40000))
    # Nothing answers a connection: nobody listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

# A process that exited stays a zombie until waited for, and kill -0 still finds it.
alive() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z ]]
}

# wait_ready NAME PID URL LOG: waits up to 20 s for URL to answer 200.
wait_ready() {
  local name="$1" pid="$2" url="$3" log="$4"
  for _ in $(seq 200); do
    if ! alive "$pid"; then
      echo "bench: $name exited before answering; its output:" >&2
      tail -n 30 "$log" >&2 || true
      exit 1
    fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)" == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  echo "bench: $name did not answer $url within 20 s; its output:" >&2
  tail -n 30 "$log" >&2 || true
  exit 1
}

# Milliseconds from a wrk duration such as 812.00us, 1.25ms or 1.02s.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000
    else if (v ~ /ms$/) n = n
    else if (v ~ /m$/) n *= 60000
    else if (v ~ /s$/) n *= 1000
    printf "%.3f", n
  }'
}

declare -A RPS P50 P99 ERRORS
# measure KEY URL: wrk against URL, results under KEY.
measure() {
  local key="$1" url="$2" out="$WORK/wrk-$1.txt"
  if [[ "$WARMUP" != 0 ]]; then
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
  fi
  echo "-- wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency $url"
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" | tee "$out"
  echo
  RPS[$key]="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  P50[$key]="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
  P99[$key]="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
  local non2xx socket
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
  socket="$(awk '/Socket errors:/ {sub(/.*Socket errors: /, ""); print}' "$out")"
  ERRORS[$key]="${non2xx:+non-2xx: $non2xx }${socket:+socket errors: $socket}"
  [[ -n "${RPS[$key]}" ]] || die "could not read wrk's output for $url"
}

if [[ "$SKIP_HTTP" != 1 ]]; then
  baseline_port="$(free_port)"
  "$BASELINE_BIN" "$baseline_port" "$SERVER_THREADS" >"$WORK/baseline.log" 2>&1 &
  PIDS+=("$!")
  wait_ready "the Pistache baseline" "$!" "http://127.0.0.1:$baseline_port/" "$WORK/baseline.log"

  lore_port="$(free_port)"
  [[ "$lore_port" != "$baseline_port" ]] || lore_port="$(free_port)"
  "$LORE_BIN" serve -c config/lore.yaml \
    --set server.host=127.0.0.1 \
    --set "server.port=$lore_port" \
    --set log.access=false \
    --set "server.threads=$SERVER_THREADS" \
    --set "plugin_paths=[\"$BUILD_DIR/plugins\"]" >"$WORK/lore.log" 2>&1 &
  PIDS+=("$!")
  wait_ready "lore" "$!" "http://127.0.0.1:$lore_port/healthz" "$WORK/lore.log"
  hello_status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lore_port/api/v1/hello")"
  if [[ "$hello_status" != 200 ]]; then
    echo "bench: lore answers /api/v1/hello with $hello_status (is the hello plugin built?)" >&2
    tail -n 30 "$WORK/lore.log" >&2
    exit 1
  fi

  echo "== HTTP: baseline on :$baseline_port (pid ${PIDS[0]}), lore on :$lore_port (pid ${PIDS[1]})"
  echo "   NOTE: wrk ($WRK_THREADS threads) and the server ($SERVER_THREADS reactor threads) share the"
  echo "   same $(nproc) cores, so absolute figures are far below what a separate load generator would"
  echo "   see; compare the ratios. Both servers run during the whole run; only one is loaded at a time."
  echo
  echo "-- one response of each (headers), to compare what is sent"
  for url in "http://127.0.0.1:$baseline_port/" "http://127.0.0.1:$lore_port/healthz" \
    "http://127.0.0.1:$lore_port/api/v1/hello"; do
    echo "$url"
    curl -s -i "$url" | tr -d '\r' | sed 's/^/    /'
    echo
  done
  echo

  measure baseline "http://127.0.0.1:$baseline_port/"
  measure healthz "http://127.0.0.1:$lore_port/healthz"
  measure hello "http://127.0.0.1:$lore_port/api/v1/hello"

  echo "== HTTP summary (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION; latency in ms)"
  printf '%-28s %12s %9s %9s %12s %s\n' target "requests/s" p50 p99 "rps ratio" notes
  row() {
    local key="$1" label="$2" ratio
    ratio="$(awk -v a="${RPS[$key]}" -v b="${RPS[baseline]}" 'BEGIN {printf "%.3f", a / b}')"
    printf '%-28s %12.0f %9.3f %9.3f %12s %s\n' "$label" "${RPS[$key]}" "${P50[$key]}" \
      "${P99[$key]}" "$ratio" "${ERRORS[$key]}"
  }
  row baseline "pistache baseline /"
  row healthz "lore /healthz"
  row hello "lore /api/v1/hello"
  echo "(rps ratio = requests/s / baseline's; the target is >= 0.9)"
  echo
fi

# --- hook bus ------------------------------------------------------------------------------------

if [[ "$SKIP_HOOKS" != 1 ]]; then
  echo "== Hook bus: $HOOK_BENCH_BIN $HOOK_BENCH_ARGS"
  # shellcheck disable=SC2086  # HOOK_BENCH_ARGS is a list of arguments
  "$HOOK_BENCH_BIN" $HOOK_BENCH_ARGS 2>&1 | tee "$WORK/hooks.txt"
  echo
  echo "== Hook bus summary: ns per listener call (10 listeners; target <= 50 ns through the bus)"
  awk '
    /^BM_/ {
      name = $1
      ns = ""
      for (i = 2; i <= NF; i++)
        if ($i ~ /^ns_per_listener=/) { split($i, kv, "="); ns = kv[2] }
      if (ns == "") next
      sub(/\/real_time/, "", name)
      names[++n] = name
      value[name] = ns
    }
    END {
      printf "%-46s %10s %10s %10s\n", "benchmark", "ns/listen", "baseline", "x baseline"
      for (i = 1; i <= n; i++) {
        name = names[i]
        base = name
        sub(/_(Ref_TimedEvery|Ref_Untimed|Ref|ByName)\//, "_Baseline/", base)
        if (name == base || !(base in value)) {
          printf "%-46s %10.2f\n", name, value[name]
          continue
        }
        printf "%-46s %10.2f %10.2f %10.2f\n", name, value[name], value[base],
               value[name] / value[base]
      }
    }' "$WORK/hooks.txt"
  echo "(threads:2 rows: what each of two threads firing the same hooks at once sees)"
fi
