#!/usr/bin/env bash
# Installs what bulwark needs to build, test and benchmark on Debian 12 (run as root).
# Idempotent and quick when everything is already there: apt is touched only for what is missing.
set -euo pipefail

build_packages=(
  cmake ninja-build ccache g++ pkg-config
  libasio-dev libssl-dev libnghttp2-dev libyaml-cpp-dev libre2-dev
  libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libxxhash-dev libc-ares-dev
  zlib1g-dev libbrotli-dev libzstd-dev
)
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-19 libclang-rt-19-dev clang-format-19 clang-tidy-19
  python3-pytest python3-pytest-xdist python3-pytest-timeout python3-httpx python3-psutil
  nginx haproxy wrk curl procps openssl dnsmasq-base testssl.sh
  nghttp2-client nghttp2-server h2o php8.2-fpm redis-server
  python3-h2 python3-websockets python3-grpcio python3-grpc-tools
  gzip brotli zstd
)

want=("${build_packages[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
  want+=("${test_packages[@]}")
fi

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

# Debian starts a package's service on install (nginx on :80, haproxy on :80...). bulwark's
# tests start their own instances on their own ports, so keep the system ones from starting.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
fi

export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -qq
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
