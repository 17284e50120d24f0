// A vitest reporter for `npm test`'s summary: what vitest's own JSON report leaves out. It
// writes the reason of every skipped test (the note of `ctx.skip(note)`, or that it was marked
// skip/todo), the errors that happened outside any test (vitest exits 1 for those, but
// its JSON report counts no failure), and the errors of suites and files themselves: a failed
// beforeAll/afterAll hook, which the JSON report gives as a failed file with an empty message.
//
//   vitest run --reporter=./scripts/vitest-skip-notes.mjs  (writes test-results/unit-notes.json)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

const OUTPUT = process.env.PARLEY_VITEST_NOTES ?? 'test-results/unit-notes.json';

export default class SkipNotesReporter {
  onTestRunEnd(testModules, unhandledErrors) {
    const skipped = [];
    const suiteErrors = [];
    for (const module of testModules) {
      const file = relative(process.cwd(), module.moduleId);
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const mode = test.options.mode;
        skipped.push({
          file,
          name: test.fullName,
          reason: result.note ?? (mode === 'todo' ? 'todo' : undefined),
        });
      }
      for (const suite of [module, ...module.children.allSuites()]) {
        for (const error of suite.errors()) {
          const where = suite.type === 'module' ? '' : `${suite.fullName}: `;
          suiteErrors.push({ file, error: `${where}${describeError(error)}` });
        }
      }
    }
    const errors = unhandledErrors.map(describeError);
    mkdirSync(dirname(OUTPUT), { recursive: true });
    const notes = { skipped, unhandledErrors: errors, suiteErrors };
    writeFileSync(OUTPUT, `${JSON.stringify(notes, null, 2)}\n`);
  }
}

function describeError(error) {
  return error.stack ?? error.message ?? String(error);
}
