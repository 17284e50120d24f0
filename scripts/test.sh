#!/usr/bin/env bash
# The one test command: system packages, typecheck, lint, unit + integration, browser e2e.
# Ends with one "N passed, N failed" line over every suite.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
rm -f test-results/unit.json test-results/e2e.json

step() { printf '\n=== %s\n' "$1"; }
failed=0

step "system packages"
bash scripts/ensure-system-deps.sh || exit 1

step "typecheck"
npm run --silent typecheck || failed=1

step "lint"
npm run --silent lint || failed=1

step "unit and integration tests"
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/unit.json || failed=1

step "browser end-to-end tests"
bash scripts/run-e2e.sh || failed=1

step "summary"
node scripts/summarise-tests.mjs || failed=1
exit $failed
