#!/usr/bin/env bash
# Builds the production app and runs the Playwright suite. As root with unshare available, the
# servers, Playwright and Chromium run together in a fresh network namespace that has only
# loopback, so WebRTC gathers 127.0.0.1 candidates only and nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm run build --silent >/dev/null

run=(npx playwright test -c e2e/playwright.config.ts "$@")
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
  # Tests that inject network faults (iptables) only run when isolated like this.
  export PARLEY_E2E_NETNS=1
  exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "${run[@]}"
fi
echo "note: running without network isolation (needs root and unshare); Chromium may also gather LAN candidates" >&2
exec "${run[@]}"
