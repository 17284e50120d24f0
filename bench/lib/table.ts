import type { BenchResult, BenchRow } from './result.ts';

/** Plain-text table of every result row, readable in a terminal and pasteable into Markdown. */

function formatNumber(x: number | null): string {
  // JSON turns NaN (nothing measured) into null
  if (x === null || !Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function status(row: BenchRow): string {
  if (row.met === undefined) return '';
  return row.met ? 'met' : 'MISSED';
}

const HEADER = ['Measure', 'Value', 'Baseline', 'Ratio', 'Goal', 'Status'] as const;

export function resultCells(row: BenchRow): string[] {
  return [
    row.measure,
    row.absent !== undefined ? `none: ${row.absent}` : `${formatNumber(row.value)} ${row.unit}`,
    row.baseline ? `${formatNumber(row.baseline.value)} (${row.baseline.name})` : '',
    typeof row.ratio === 'number' && Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}×` : '',
    row.goal ?? '',
    status(row),
  ];
}

/** A Markdown table (also readable as is on a terminal), one section line per bench. */
export function renderTable(results: readonly BenchResult[], staleIds = new Set<string>()): string {
  const lines: string[][] = [];
  for (const result of results) {
    const stale = staleIds.has(result.id) ? ' (from an earlier run)' : '';
    lines.push([`**${result.title}**${stale}`, '', '', '', '', '']);
    for (const row of result.rows) lines.push(resultCells(row));
  }
  const widths = HEADER.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [render(HEADER), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join(
    '\n',
  );
}
