#!/usr/bin/env bash
# Install the Debian packages Lore needs.
#   scripts/install-deps.sh run    build + run dependencies
#   scripts/install-deps.sh test   run dependencies + test servers and tools
# Only missing packages are installed; `apt-get update` runs only if needed.
set -euo pipefail

# --- package sets (extend here) ---------------------------------------------
RUN_PACKAGES=(
  build-essential
  cmake
  pkg-config
  git
  libpistache-dev
  libboost-dev
  libboost-filesystem-dev
  libyaml-cpp-dev
  libsoci-dev
  default-libmysqlclient-dev
  libsqlite3-dev
  libhiredis-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  nlohmann-json3-dev
  libspdlog-dev
  libfmt-dev
  libcli11-dev
  libsodium-dev
  libcmark-dev
  libcurl4-openssl-dev
  libssl-dev
  curl
)

TEST_PACKAGES=(
  "${RUN_PACKAGES[@]}"
  mariadb-server
  mariadb-client
  redis-server
  redis-tools
  wrk
  clang-format
  python3
)
# -----------------------------------------------------------------------------

usage() {
  echo "usage: $0 run|test" >&2
  exit 2
}

[[ $# -eq 1 ]] || usage
case "$1" in
  run) wanted=("${RUN_PACKAGES[@]}") ;;
  test) wanted=("${TEST_PACKAGES[@]}") ;;
  *) usage ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps ($1): all build dependencies present"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) but not root and sudo is unavailable" >&2
    exit 1
  fi
fi

echo "install-deps ($1): installing ${missing[*]}"
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps ($1): installed ${missing[*]}"
