#!/usr/bin/env bash
# The one test command: system packages, typecheck, lint, unit + integration, browser e2e, the
# compose stack (where it can run), and one run of every bench at a tiny size. Ends with one
# "total: N passed, N failed" line over every suite (scripts/summarise-tests.mjs).
set -uo pipefail
cd "$(dirname "$0")/.."
REPORTS=test-results
mkdir -p "$REPORTS"
rm -f "$REPORTS"/{unit,unit-notes,e2e,compose,bench-smoke}.json "$REPORTS"/*.exit

step() { printf '\n=== %s\n' "$1"; }
failed=0
# Runs a suite and keeps its exit code beside its report: a runner that fails without saying
# why in its report still counts as a failure in the summary.
suite() {
  local id=$1 code
  shift
  "$@"
  code=$?
  echo "$code" >"$REPORTS/$id.exit"
  [ "$code" -eq 0 ] || failed=1
}

step "system packages"
bash scripts/ensure-system-deps.sh || exit 1

step "typecheck"
suite typecheck npm run --silent typecheck

step "lint"
suite lint npm run --silent lint

step "unit and integration tests"
suite unit npx vitest run --reporter=default --reporter=json \
  --reporter=./scripts/vitest-skip-notes.mjs --outputFile.json="$REPORTS/unit.json"

step "browser end-to-end tests"
suite e2e bash scripts/run-e2e.sh

step "compose stack (docker-compose.yml in a private Docker engine, and a call through it)"
PARLEY_COMPOSE_REPORT=$REPORTS/compose.json suite compose bash scripts/test-compose.sh

step "bench smoke (every bench once, tiny; fails only when a bench cannot run)"
suite bench-smoke npm run --silent bench:smoke -- --report="$REPORTS/bench-smoke.json"

step "summary"
node scripts/summarise-tests.mjs "$REPORTS" || failed=1
exit $failed
