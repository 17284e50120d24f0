#!/usr/bin/env bash
# Runs a command in a fresh loopback-only network namespace when possible (root + unshare), so
# WebRTC only ever sees 127.0.0.1 and nothing leaves the machine; otherwise runs it as is.
set -euo pipefail
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
  # Tests that inject network faults (iptables) only run when isolated like this.
  export PARLEY_E2E_NETNS=1
  exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
echo "note: running without network isolation (needs root and unshare); Chromium may also gather LAN candidates" >&2
exec "$@"
