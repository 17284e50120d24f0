#!/usr/bin/env bash
# Installs the system packages the tests need (Debian/Ubuntu, as root), or says exactly what
# to install. Safe to run repeatedly: it does nothing when everything is present.
#
#   PARLEY_DEPS_FOR=all      (default) everything `npm test` uses; the compose stack test's
#                            packages only as root on Linux, the one place that test can run
#   PARLEY_DEPS_FOR=compose  only what scripts/test-compose.sh needs
set -euo pipefail
cd "$(dirname "$0")/.."
for_what=${PARLEY_DEPS_FOR:-all}

need=()
base() {
  command -v "${CHROMIUM_PATH:-chromium}" >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
  # e2e/firefox/: Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi.
  command -v "${FIREFOX_PATH:-firefox-esr}" >/dev/null 2>&1 || [ -x "${FIREFOX_PATH:-/usr/bin/firefox-esr}" ] || need+=(firefox-esr)
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
  # Scale-out tests run a private redis-server (apps/signaling/src/cluster/*.test.ts).
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  # infra/compose.test.ts validates docker-compose.yml with Debian's docker-compose (no engine).
  command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
  # e2e/lan-https.spec.ts: Chromium trusts the LAN mode's local CA through an NSS database.
  command -v certutil >/dev/null 2>&1 || need+=(libnss3-tools)
}

# scripts/test-compose.sh: a private containerd + dockerd in a network namespace, stand-in
# images built with debootstrap, TURN checks with turnutils, and two Chromiums that trust
# Caddy's internal CA through an NSS database made with certutil.
compose() {
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v containerd >/dev/null 2>&1 || need+=(containerd)
  command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
  command -v turnutils_uclient >/dev/null 2>&1 || need+=(coturn)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
  command -v setcap >/dev/null 2>&1 || need+=(libcap2-bin)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  command -v certutil >/dev/null 2>&1 || need+=(libnss3-tools)
  # The stack behind the example nginx config (scripts/compose/behind-nginx.sh), and its
  # throwaway certificate.
  command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v "${CHROMIUM_PATH:-chromium}" >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
}

case $for_what in
  all)
    base
    [ "$(uname -s)" = Linux ] && [ "$(id -u)" -eq 0 ] && compose
    ;;
  compose) compose ;;
  *)
    echo "PARLEY_DEPS_FOR must be all or compose, not $for_what" >&2
    exit 64
    ;;
esac
# Each package once, in the order first needed.
mapfile -t need < <(printf '%s\n' ${need[@]+"${need[@]}"} | awk 'NF && !seen[$0]++')

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  # docker.io brings a dockerd that scripts/test-compose.sh starts privately; on a systemd
  # machine apt also enables the system's own Docker service, which the tests do not use.
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${need[*]}" >&2
  echo "(or set CHROMIUM_PATH to a Chromium/Chrome binary, FIREFOX_PATH to a Firefox)" >&2
  exit 1
fi
