/**
 * Worker size (issue 8, goal 2): the password-only Worker (`entries/worker-password.ts`) <= 60 KiB
 * gzip and the Worker with every function (`entries/worker.ts`) <= 150 KiB, counted as wrangler's
 * "Total Upload" counts them (the bundle and its `.wasm` modules, gzipped together). Each note
 * names what adds most to that gzip (`npm run size` prints every package).
 *
 * @module
 */
import { measureWorker, workerBuilds } from '../../scripts/worker-size.js';
import type { BenchRow, BenchSection } from '../table.js';

const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

const section: BenchSection = {
  title: 'Worker size',
  async measure() {
    const rows: BenchRow[] = [];
    for (const build of workerBuilds) {
      const size = await measureWorker(build.entry, { gzipCostOf: 8 });
      const largest = size.packages
        .filter((one) => one.gzipCost !== undefined)
        .sort((a, b) => b.gzipCost! - a.gzipCost!)
        .slice(0, 4)
        .map((one) => `${one.name} ${kib(one.gzipCost!)}`)
        .join(', ');
      rows.push({
        runtime: 'Workers',
        figure: `${build.name} Worker, gzip (Total Upload, .wasm included)`,
        value: kib(size.gzip),
        unit: 'KiB',
        goal: { max: build.goalKiB },
        note: `${kib(size.raw)} KiB raw; adds most to the gzip: ${largest}, .wasm ${kib(size.wasmGzip)} KiB`,
      });
    }
    return rows;
  },
};

export default section;
