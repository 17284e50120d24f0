#!/usr/bin/env bash
# Builds the production app and runs the Playwright suite in a loopback-only namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent >/dev/null
exec bash scripts/run-isolated.sh npx playwright test -c e2e/playwright.config.ts "$@"
