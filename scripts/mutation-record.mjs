// The mutation record (reports/stryker-incremental.json, Stryker's incremental report) and how a
// run is laid over it. A report names tests by ids that hold only inside that report ("738" is one
// test in one run and another in the next), and its mutants point at their killing and covering
// tests by those ids. Copying one run's modules and test files into another's keeps the numbers but
// not what they meant: Stryker would then reuse a mutant as killed because some unrelated test is
// unchanged. So the merge goes through what Stryker itself identifies a test by (its file, where it
// starts, its name) and numbers the merged tests afresh. A test the merged record no longer holds
// is dropped from the mutants that named it, and Stryker re-runs those: never a result kept on a
// test that is gone.
//
//   node scripts/mutation-record.mjs <run.json> [more runs...]   # lays each run over the record
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RECORD_FILE = 'reports/stryker-incremental.json';

/** What Stryker's incremental differ identifies a test by: its file, where it starts, its name. */
function testKey(file, test) {
  const start = test.location?.start ?? { line: 0, column: 0 };
  return `${file}@${start.line}:${start.column}\n${test.name}`;
}

/** Each test id of a report, as the key of the test it means in that report. */
function keysById(report) {
  const keys = new Map();
  for (const [file, { tests }] of Object.entries(report.testFiles ?? {})) {
    for (const test of tests) keys.set(test.id, testKey(file, test));
  }
  return keys;
}

/**
 * Lays `run` over `record`: the run's modules and test files replace the record's, the rest stay,
 * and every test id in the result means the test it meant in the report it came from.
 *
 * @example
 * ```js
 * const merged = layOver(JSON.parse(readFileSync(RECORD_FILE, 'utf8')), JSON.parse(readFileSync('run.json', 'utf8')));
 * ```
 */
export function layOver(record, run) {
  const testFiles = { ...record.testFiles, ...run.testFiles };
  const idByKey = new Map();
  const numberedTestFiles = Object.fromEntries(
    Object.entries(testFiles).map(([file, entry]) => [
      file,
      {
        ...entry,
        tests: entry.tests.map((test) => {
          const key = testKey(file, test);
          if (!idByKey.has(key)) idByKey.set(key, String(idByKey.size));
          return { ...test, id: idByKey.get(key) };
        }),
      },
    ]),
  );

  const renumbered = (report) => {
    const keys = keysById(report);
    const ids = (list) => list?.map((id) => idByKey.get(keys.get(id))).filter((id) => id !== undefined);
    return Object.fromEntries(
      Object.entries(report.files ?? {}).map(([file, entry]) => [
        file,
        { ...entry, mutants: entry.mutants.map((mutant) => ({ ...mutant, killedBy: ids(mutant.killedBy), coveredBy: ids(mutant.coveredBy) })) },
      ]),
    );
  };
  return { ...run, files: { ...renumbered(record), ...renumbered(run) }, testFiles: numberedTestFiles };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = process.argv.slice(2);
  if (runs.length === 0) {
    console.error('usage: node scripts/mutation-record.mjs <run.json> [more runs...]');
    process.exit(2);
  }
  const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
  let record = read(RECORD_FILE);
  for (const run of runs) {
    const report = read(run);
    record = layOver(record, report);
    console.log(`mutation: laid ${Object.keys(report.files).length} modules of ${run} over ${RECORD_FILE}`);
  }
  writeFileSync(RECORD_FILE, JSON.stringify(record));
}
