#!/usr/bin/env bash
# Run a command with a throwaway MariaDB and Redis on loopback.
#
#   scripts/with-test-servers.sh COMMAND [ARGS...]
#
# Both servers listen on 127.0.0.1 on free (non-default) ports, keep their data
# in a fresh temporary directory, and are always stopped (and the directory
# removed) when this script exits. The command sees:
#
#   LORE_TEST_MYSQL_URL     mysql://lore:lore@127.0.0.1:PORT/lore_test
#   LORE_TEST_MYSQL_PORT    TCP port of MariaDB
#   LORE_TEST_MYSQL_SOCKET  unix socket of MariaDB
#   LORE_TEST_REDIS_URL     redis://127.0.0.1:PORT/0
#   LORE_TEST_REDIS_PORT    TCP port of Redis
#
# User lore/lore has all privileges on lore_test.* and on any database named
# lore_test_* (tests may create and drop per-test schemas).
# The script exits with the command's exit code.

# Functions only called from traps look unreachable to shellcheck.
# shellcheck disable=SC2317
set -euo pipefail

readonly STARTUP_TIMEOUT=60   # seconds to wait for each server
readonly SHUTDOWN_TIMEOUT=30  # seconds before a server is killed hard

log() { echo "with-test-servers: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

[[ $# -ge 1 ]] || {
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
}

for tool in mariadb-install-db mariadbd mariadb mariadb-admin redis-server redis-cli; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' not found; run scripts/install-deps.sh test"
done

# ---------------------------------------------------------------------------
# State and cleanup
# ---------------------------------------------------------------------------
TMP=""
MYSQL_PID=""
REDIS_PID=""
CHILD_PID=""

# True if the process exists and is not a zombie.
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

# stop_pid PID NAME: SIGTERM, wait up to SHUTDOWN_TIMEOUT, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 i
  [[ -n "$pid" ]] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < SHUTDOWN_TIMEOUT * 10; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "$name (pid $pid) did not stop in ${SHUTDOWN_TIMEOUT}s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  wait "$pid" 2>/dev/null || true # reap if it is our child
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  if [[ -n "$CHILD_PID" ]] && alive "$CHILD_PID"; then
    kill -TERM "$CHILD_PID" 2>/dev/null
    wait "$CHILD_PID" 2>/dev/null
  fi
  stop_pid "$REDIS_PID" redis-server
  stop_pid "$MYSQL_PID" mariadbd
  [[ -n "$TMP" && -d "$TMP" ]] && rm -rf -- "$TMP"
  exit "$rc"
}

on_signal() {
  local sig=$1 num=$2
  log "caught SIG$sig, shutting down"
  if [[ -n "$CHILD_PID" ]] && alive "$CHILD_PID"; then
    kill "-$sig" "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  exit $((128 + num)) # runs cleanup via the EXIT trap
}

trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

# Unix socket paths are limited to ~107 bytes; fall back to /tmp if needed.
base=${TMPDIR:-/tmp}
((${#base} <= 60)) || base=/tmp
TMP=$(mktemp -d "$base/lore-test.XXXXXX")

# ---------------------------------------------------------------------------
# Free ports
# ---------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

USED_PORTS=" 3306 6379 "
free_port() {
  local p i
  if command -v python3 >/dev/null 2>&1; then
    for ((i = 0; i < 20; i++)); do
      p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null) || break
      if [[ "$USED_PORTS" != *" $p "* ]] && ! port_in_use "$p"; then
        USED_PORTS+="$p "
        echo "$p"
        return 0
      fi
    done
  fi
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 30000))
    if [[ "$USED_PORTS" != *" $p "* ]] && ! port_in_use "$p"; then
      USED_PORTS+="$p "
      echo "$p"
      return 0
    fi
  done
  die "could not find a free TCP port"
}

show_log() {
  local file=$1
  if [[ -s "$file" ]]; then
    log "---- last lines of $file ----"
    tail -n 40 "$file" >&2
    log "-----------------------------"
  fi
}

# ---------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------
MYSQL_DATA=$TMP/mysql
MYSQL_SOCKET=$TMP/mysql.sock
MYSQL_LOG=$TMP/mysql.err
RUN_USER=$(id -un)

mysql_root() {
  mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot --batch --skip-column-names
}

if ! mariadb-install-db --no-defaults --auth-root-authentication-method=normal \
  --datadir="$MYSQL_DATA" --user="$RUN_USER" --skip-test-db --skip-name-resolve \
  >"$TMP/mysql-install.log" 2>&1; then
  show_log "$TMP/mysql-install.log"
  die "mariadb-install-db failed"
fi

start_mysql() {
  local i
  : >"$MYSQL_LOG"
  # As root, mariadbd refuses to start unless told to run as root (--user=root).
  mariadbd --no-defaults \
    --datadir="$MYSQL_DATA" \
    --socket="$MYSQL_SOCKET" \
    --port="$MYSQL_PORT" \
    --bind-address=127.0.0.1 \
    --user="$RUN_USER" \
    --pid-file="$TMP/mysql.pid" \
    --log-error="$MYSQL_LOG" \
    --tmpdir="$TMP" \
    --skip-name-resolve \
    --skip-log-bin \
    --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci \
    --innodb-flush-log-at-trx-commit=2 \
    --innodb-doublewrite=0 \
    --max-connections=500 \
    </dev/null >>"$MYSQL_LOG" 2>&1 &
  MYSQL_PID=$!
  for ((i = 0; i < STARTUP_TIMEOUT * 5; i++)); do
    if mariadb-admin --no-defaults --socket="$MYSQL_SOCKET" -uroot --connect-timeout=2 \
      ping >/dev/null 2>&1; then
      return 0
    fi
    alive "$MYSQL_PID" || break
    sleep 0.2
  done
  if alive "$MYSQL_PID"; then
    show_log "$MYSQL_LOG"
    die "MariaDB did not answer within ${STARTUP_TIMEOUT}s (port $MYSQL_PORT)"
  fi
  wait "$MYSQL_PID" 2>/dev/null || true
  MYSQL_PID=""
  return 1
}

started=""
for attempt in 1 2 3; do
  MYSQL_PORT=$(free_port)
  if start_mysql; then
    started=1
    break
  fi
  log "MariaDB exited during startup (attempt $attempt, port $MYSQL_PORT)"
  # Retry only when the port was grabbed by someone else in the meantime.
  grep -qiE 'bind on tcp/ip port|address already in use' "$MYSQL_LOG" || break
done
if [[ -z "$started" ]]; then
  show_log "$MYSQL_LOG"
  die "MariaDB failed to start"
fi

if ! mysql_root >"$TMP/mysql-setup.log" 2>&1 <<'SQL'; then
-- Only root via the private unix socket; no anonymous or network root users.
DROP USER IF EXISTS ''@'localhost';
DROP USER IF EXISTS 'root'@'127.0.0.1';
DROP USER IF EXISTS 'root'@'::1';
CREATE DATABASE lore_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'lore'@'127.0.0.1' IDENTIFIED BY 'lore';
CREATE USER 'lore'@'localhost' IDENTIFIED BY 'lore';
GRANT ALL PRIVILEGES ON `lore_test`.* TO 'lore'@'127.0.0.1', 'lore'@'localhost';
GRANT ALL PRIVILEGES ON `lore\_test\_%`.* TO 'lore'@'127.0.0.1', 'lore'@'localhost';
FLUSH PRIVILEGES;
SQL
  show_log "$TMP/mysql-setup.log"
  show_log "$MYSQL_LOG"
  die "could not create the lore_test database and user"
fi

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------
REDIS_LOG=$TMP/redis.log
REDIS_PIDFILE=$TMP/redis.pid

start_redis() {
  local i
  : >"$REDIS_LOG"
  # shellcheck disable=SC2094 # redis appends to its log; early errors go to stderr
  # Not --daemonize: as our own child it is reaped by us, so no zombie is left
  # behind when PID 1 (e.g. in a container) does not reap orphans.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" --dir "$TMP" \
    </dev/null >>"$REDIS_LOG" 2>&1 &
  REDIS_PID=$!
  for ((i = 0; i < STARTUP_TIMEOUT * 5; i++)); do
    if [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; then
      return 0
    fi
    alive "$REDIS_PID" || break
    sleep 0.2
  done
  if alive "$REDIS_PID"; then
    show_log "$REDIS_LOG"
    die "Redis did not answer within ${STARTUP_TIMEOUT}s (port $REDIS_PORT)"
  fi
  wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=""
  return 1
}

started=""
for attempt in 1 2 3; do
  REDIS_PORT=$(free_port)
  if start_redis; then
    started=1
    break
  fi
  log "Redis exited during startup (attempt $attempt, port $REDIS_PORT)"
  grep -qiE 'address already in use' "$REDIS_LOG" || break
done
if [[ -z "$started" ]]; then
  show_log "$REDIS_LOG"
  die "Redis failed to start"
fi

# ---------------------------------------------------------------------------
# Run the command
# ---------------------------------------------------------------------------
export LORE_TEST_MYSQL_URL="mysql://lore:lore@127.0.0.1:${MYSQL_PORT}/lore_test"
export LORE_TEST_MYSQL_PORT=$MYSQL_PORT
export LORE_TEST_MYSQL_SOCKET=$MYSQL_SOCKET
export LORE_TEST_REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"
export LORE_TEST_REDIS_PORT=$REDIS_PORT

log "MariaDB on 127.0.0.1:$MYSQL_PORT, Redis on 127.0.0.1:$REDIS_PORT (data in $TMP)"

# Run in the background so signals reach our traps immediately; restore the
# default SIGINT/SIGQUIT handling that bash removes from background jobs and
# keep our stdin.
set +e
(
  trap - INT QUIT
  exec "$@"
) <&0 &
CHILD_PID=$!
wait "$CHILD_PID"
rc=$?
CHILD_PID=""
set -e
exit "$rc"
