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
#   ROUNDS           rounds of the three HTTP runs, interleaved                   (2)
#   WRK_THREADS      wrk -t                                                       (2)
#   CONNECTIONS      wrk -c                                                       (64)
#   SERVER_THREADS   reactor threads of both servers                             (2)
#   HOOK_BENCH_ARGS  extra arguments of lore_hook_bus_bench, e.g. --benchmark_filter=Ref
#   SKIP_HTTP=1      only the hook bus benchmark;  SKIP_HOOKS=1  only HTTP
#   WAIT_QUIET       wait up to this many seconds for a quiet machine (no cc1plus running,
#                    >= 90% idle) before measuring                               (0)
#
# Needs: wrk, curl, awk. Exits non-zero if a server does not start or answer.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

load_common_settings
HOOK_BENCH_ARGS="${HOOK_BENCH_ARGS:-}"
SKIP_HTTP="${SKIP_HTTP:-0}"
SKIP_HOOKS="${SKIP_HOOKS:-0}"
WAIT_QUIET="${WAIT_QUIET:-0}"

LORE_BIN="$BUILD_DIR/kernel/lore"
BASELINE_BIN="$BUILD_DIR/bench/lore_bench_pistache_hello"
HOOK_BENCH_BIN="$BUILD_DIR/bench/lore_hook_bus_bench"
HELLO_PLUGIN="$BUILD_DIR/plugins/hello/libhello.so"


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
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the machine ---------------------------------------------------------------------------------


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
    sleep 28
  done
fi

cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"
idle="$(idle_percent)"
compilers="$(count_compilers)"
quiet=yes
[[ "${compilers:-0}" == 0 && "$idle" -ge 90 ]] || quiet="NO — figures will be noisy"
echo "== Lore benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
cache="$BUILD_DIR/CMakeCache.txt"
compiler="$(awk -F= '/^CMAKE_CXX_COMPILER:/ {print $2}' "$cache" 2>/dev/null || true)"
build_type="$(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' "$cache" 2>/dev/null || true)"
echo "   build:   $BUILD_DIR (${build_type:-?}, $("${compiler:-c++}" --version 2>/dev/null | head -n1))"
echo "   machine: $(nproc) cores, ${cpu_model:-unknown CPU}, $(uname -sr)"
echo "   before:  ${idle}% idle over 2 s, ${compilers:-0} cc1plus running, load average $(cut -d' ' -f1-3 /proc/loadavg); quiet: $quiet"
echo

# --- HTTP --------------------------------------------------------------------------------------


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

  # Rounds interleave the three targets, so a burst of load from elsewhere hits all of them.
  targets=(baseline healthz hello)
  declare -A LABEL=([baseline]="pistache baseline /" [healthz]="lore /healthz"
    [hello]="lore /api/v1/hello")
  declare -A URL=([baseline]="http://127.0.0.1:$baseline_port/"
    [healthz]="http://127.0.0.1:$lore_port/healthz"
    [hello]="http://127.0.0.1:$lore_port/api/v1/hello")
  declare -A PID_OF=([baseline]="${PIDS[0]}" [healthz]="${PIDS[1]}" [hello]="${PIDS[1]}")
  for round in $(seq "$ROUNDS"); do
    for target in "${targets[@]}"; do
      measure "$target.$round" "${URL[$target]}" "${PID_OF[$target]}"
    done
  done

  # Best of the rounds: the one with the most requests/s, the least disturbed.
  for target in "${targets[@]}"; do
    best=1
    for round in $(seq "$ROUNDS"); do
      if awk -v a="${RPS[$target.$round]}" -v b="${RPS[$target.$best]}" 'BEGIN {exit !(a > b)}'; then
        best="$round"
      fi
    done
    for field in RPS P50 P99 CPU_US ERRORS BUSY; do
      declare -n table="$field"
      table[$target.best]="${table[$target.$best]}"
      unset -n table
    done
    BUSY[$target.best]="round $best${BUSY[$target.best]:+; }${BUSY[$target.best]}"
  done

  echo "== HTTP summary (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS round(s))"
  header
  for round in $(seq "$ROUNDS"); do
    for target in "${targets[@]}"; do row "$target.$round" "${LABEL[$target]}" "$round" "baseline.$round"; done
  done
  for target in "${targets[@]}"; do row "$target.best" "${LABEL[$target]}" best baseline.best; done
  echo "rps ratio: requests/s / the baseline's (same round; 'best' rows: best of the rounds each);"
  echo "the target is >= 0.9. us/req: CPU time (user + system) the server process used during the"
  echo "run / requests served (tick 1/$CLK_TCK s); cpu ratio: that / the baseline's."
  echo "NOTE: wrk and the servers share the same $(nproc) cores."
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

echo
echo "== after: $(count_compilers) cc1plus running, load average $(cut -d' ' -f1-3 /proc/loadavg)"
