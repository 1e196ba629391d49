// `npm run mutate:changed`, the CI form of `npm run mutate`: mutation-tests only the listed modules
// (stryker.config.mjs `mutate`) that changed since the last recorded run, the last commit of
// reports/stryker-incremental.json. Stryker's incremental mode then reuses that run's results for
// every mutant whose code and covering tests did not change. A full run takes hours on two cores;
// this takes seconds when no listed module changed, and minutes per module that did.
//
//   npm run mutate:changed                        # modules changed since the recorded run
//   MUTATE_BASE=origin/main npm run mutate:changed  # modules changed since another commit
//   npm run mutate:changed -- --record            # and write their new results into the record
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import config from '../stryker.config.mjs';
import { layOver } from './mutation-record.mjs';

const git = (...args) => {
  const result = spawnSync('git', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout.trim();
};

/** The files the `mutate` globs select, negations applied in order, as Stryker reads them. */
function listedModules() {
  const selected = new Set();
  for (const pattern of config.mutate) {
    const negated = pattern.startsWith('!');
    for (const file of globSync(negated ? pattern.slice(1) : pattern)) {
      if (negated) selected.delete(file);
      else selected.add(file);
    }
  }
  return selected;
}

const base = process.env.MUTATE_BASE || git('log', '-1', '--format=%H', '--', config.incrementalFile);
const listed = listedModules();
// With no recorded run every listed module counts as changed: the first run is the full one.
const changed = base
  ? git('diff', '--name-only', base, '--').split('\n').filter((file) => listed.has(file))
  : [...listed];

/** The recorded score of each module: detected mutants (killed, timed out) of those that count. */
function printRecordedScores() {
  if (!existsSync(config.incrementalFile)) return;
  const { files } = JSON.parse(readFileSync(config.incrementalFile, 'utf8'));
  for (const [file, { mutants }] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const count = (...statuses) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
    const valid = count('Killed', 'Timeout', 'Survived', 'NoCoverage');
    const score = valid === 0 ? 'n/a' : `${((100 * count('Killed', 'Timeout')) / valid).toFixed(2)} %`;
    console.log(`  ${score.padStart(8)}  ${file} (${valid} mutants, ${count('Survived')} survived, ${count('NoCoverage')} uncovered)`);
  }
}

if (changed.length === 0) {
  console.log(`mutation: none of the ${listed.size} listed modules changed since ${base.slice(0, 12)}; nothing to run. Recorded scores:`);
  printRecordedScores();
  process.exit(0);
}
console.log(`mutation: ${changed.length} of ${listed.size} listed modules changed since ${base ? base.slice(0, 12) : 'no recorded run'}: ${changed.join(', ')}`);
// A copy holding only the changed modules' recorded results: a run over a few modules never
// overwrites the record of all of them, and its score (which the break threshold judges) is
// theirs alone, not the record's whole.
const scratch = 'reports/stryker-incremental.changed.json';
mkdirSync('reports', { recursive: true });
if (existsSync(config.incrementalFile)) {
  const record = JSON.parse(readFileSync(config.incrementalFile, 'utf8'));
  const files = Object.fromEntries(Object.entries(record.files).filter(([file]) => changed.includes(file)));
  writeFileSync(scratch, JSON.stringify({ ...record, files }));
}
const stryker = spawnSync('npx', ['stryker', 'run', '--mutate', changed.join(','), '--incrementalFile', scratch], { stdio: 'inherit' });
if (process.argv.includes('--record') && stryker.status === 0) {
  // The run's report holds only the modules it mutated: lay them over the record's others, its test
  // ids translated (see mutation-record.mjs).
  const read = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { files: {}, testFiles: {} });
  const run = read(scratch);
  writeFileSync(config.incrementalFile, JSON.stringify(layOver(read(config.incrementalFile), run)));
  console.log(`mutation: recorded ${Object.keys(run.files).length} modules in ${config.incrementalFile}`);
}
process.exit(stryker.status ?? 1);
