// Reads the JSON reports of vitest and Playwright and prints one closing line for all suites.
// A missing report counts as a failure: a suite that did not run must not look green.
import { existsSync, readFileSync } from 'node:fs';

function read(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

const unit = read('test-results/unit.json');
const e2e = read('test-results/e2e.json');
let passed = 0;
let failed = 0;
let skipped = 0;

if (unit) {
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
  skipped += unit.numPendingTests + unit.numTodoTests;
  console.log(`unit: ${unit.numPassedTests} passed, ${unit.numFailedTests} failed`);
} else {
  console.log('unit: no report (the suite did not run)');
  failed += 1;
}
if (e2e) {
  const s = e2e.stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected;
  skipped += s.skipped;
  console.log(
    `e2e: ${s.expected + s.flaky} passed, ${s.unexpected} failed${s.flaky ? ` (${s.flaky} flaky)` : ''}`,
  );
} else {
  console.log('e2e: no report (the suite did not run)');
  failed += 1;
}
console.log(`total: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
