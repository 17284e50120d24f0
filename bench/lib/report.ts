import { readFileSync, writeFileSync } from 'node:fs';
import { machineLines, type Machine } from './machine.ts';
import type { BenchResult } from './result.ts';
import { renderTable } from './table.ts';

/** What `npm run bench` writes to bench/results/summary.json. */
export type Summary = {
  command: string;
  quick: boolean;
  startedAt: string;
  durationS: number;
  machine: Machine;
  results: Array<BenchResult & { fromEarlierRun: boolean }>;
  failures: string[];
};

export function goalLine(results: readonly BenchResult[]): string {
  const goals = results.flatMap((r) => r.rows).filter((row) => row.met !== undefined);
  const missed = goals.filter((g) => !g.met);
  return (
    `Goals: ${goals.length - missed.length} of ${goals.length} met` +
    (missed.length ? `; missed: ${missed.map((g) => `${g.measure} (${g.goal})`).join('; ')}` : '')
  );
}

/** The "Latest results" section of BENCHMARKS.md, from a summary. */
export function markdownReport(summary: Summary): string {
  const stale = new Set(summary.results.filter((r) => r.fromEarlierRun).map((r) => r.id));
  const lines = [
    `Run ${summary.startedAt.slice(0, 16).replace('T', ' ')} UTC with \`${summary.command}\`, ${Math.round(summary.durationS / 60)} min.`,
    '',
    ...machineLines(summary.machine).map((l) => `- ${l}`),
    '',
    renderTable(summary.results, stale),
    '',
    `${goalLine(summary.results)}.`,
    '',
    ...summary.failures.map((f) => `- FAILED: ${f.split('\n')[0]}`),
    ...(summary.failures.length ? [''] : []),
    'How each figure was taken, as the benches wrote it:',
    '',
  ];
  for (const r of summary.results) {
    lines.push(`<details><summary>${r.title}</summary>`, '');
    for (const note of r.notes ?? []) lines.push(`- ${note}`);
    lines.push('', '</details>', '');
  }
  return lines.join('\n').trimEnd();
}

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

/** Replaces the text between the result markers of `file` (BENCHMARKS.md). */
export function updateResultsSection(file: string, report: string): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${file} has no ${START} … ${END} section`);
  writeFileSync(file, `${text.slice(0, start + START.length)}\n\n${report}\n\n${text.slice(end)}`);
}
