/** Small statistics helpers for bench figures. */

/** The q-quantile (0..1) of `values` by nearest rank; NaN for no values. Sorts a copy. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

export function mean(values: ArrayLike<number>): number {
  const all = Array.from(values);
  return all.length === 0 ? Number.NaN : all.reduce((sum, x) => sum + x, 0) / all.length;
}

export function max(values: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of Array.from(values)) m = Math.max(m, x);
  return values.length === 0 ? Number.NaN : m;
}

export function min(values: ArrayLike<number>): number {
  let m = Number.POSITIVE_INFINITY;
  for (const x of Array.from(values)) m = Math.min(m, x);
  return values.length === 0 ? Number.NaN : m;
}

/** "median (min–max)" for a handful of repeated measurements. */
export function describeRange(values: readonly number[], digits = 0): string {
  const f = (x: number) => x.toFixed(digits);
  return values.length > 1
    ? `${f(median(values))} (${f(min(values))}–${f(max(values))})`
    : f(values[0] ?? Number.NaN);
}

/** Rounds to a sensible number of significant figures for reports. */
export function round(x: number, significant = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const digits = Math.max(0, significant - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(digits, 6)));
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
