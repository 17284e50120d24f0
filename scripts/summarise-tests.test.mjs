import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  render,
  summariseDirectory,
  summarisePlain,
  summarisePlaywright,
  summariseVitest,
} from './summarise-tests.mjs';

// Reports written by the real reporters on tiny suites: see summarise-tests.fixtures/README.md.
const FIXTURES = new URL('./summarise-tests.fixtures/', import.meta.url);
const fixture = (name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

describe('vitest report', () => {
  const summary = summariseVitest(fixture('unit.json'), fixture('unit-notes.json'));

  it('counts a file whose beforeAll threw and a file that failed to import as failures', () => {
    expect(summary.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/before-all-fails\.test\.ts: the server did not start/),
        expect.stringMatching(/import-error\.test\.ts: Cannot find module/),
      ]),
    );
  });

  it("names the error of a describe's beforeAll, which vitest's JSON report leaves empty", () => {
    const file = fixture('unit.json').testResults.find((f) => f.name.includes('describe-before'));
    expect(file.message).toBe('');
    expect(summary.problems).toContainEqual(
      expect.stringMatching(
        /describe-before-all-fails\.test\.ts: a describe whose beforeAll throws: Error: turnserver did not listen within 10 s$/,
      ),
    );
  });

  it('counts an error thrown after its test ended as a failure', () => {
    expect(summary.problems).toContainEqual(
      expect.stringMatching(/outside any test: Error: thrown after the test ended/),
    );
  });

  it('adds those four to the one failing test, without counting that test twice', () => {
    // numFailedTestSuites is 5 here: one holds only the failing test, and the describe whose
    // beforeAll threw counts beside its file.
    expect(fixture('unit.json').numFailedTestSuites).toBe(5);
    expect(summary.failed).toBe(1 + 3 + 1);
    expect(summary.passed).toBe(fixture('unit.json').numPassedTests);
  });

  it('lists each skipped test with its reason, or says it has none', () => {
    expect(summary.skips).toEqual(
      expect.arrayContaining([
        {
          suite: 'unit',
          name: 'passing.test.ts > is skipped with a reason',
          reason: 'needs coturn on the PATH',
        },
        { suite: 'unit', name: 'passing.test.ts > is a todo', reason: 'todo' },
        { suite: 'unit', name: 'passing.test.ts > is skipped without a reason', reason: undefined },
      ]),
    );
    expect(render([summary]).lines).toContain(
      '  unit: passing.test.ts > is skipped without a reason: no reason given (did not run)',
    );
  });
});

describe('Playwright report', () => {
  it('counts failing tests, including the one whose beforeAll threw', () => {
    const summary = summarisePlaywright(fixture('e2e.json'));
    expect(summary).toMatchObject({ passed: 1, failed: 2 });
  });

  it('names each failing test with its error: the first line, then what it wanted and found, without colour codes', () => {
    const { problems } = summarisePlaywright(fixture('e2e.json'));
    expect(problems).toEqual([
      'before-all.spec.ts > first: Error: coturn did not start',
      'ok.spec.ts > fails: Error: expect(received).toBe(expected) // Object.is equality Expected: 2 Received: 1',
    ]);
  });

  it('lists skipped tests with the reason given to test.skip', () => {
    const { skips } = summarisePlaywright(fixture('e2e.json'));
    expect(skips).toContainEqual({
      suite: 'e2e',
      name: 'ok.spec.ts > skips with a reason',
      reason: 'needs a network namespace',
    });
    // Not run because the beforeAll before it failed: no reason of its own.
    expect(skips).toContainEqual({
      suite: 'e2e',
      name: 'before-all.spec.ts > second',
      reason: undefined,
    });
  });

  it('counts a top-level error as a failure when the run reports no test at all', () => {
    const report = fixture('e2e-import-error.json');
    expect(report.stats).toMatchObject({ expected: 0, unexpected: 0 });
    const summary = summarisePlaywright(report);
    expect(summary.failed).toBe(1);
    expect(summary.problems[0]).toMatch(/Cannot find module/);
  });
});

describe('plain suites (compose stack, bench smoke)', () => {
  it('shows a skip with its reason and counts nothing', () => {
    const summary = summarisePlain('compose', 'compose stack', {
      passed: 0,
      failed: 0,
      skipped: 'needs root',
    });
    expect(summary).toMatchObject({ passed: 0, failed: 0 });
    expect(render([summary]).lines).toEqual([
      'compose stack: 0 passed, 0 failed (skipped)',
      'skipped (1):',
      '  compose: compose stack: needs root',
      'total: 0 passed, 0 failed, 1 skipped',
    ]);
  });

  it('counts the checks that passed and the failure with its reason', () => {
    const summary = summarisePlain('compose', 'compose stack', {
      passed: 7,
      failed: 1,
      failure: 'coturn refused',
    });
    expect(summary).toMatchObject({ passed: 7, failed: 1, problems: ['coturn refused'] });
  });
});

describe('a directory of reports', () => {
  let dir;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every missing report as a failure', () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-summary-'));
    const { failed, lines } = render(summariseDirectory(dir));
    expect(failed).toBe(6);
    expect(lines).toContain('typecheck: failed');
    expect(lines).toContain('  FAILED: did not run');
    expect(lines.at(-1)).toBe('total: 0 passed, 6 failed');
  });

  it('adds every suite into the total line', () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-summary-'));
    for (const name of ['unit.json', 'unit-notes.json', 'e2e.json']) {
      copyFileSync(new URL(name, FIXTURES), join(dir, name));
    }
    writeFileSync(join(dir, 'compose.json'), JSON.stringify({ passed: 12, failed: 0 }));
    writeFileSync(join(dir, 'bench-smoke.json'), JSON.stringify({ passed: 7, failed: 0 }));
    for (const check of ['typecheck', 'lint']) writeFileSync(join(dir, `${check}.exit`), '0\n');
    const { passed, failed, skipped, lines } = render(summariseDirectory(dir));
    expect({ passed, failed }).toEqual({ passed: 3 + 1 + 12 + 7, failed: 5 + 2 });
    expect(skipped).toBe(5 + 2);
    expect(lines.at(-1)).toBe(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  });

  it('counts a runner that exited non-zero with a clean report as a failure', () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-summary-'));
    writeFileSync(join(dir, 'bench-smoke.json'), JSON.stringify({ passed: 7, failed: 0 }));
    writeFileSync(join(dir, 'bench-smoke.exit'), '1\n');
    const bench = summariseDirectory(dir).find((s) => s.suite === 'bench smoke');
    expect(bench).toMatchObject({ passed: 7, failed: 1 });
    expect(bench.problems).toEqual(['exited with 1 though its report shows no failure']);
  });

  it('counts a failed lint or typecheck, which have no report, as a failure in the total', () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-summary-'));
    writeFileSync(join(dir, 'typecheck.exit'), '0\n');
    writeFileSync(join(dir, 'lint.exit'), '1\n');
    const summaries = summariseDirectory(dir);
    const lint = summaries.find((s) => s.suite === 'lint (ESLint and Prettier)');
    expect(lint).toMatchObject({
      passed: 0,
      failed: 1,
      line: 'lint (ESLint and Prettier): failed',
    });
    expect(lint.problems).toEqual(["exited with 1; its output is above the tests'"]);
    const typecheck = summaries.find((s) => s.suite === 'typecheck');
    expect(typecheck).toMatchObject({ passed: 0, failed: 0, line: 'typecheck: passed' });
    // The four suites' reports are missing here (4) and lint failed (1).
    expect(render(summaries).failed).toBe(5);
  });
});
