#!/usr/bin/env bash
# Installs the system packages the tests need (Debian/Ubuntu, as root), or says exactly what
# to install. Safe to run repeatedly: it does nothing when everything is present.
set -euo pipefail

need=()
command -v "${CHROMIUM_PATH:-chromium}" >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
# Fault-injection e2e tests drop loopback traffic inside their own network namespace.
command -v iptables >/dev/null 2>&1 || need+=(iptables)
# The lossy-network e2e test builds a small NFQUEUE delayer (e2e/lossy-link/nfq-delay.c) where
# the kernel has no sch_netem: it needs a C compiler, pkg-config and libnetfilter_queue.
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists libnetfilter_queue 2>/dev/null || need+=(libnetfilter-queue-dev)
# TURN tests run a real coturn (turnserver, turnutils_uclient), on loopback and in the NAT lab.
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
# infra/compose.test.ts validates docker-compose.yml with Debian's docker-compose (no engine).
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${need[*]}" >&2
  echo "(or set CHROMIUM_PATH to a Chromium/Chrome binary)" >&2
  exit 1
fi
