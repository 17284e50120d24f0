import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, loadAverage, machineLines } from './lib/machine.ts';
import { goalLine, markdownReport, updateResultsSection, type Summary } from './lib/report.ts';
import { readBenchResults, RESULTS_DIR } from './lib/result.ts';
import { renderTable } from './lib/table.ts';

/**
 * `npm run bench`: every benchmark of issue 6 on this machine, then one table and
 * bench/results/summary.json. Goals are reported, never asserted: the exit code says only
 * whether every bench ran.
 *
 *   npm run bench                  everything (under 10 minutes on 2 cores)
 *   npm run bench:quick            the same, shortened (BENCH_QUICK=1), for development
 *   npm run bench -- --only=signaling | --only=browser
 *   npm run bench -- --no-build    reuse the existing production build
 *   npm run bench -- --update-docs also rewrite the results section of BENCHMARKS.md
 *   npm run bench:smoke            every bench once at a tiny size (bench/smoke.ts), the load
 *                                  test and the build comparison included; fails only when a
 *                                  bench cannot run; figures go to test-results/bench-smoke/
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const known = /^--(quick|smoke|no-build|update-docs|only=(signaling|browser)|report=.+)$/;
for (const a of args) if (!known.test(a)) throw new Error(`unknown option ${a}; see bench/run.ts`);
const quick = args.has('--quick') || process.env.BENCH_QUICK === '1';
const smoke = args.has('--smoke');
if (smoke && process.env.BENCH_SMOKE !== '1')
  throw new Error('run smoke mode as npm run bench:smoke');
const reportPath = [...args].find((a) => a.startsWith('--report='))?.slice('--report='.length);
if (quick) process.env.BENCH_QUICK = '1';
const only = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length);
const runSignaling = only === undefined || only === 'signaling';
const runBrowser = only === undefined || only === 'browser';

const startedAt = Date.now();
const machine = describeMachine();
const failures: string[] = [];
const log = (line: string) => console.log(line);

function run(title: string, command: string, commandArgs: string[]): boolean {
  log(`\n$ ${[command, ...commandArgs].join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (result.status === 0) return true;
  failures.push(`${title} exited with ${result.status ?? result.signal}`);
  return false;
}

/** Each failing test of a Playwright JSON report, named with its first error line. */
async function failingPlaywrightTests(reportFile: string): Promise<string[]> {
  try {
    const { summarisePlaywright } = await import('../scripts/summarise-tests.mjs');
    return summarisePlaywright(JSON.parse(readFileSync(reportFile, 'utf8'))).problems;
  } catch (error) {
    return [`no readable browser bench report (${String(error)})`];
  }
}

function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line?.split(/\s+/)[3] ?? Number.POSITIVE_INFINITY);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

log(
  `Parley benchmarks${smoke ? ' (smoke: each once at a tiny size; the figures mean nothing)' : quick ? ' (quick mode: shortened, for development only)' : ''}`,
);
for (const line of machineLines(machine)) log(line);
if (machine.loadAverage.start > machine.cores)
  log(
    `note: the load average exceeds the core count; other work on this machine will skew absolute figures (ratios hold up better)`,
  );

if (!args.has('--no-build')) {
  // Signalling benches run the production bundle; browser benches serve the built web app.
  if (runBrowser) run('build', 'npm', ['run', 'build', '--silent']);
  else run('build', 'npm', ['run', 'build', '--silent', '-w', '@parley/signaling']);
}

/** Runs a command to its end without blocking this process; its output goes to `logFile`. */
function runInBackground(
  title: string,
  command: string,
  commandArgs: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  log(`\n$ ${[command, ...commandArgs].join(' ')}   (in the background, output to ${logFile})`);
  const out = openSync(logFile, 'w');
  const child = spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', out, out], env });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve(true);
      failures.push(`${title} exited with ${code ?? signal}`);
      resolve(false);
    }),
  );
}

/** Seconds each part of the run took, for the end of the log. */
const took: string[] = [];
async function timed<T>(part: string, body: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await body();
  } finally {
    took.push(`${part} ${Math.round((performance.now() - t0) / 1000)} s`);
  }
}

// A JSON report beside the list output, so a failure is named at the end of the run: CI shows
// only the tail of the log, far below the list reporter's error.
const browserReport = join(ROOT, 'test-results', 'bench-browser.json');
const browserCommand: [string, string[]] = [
  'bash',
  [
    'scripts/run-isolated.sh',
    'npx',
    'playwright',
    'test',
    '-c',
    'bench/playwright.config.ts',
    '--reporter=list,json',
  ],
];

/**
 * Smoke mode runs the browser benches in the background, beside the signalling benches: their
 * figures mean nothing, so sharing the machine costs nothing, and most of either lane's time is
 * process and browser start-up and waiting for sockets and pages, not CPU. The browser lane runs
 * in its own network namespace (scripts/run-isolated.sh), so the lanes share no ports.
 */
let browserLane: Promise<boolean> | undefined;
const browserLog = join(RESULTS_DIR, 'browser-benches.log');
if (runBrowser && smoke) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  process.env.PLAYWRIGHT_JSON_OUTPUT_FILE = browserReport;
  const started = performance.now();
  browserLane = runInBackground('browser benches', ...browserCommand, browserLog).then((ran) => {
    took.push(`browser benches ${Math.round((performance.now() - started) / 1000)} s`);
    return ran;
  });
}

/**
 * Benches that write no result file, run only by the smoke run: they must still run. A bench
 * added as a script of its own goes here (it must size itself down when BENCH_SMOKE=1, e.g.
 * with `sized()` from lib/mode.ts).
 */
const SMOKE_SCRIPTS: Array<{ title: string; args: string[]; env?: Record<string, string> }> = [
  { title: 'load test', args: ['bench/load/load-test.ts'] },
  {
    title: 'build comparison',
    args: ['bench/signaling/compare-builds.ts', join('apps', 'signaling', 'dist', 'main.js')],
    env: { ROUNDS: '1', WINDOW_MS: '200' },
  },
];
const scriptLog = (title: string) => join(RESULTS_DIR, `${title.replace(/\W+/g, '-')}.log`);
let otherBenchesRan = 0;
/**
 * Smoke mode runs these one after the other in a third lane, beside the signalling benches: at
 * smoke sizes both are mostly fixed waits (the load test's churn and resume grace, the
 * comparison's windows) and process start-up, and their servers listen on ports of their own.
 */
let scriptsLane: Promise<void> | undefined;
if (smoke) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  scriptsLane = (async () => {
    for (const script of SMOKE_SCRIPTS) {
      const ran = await timed(script.title, () =>
        runInBackground(
          script.title,
          process.execPath,
          ['--import', 'tsx', ...script.args],
          scriptLog(script.title),
          { ...process.env, ...script.env },
        ),
      );
      if (ran) otherBenchesRan++;
    }
  })();
}

if (runSignaling) {
  if (openFilesLimit() < 12_000 && !smoke)
    log(
      `note: open-files limit ${openFilesLimit()} is below what 5k connections need; run \`ulimit -n 20000\` first`,
    );
  log('\n== Signalling server benches ==');
  await timed('signalling benches', async () => {
    try {
      const { runSignalingBenches } = await import('./signaling/index.ts');
      failures.push(...(await runSignalingBenches(quick, log)));
    } catch (error) {
      failures.push(`signalling benches: ${error instanceof Error ? error.stack : String(error)}`);
      log(`signalling benches failed: ${String(error)}`);
    }
  });
}

if (scriptsLane) {
  log('\n== Load test and build comparison ==');
  await scriptsLane;
  for (const script of SMOKE_SCRIPTS)
    log(`\n-- ${script.title}\n${readFileSync(scriptLog(script.title), 'utf8').trimEnd()}`);
}

if (runBrowser) {
  log('\n== Browser benches ==');
  let ran: boolean;
  if (browserLane) {
    ran = await browserLane;
    log(readFileSync(browserLog, 'utf8').trimEnd());
  } else {
    process.env.PLAYWRIGHT_JSON_OUTPUT_FILE = browserReport;
    ran = await timed('browser benches', () => run('browser benches', ...browserCommand));
  }
  if (!ran) failures.push(...(await failingPlaywrightTests(browserReport)));
}

/** How this run was started, as a user would type it. */
function commandLine(): string {
  const extra = process.argv.slice(2).filter((a) => a !== '--quick');
  return `npm run bench${quick ? ':quick' : ''}${extra.length ? ` -- ${extra.join(' ')}` : ''}`;
}

mkdirSync(RESULTS_DIR, { recursive: true });
const results = readBenchResults();
const stale = new Set(
  results
    .filter((r) => statSync(join(RESULTS_DIR, `${r.id}.json`)).mtimeMs < startedAt)
    .map((r) => r.id),
);
machine.loadAverage.end = loadAverage();
const durationS = Math.round((Date.now() - startedAt) / 1000);

log(`\n== Results ==`);
for (const line of machineLines(machine)) log(line);
log('');
log(renderTable(results, stale));
log(`\n${goalLine(results)}`);
for (const r of results.filter((x) => stale.has(x.id)))
  log(`note: "${r.title}" is from an earlier run; this run did not produce it`);
for (const f of failures) log(`FAILED: ${f}`);
log(
  `Took ${Math.floor(durationS / 60)} min ${durationS % 60} s (${took.join(', ')}). Notes on method: bench/results/*.json and BENCHMARKS.md.`,
);

const summary: Summary = {
  command: commandLine(),
  quick,
  startedAt: new Date(startedAt).toISOString(),
  durationS,
  machine,
  results: results.map((r) => ({ ...r, fromEarlierRun: stale.has(r.id) })),
  failures,
};
const summaryFile = join(RESULTS_DIR, 'summary.json');
writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
// Smoke runs write under test-results/, so name the file actually written.
log(`Wrote ${relative(ROOT, summaryFile)}`);
if (args.has('--update-docs')) {
  updateResultsSection(join(ROOT, 'BENCHMARKS.md'), markdownReport(summary));
  log('Updated the results section of BENCHMARKS.md');
}
if (reportPath) {
  // For npm test's summary (scripts/summarise-tests.mjs): a bench that ran counts as passed,
  // whatever its figures; one that could not run, as failed.
  const ran = results.filter((r) => !stale.has(r.id)).length + otherBenchesRan;
  const report = {
    passed: ran,
    failed: failures.length,
    failure: failures.map((f) => f.split('\n')[0]).join('; ') || undefined,
  };
  writeFileSync(reportPath, `${JSON.stringify(report)}\n`);
}
process.exit(failures.length ? 1 : 0);
