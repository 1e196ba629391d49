/** A Stryker incremental report (mutation-testing-report-schema), as far as the merge reads it. */
export interface MutationReport {
  files: Record<string, { source?: string; mutants: { id: string; status: string; killedBy?: string[]; coveredBy?: string[]; [field: string]: unknown }[] }>;
  testFiles?: Record<string, { source?: string; tests: { id: string; name: string; location?: { start: { line: number; column: number } } }[] }>;
  [field: string]: unknown;
}
export const RECORD_FILE: string;
export function layOver(record: MutationReport, run: MutationReport): MutationReport;
