/**
 * The one shape every benchmark section reports in, so `npm run bench` prints one table for every
 * runtime and the README's performance section can be generated from it.
 *
 * A section is a module in `bench/sections/` whose default export measures and returns rows. It
 * measures its own baseline in the same run: figures are ratios or counts, never wall-clock goals.
 *
 * @example
 * ```ts
 * const section: BenchSection = {
 *   title: 'Worker size',
 *   async measure() {
 *     return [{ runtime: 'Workers', figure: 'password-only Worker, gzip', value: 58.2, unit: 'KB', goal: { max: 60 } }];
 *   },
 * };
 * export default section;
 * ```
 */
export interface BenchRow {
  /** Where it runs: `Node`, `Appwrite`, `Workers`, or a function's name for its own rows. */
  runtime: string;
  /** What is measured, in words a reader understands without the code. */
  figure: string;
  value: number;
  /** `x` for ratios, `ms`, `KB`, `round trips`, `logins/s`, ... */
  unit: string;
  /** The goal for this figure; absent for context rows (e.g. the baseline itself). */
  goal?: { max?: number; min?: number };
  /** One short line: the baseline it was measured against, or what limits it. */
  note?: string;
}

/** A benchmark section: measures and returns its rows. */
export interface BenchSection {
  title: string;
  measure(options: { quick: boolean }): Promise<BenchRow[]>;
}

/** Whether a row meets its goal (`undefined` when it has none). */
export function meetsGoal(row: BenchRow): boolean | undefined {
  if (!row.goal) return undefined;
  if (row.goal.max !== undefined && row.value > row.goal.max) return false;
  if (row.goal.min !== undefined && row.value < row.goal.min) return false;
  return true;
}

/** The goal in words: `<= 60 KB`, `>= 0.9 x`. */
export function describeGoal(row: BenchRow): string {
  if (!row.goal) return '';
  const parts: string[] = [];
  if (row.goal.min !== undefined) parts.push(`>= ${row.goal.min} ${row.unit}`);
  if (row.goal.max !== undefined) parts.push(`<= ${row.goal.max} ${row.unit}`);
  return parts.join(', ');
}
