// Reads the reports of every suite `npm test` ran and prints one closing line for all of them.
// Nothing that went wrong may look green:
// - a missing report counts as a failure (the suite did not run);
// - errors outside any test count as failures: a vitest file that failed to import or whose
//   beforeAll threw, errors vitest caught after a test ended, and Playwright's top-level
//   errors (an import error there stops the whole run with every count at 0);
// - a runner that exited non-zero with no failure in its report counts as one failure;
// - the typecheck and lint steps, which have no report, count as one failure each when they
//   fail (or did not run), so that the closing line never says "0 failed" over a red run;
// - every skipped test is listed with its reason.
//
//   node scripts/summarise-tests.mjs [report directory, default test-results]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Suites that report in the small shape {passed, failed, skipped?: reason, failure?}. */
export const PLAIN_SUITES = [
  { id: 'compose', title: 'compose stack' },
  { id: 'bench-smoke', title: 'bench smoke' },
];

/** Steps with an exit code only (`<id>.exit`): no tests to count, but they can fail the run. */
export const CHECKS = [
  { id: 'typecheck', title: 'typecheck' },
  { id: 'lint', title: 'lint (ESLint and Prettier)' },
];

// Playwright colours its error messages; the summary is read as plain text (CI shows its tail).
// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

const firstLine = (text) =>
  String(text ?? '')
    .replace(ANSI_COLOUR, '')
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? '';

/**
 * @typedef {{ suite: string, name: string, reason: string | undefined }} Skip
 * @typedef {{ suite: string, passed: number, failed: number, problems: string[], skips: Skip[],
 *   line: string }} SuiteSummary
 */

/** vitest: its JSON report plus scripts/vitest-skip-notes.mjs's notes. */
export function summariseVitest(report, notes) {
  const problems = [];
  let failed = report.numFailedTests;
  // A file that failed with no failing test in it failed as a suite: an import error, a
  // beforeAll or afterAll that threw. numFailedTestSuites also counts every file and describe
  // holding a failed test, so it cannot simply be added.
  for (const file of report.testResults) {
    if (file.status !== 'failed') continue;
    if (file.assertionResults.some((t) => t.status === 'failed')) continue;
    failed += 1;
    // vitest's JSON report leaves a failed hook's message empty; the notes reporter keeps it.
    const hookError = notes?.suiteErrors?.find((e) => sameFile(file.name, e.file))?.error;
    const why = firstLine(file.message) || firstLine(hookError) || 'a hook failed';
    problems.push(`suite error in ${file.name}: ${why}`);
  }
  if (report.numFailedTestSuites > 0 && failed === 0) {
    failed += 1;
    problems.push(`${report.numFailedTestSuites} suite(s) failed with no failing test`);
  }
  for (const error of notes?.unhandledErrors ?? []) {
    failed += 1;
    problems.push(`error outside any test: ${firstLine(error)}`);
  }
  let skips;
  if (notes) {
    skips = notes.skipped.map((s) => ({
      suite: 'unit',
      name: `${s.file} > ${s.name}`,
      reason: s.reason,
    }));
  } else {
    skips = report.testResults.flatMap((file) =>
      file.assertionResults
        .filter((t) => t.status === 'skipped' || t.status === 'pending' || t.status === 'todo')
        .map((t) => ({ suite: 'unit', name: `${file.name} > ${t.fullName}`, reason: undefined })),
    );
  }
  return finish('unit', report.numPassedTests, failed, problems, skips);
}

/** The JSON report names files by absolute path, the notes relative to the run's root. */
const sameFile = (absolute, relative) => absolute === relative || absolute.endsWith(`/${relative}`);

/** Playwright's JSON reporter. */
export function summarisePlaywright(report) {
  const s = report.stats;
  const problems = [];
  let failed = s.unexpected;
  // Top-level errors: a spec that cannot be imported, test.only under forbidOnly, global
  // setup or worker teardown failures. None of them is a test, so stats do not count them.
  for (const error of report.errors ?? []) {
    failed += 1;
    problems.push(`error outside any test: ${firstLine(error.message ?? error.stack)}`);
  }
  const skips = [];
  const walk = (suite, file) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        if (test.status === 'unexpected') {
          // Named with its first error line: CI shows only the end of the log, so the summary
          // is where a reader learns which test failed and how.
          const error = test.results.map((r) => r.error).find((e) => e);
          const message = error?.message ?? error?.stack;
          // A failed expectation says what it looked at, wanted and found on lines of its own.
          const lines = String(message ?? '')
            .replace(ANSI_COLOUR, '')
            .split('\n')
            .map((l) => l.trim());
          const details = ['Locator:', 'Expected:', 'Received:'].map((label) =>
            lines.find((l) => l.startsWith(label)),
          );
          const what = [firstLine(message) || 'failed', ...details].filter(Boolean).join(' ');
          problems.push(`${file} > ${spec.title}: ${what}`);
          continue;
        }
        if (test.status !== 'skipped') continue;
        const annotations = [
          ...test.annotations,
          ...test.results.flatMap((r) => r.annotations ?? []),
        ];
        const skip = annotations.find((a) => a.type === 'skip' || a.type === 'fixme');
        skips.push({
          suite: 'e2e',
          name: `${file} > ${spec.title}`,
          // A test with no skip annotation was not run because a hook before it failed.
          reason: skip ? (skip.description ?? `test.${skip.type}()`) : undefined,
        });
      }
    }
    for (const child of suite.suites ?? []) walk(child, file);
  };
  for (const suite of report.suites ?? []) walk(suite, suite.file);
  const line = finish('e2e', s.expected + s.flaky, failed, problems, skips);
  if (s.flaky) line.line += ` (${s.flaky} passed only on retry)`;
  return line;
}

/** The compose stack test and the bench smoke run: {passed, failed, skipped?, failure?}. */
export function summarisePlain(id, title, report) {
  if (report.skipped) {
    return finish(title, 0, 0, [], [{ suite: id, name: title, reason: report.skipped }]);
  }
  const problems = report.failure ? [report.failure] : [];
  const failed = report.failed > 0 ? report.failed : problems.length;
  return finish(title, report.passed, failed, problems, []);
}

function finish(suite, passed, failed, problems, skips) {
  return {
    suite,
    passed,
    failed,
    problems,
    skips,
    line: `${suite}: ${passed} passed, ${failed} failed`,
  };
}

function missing(suite, what) {
  return finish(suite, 0, 1, [`no ${what} (the suite did not run)`], []);
}

/**
 * Every suite's summary from a directory of reports: unit.json (+ unit-notes.json),
 * e2e.json, compose.json, bench-smoke.json, and <suite>.exit with each runner's exit code.
 */
export function summariseDirectory(dir) {
  const read = (name) => {
    const path = join(dir, name);
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
  };
  const exitCode = (name) => {
    const path = join(dir, `${name}.exit`);
    return existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : undefined;
  };
  const unit = read('unit.json');
  const e2e = read('e2e.json');
  const suites = [
    ['unit', unit ? summariseVitest(unit, read('unit-notes.json')) : missing('unit', 'report')],
    ['e2e', e2e ? summarisePlaywright(e2e) : missing('e2e', 'report')],
    ...PLAIN_SUITES.map(({ id, title }) => {
      const report = read(`${id}.json`);
      return [id, report ? summarisePlain(id, title, report) : missing(title, 'report')];
    }),
  ];
  for (const [id, summary] of suites) {
    const code = exitCode(id);
    if (code !== undefined && code !== 0 && summary.failed === 0) {
      summary.failed = 1;
      summary.problems.push(`exited with ${code} though its report shows no failure`);
      summary.line = `${summary.suite}: ${summary.passed} passed, ${summary.failed} failed`;
    }
  }
  for (const { id, title } of CHECKS) {
    const code = exitCode(id);
    const check = finish(title, 0, code === 0 ? 0 : 1, [], []);
    if (code === undefined) check.problems.push('did not run');
    else if (code !== 0) check.problems.push(`exited with ${code}; its output is above the tests'`);
    check.line = `${title}: ${code === 0 ? 'passed' : 'failed'}`;
    suites.push([id, check]);
  }
  return suites.map(([, summary]) => summary);
}

/** The printed summary and its totals. */
export function render(suites) {
  const lines = [];
  let passed = 0;
  let failed = 0;
  const skips = suites.flatMap((s) => s.skips);
  for (const s of suites) {
    passed += s.passed;
    failed += s.failed;
    const skipNote = s.skips.length && s.passed + s.failed === 0 ? ' (skipped)' : '';
    lines.push(s.line + skipNote);
    for (const problem of s.problems) lines.push(`  FAILED: ${problem}`);
  }
  if (skips.length) {
    lines.push(`skipped (${skips.length}):`);
    for (const skip of skips) {
      lines.push(
        `  ${skip.suite}: ${skip.name}: ${skip.reason ?? 'no reason given (did not run)'}`,
      );
    }
  }
  lines.push(
    `total: ${passed} passed, ${failed} failed${skips.length ? `, ${skips.length} skipped` : ''}`,
  );
  return { lines, passed, failed, skipped: skips.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { lines, failed } = render(summariseDirectory(process.argv[2] ?? 'test-results'));
  for (const line of lines) console.log(line);
  process.exit(failed > 0 ? 1 : 0);
}
