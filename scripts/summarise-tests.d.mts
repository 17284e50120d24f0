// Types for the parts of summarise-tests.mjs that TypeScript code (bench/run.ts) imports.
export interface SuiteSummary {
  suite: string;
  passed: number;
  failed: number;
  problems: string[];
  skips: Array<{ suite: string; name: string; reason: string | undefined }>;
  line: string;
}

/** A Playwright JSON report, summarised: failing tests are named in `problems`. */
export function summarisePlaywright(report: unknown): SuiteSummary;
