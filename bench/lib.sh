#!/usr/bin/env bash
# Shared by the benchmark scripts: process and port helpers, and wrk measurements with their
# summary rows. Source it; it defines functions and the result tables only. measure() reads
# WORK, WRK_THREADS, CONNECTIONS, DURATION and WARMUP from the sourcing script.

# shellcheck disable=SC2034  # the result tables are read by the scripts that source this

# Stops the servers the script started (PIDS: TERM, 5 s, then KILL) and removes WORK.
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}

# The settings both scripts share, from the environment or their defaults; BUILD_DIR absolute.
load_common_settings() {
  BUILD_DIR="${BUILD_DIR:-build}"
  [[ "$BUILD_DIR" == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
  DURATION="${DURATION:-10s}"
  WARMUP="${WARMUP:-2s}"
  ROUNDS="${ROUNDS:-2}"
  WRK_THREADS="${WRK_THREADS:-2}"
  CONNECTIONS="${CONNECTIONS:-64}"
  SERVER_THREADS="${SERVER_THREADS:-2}"
}

die() {
  echo "bench: $*" >&2
  exit 1
}

# need_built FILE...: stops with the first build output that is missing.
need_built() {
  local file
  for file in "$@"; do
    [[ -e "$file" ]] || die "$file is missing: build it first (make bench builds everything; the benchmarks need libbenchmark-dev)"
  done
}

# need_tools TOOL...: stops with the first command that is not installed.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install $tool)"
  done
}

# start_work NAME: a scratch folder in WORK; on exit the servers in PIDS stop and it goes.
start_work() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/lore-bench-$1.XXXXXX")"
  PIDS=()
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Percentage of CPU time idle over the next 2 seconds, all cores together.
idle_percent() {
  local before after
  before="$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)"
  sleep 2
  after="$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)"
  awk -v b="$before" -v a="$after" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    printf "%d", (y[2] > x[2] ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 100)
  }'
}
count_compilers() {
  pgrep -c cc1plus 2>/dev/null || true
}

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

# CPU time (user + system) a process has used so far, in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}
CLK_TCK="$(getconf CLK_TCK)"

declare -A RPS P50 P99 ERRORS CPU_US BUSY
# measure KEY URL PID [WRK_ARGS...]: wrk against URL served by PID, results under KEY; extra
# arguments go to wrk (e.g. -H 'Authorization: Bearer ...' or -s script.lua).
measure() {
  local key="$1" url="$2" pid="$3" out="$WORK/wrk-$1.txt" ticks_before ticks_after requests
  local compilers_before compilers_after
  shift 3
  if [[ "$WARMUP" != 0 ]]; then
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null
  fi
  echo "-- [$key] wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency $* $url"
  compilers_before="$(count_compilers)"
  ticks_before="$(cpu_ticks "$pid")"
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" | tee "$out"
  ticks_after="$(cpu_ticks "$pid")"
  compilers_after="$(count_compilers)"
  echo
  RPS[$key]="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  [[ -n "${RPS[$key]}" ]] || die "could not read wrk's output for $url"
  requests="$(awk '/requests in/ {print $1}' "$out")"
  CPU_US[$key]="$(awk -v t="$((ticks_after - ticks_before))" -v hz="$CLK_TCK" -v n="$requests" \
    'BEGIN {printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}')"
  P50[$key]="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
  P99[$key]="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
  local non2xx socket
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
  socket="$(awk '/Socket errors:/ {sub(/.*Socket errors: /, ""); print}' "$out")"
  ERRORS[$key]="${non2xx:+non-2xx: $non2xx }${socket:+socket errors: $socket}"
  BUSY[$key]=""
  if [[ "${compilers_before:-0}" != 0 || "${compilers_after:-0}" != 0 ]]; then
    BUSY[$key]="cc1plus running (${compilers_before:-0} before, ${compilers_after:-0} after) "
  fi
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'
}

# row KEY LABEL ROUND_OR_BEST BASELINE_KEY
row() {
  local key="$1" label="$2" round="$3" base="$4"
  printf '%-20s %5s %11.0f %8.3f %8.3f %9s %8s %9s %s\n' "$label" "$round" "${RPS[$key]}" \
    "${P50[$key]}" "${P99[$key]}" "$(ratio "${RPS[$key]}" "${RPS[$base]}")" "${CPU_US[$key]}" \
    "$(ratio "${CPU_US[$key]}" "${CPU_US[$base]}")" "${BUSY[$key]}${ERRORS[$key]}"
}
header() {
  printf '%-20s %5s %11s %8s %8s %9s %8s %9s %s\n' target round "requests/s" "p50 ms" "p99 ms" \
    "rps ratio" "us/req" "cpu ratio" notes
}
