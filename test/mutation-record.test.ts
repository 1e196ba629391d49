/**
 * Laying one mutation run over the record (scripts/mutation-record.mjs): test ids mean something
 * only inside the report that made them, so after a merge every mutant must still point at the
 * tests that killed and covered it, whatever ids the two reports happened to use.
 */
import { describe, expect, it } from 'vitest';
import { layOver, type MutationReport } from '../scripts/mutation-record.mjs';

const at = (line: number) => ({ start: { line, column: 2 } });

/** A report of one module whose one mutant the given test of the given test file killed. */
function reportOf(module: string, testFile: string, tests: { id: string; name: string; line: number }[], killer: string): MutationReport {
  return {
    files: { [module]: { source: 'x', mutants: [{ id: `${module}#1`, status: 'Killed', killedBy: [killer], coveredBy: tests.map((test) => test.id) }] } },
    testFiles: { [testFile]: { source: 't', tests: tests.map(({ id, name, line }) => ({ id, name, location: at(line) })) } },
  };
}

/** The names of the tests a module's mutant names under `field`, looked up across the report's test files. */
function named(report: MutationReport, module: string, field: 'killedBy' | 'coveredBy'): string[] {
  const ids = report.files[module]!.mutants[0]![field] ?? [];
  const tests = Object.values(report.testFiles ?? {}).flatMap((file) => file.tests);
  return ids.map((id) => {
    const matching = tests.filter((test) => test.id === id);
    expect(matching, `test id ${id} names exactly one test`).toHaveLength(1);
    return matching[0]!.name;
  });
}

describe('layOver', () => {
  it('keeps each mutant pointing at its own tests when both reports numbered theirs from 0', () => {
    const record = reportOf('shared/a.ts', 'test/a.test.ts', [{ id: '0', name: 'a kills', line: 3 }, { id: '1', name: 'a covers', line: 9 }], '0');
    const run = reportOf('shared/b.ts', 'test/b.test.ts', [{ id: '0', name: 'b kills', line: 5 }], '0');
    const merged = layOver(record, run);
    expect(named(merged, 'shared/a.ts', 'killedBy')).toEqual(['a kills']);
    expect(named(merged, 'shared/a.ts', 'coveredBy')).toEqual(['a kills', 'a covers']);
    expect(named(merged, 'shared/b.ts', 'killedBy')).toEqual(['b kills']);
  });

  it("takes the run's modules and test files over the record's, and keeps the record's others", () => {
    const record = reportOf('shared/a.ts', 'test/a.test.ts', [{ id: '0', name: 'old', line: 3 }], '0');
    const run = reportOf('shared/a.ts', 'test/a.test.ts', [{ id: '7', name: 'new', line: 4 }], '7');
    const other = reportOf('shared/c.ts', 'test/c.test.ts', [{ id: '0', name: 'c kills', line: 1 }], '0');
    const merged = layOver(layOver(other, record), run);
    expect(Object.keys(merged.files).sort()).toEqual(['shared/a.ts', 'shared/c.ts']);
    expect(named(merged, 'shared/a.ts', 'killedBy')).toEqual(['new']);
    expect(named(merged, 'shared/c.ts', 'killedBy')).toEqual(['c kills']);
  });

  it('drops a test the merged record no longer holds, so Stryker re-runs the mutant instead of trusting it', () => {
    // The record's module was killed by a test of a shared file the run saw rewritten without it.
    const record = reportOf('shared/a.ts', 'test/shared.test.ts', [{ id: '0', name: 'since removed', line: 3 }], '0');
    const run = reportOf('shared/b.ts', 'test/shared.test.ts', [{ id: '0', name: 'still here', line: 3 }], '0');
    const merged = layOver(record, run);
    expect(merged.files['shared/a.ts']!.mutants[0]!.killedBy).toEqual([]);
    expect(named(merged, 'shared/b.ts', 'killedBy')).toEqual(['still here']);
  });

  it('tells apart two tests of one name by where they start', () => {
    const record = reportOf('shared/a.ts', 'test/a.test.ts', [{ id: '0', name: 'same', line: 3 }, { id: '1', name: 'same', line: 30 }], '1');
    const merged = layOver(record, { files: {}, testFiles: {} });
    const killer = merged.files['shared/a.ts']!.mutants[0]!.killedBy![0];
    expect(merged.testFiles!['test/a.test.ts']!.tests.find((test) => test.id === killer)?.location).toEqual(at(30));
  });
});
