/**
 * `npm run size`: what each Worker build uploads, counted as wrangler counts it, and which packages
 * make it up.
 *
 * Each build is `wrangler deploy <entry> --dry-run --metafile`: wrangler's own esbuild run, with
 * everything it sets (conditions `workerd`/`worker`/`browser`, the `[alias]`es, `minify`,
 * `keep_names`), so the breakdown describes the bundle that ships, not a look-alike. The size is
 * wrangler's "Total Upload": every module it uploads (the bundle and the argon2 `.wasm` files, not
 * the source map) concatenated, and that gzipped at zlib's default level.
 *
 * @example
 * ```sh
 * npm run size                                   # both builds, with the per-package breakdown
 * npm run size -- --top 10                       # the ten largest packages only
 * ```
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const wrangler = join(root, 'node_modules/wrangler/bin/wrangler.js');

/** The builds the issue sets budgets for (issue 8, goal 2), with their entries. */
export const workerBuilds = [
  { name: 'password only', entry: 'entries/worker-password.ts', goalKiB: 60 },
  { name: 'every function', entry: 'entries/worker.ts', goalKiB: 150 },
] as const;

/** One package's (or one kit folder's) share of the bundle. */
export interface PackageShare {
  name: string;
  /** Minified bytes in the bundle (esbuild's metafile). */
  bytes: number;
  /**
   * What it adds to the gzip total: the total less the gzip of every module with this package's
   * code cut out (located through the source map). Only for the largest packages (`gzipCostOf`).
   */
  gzipCost?: number;
}

/** What one Worker build uploads. */
export interface WorkerSize {
  entry: string;
  /** Every uploaded module's bytes: the bundle and the `.wasm` files. */
  raw: number;
  /** Those modules concatenated and gzipped, as wrangler's "Total Upload" reports. */
  gzip: number;
  /** The `.wasm` modules' bytes, part of `raw`. */
  wasm: number;
  /** The `.wasm` modules gzipped on their own. */
  wasmGzip: number;
  /** What wrangler printed, e.g. `267.54 KiB / gzip: 85.61 KiB`. */
  reported: string;
  /** The bundle's bytes by package, largest first, from esbuild's metafile. */
  packages: PackageShare[];
  /** The sum of `packages`: the bundle less esbuild's own glue. */
  attributed: number;
  /** The bundle's bytes by source file (paths relative to the repository, as esbuild names them). */
  files: Record<string, number>;
}

/** Whose code a bundled file is: `zod`, `@peculiar/x509`, or the kit folder (`shared/rate-limit`, `functions/password`). */
export function ownerOf(path: string): string {
  const inPackage = path.lastIndexOf('node_modules/');
  if (inPackage >= 0) {
    const parts = path.slice(inPackage + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const parts = path.replace(/^(\.\.\/)+/, '').split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.join('/');
}

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The numbers of one source-map segment (base64 VLQ, as the source map spec encodes them). */
function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** Which source index each stretch of the bundle comes from: `[start, end, source]` offsets into `code`. */
function stretchesOf(code: string, mappings: string): Array<[number, number, number]> {
  const stretches: Array<[number, number, number]> = [];
  let lineStart = 0;
  let source = 0;
  const lines = mappings.split(';');
  for (const [index, line] of lines.entries()) {
    const lineEnd = code.indexOf('\n', lineStart) === -1 ? code.length : code.indexOf('\n', lineStart);
    let column = 0;
    let current: [number, number, number] | undefined;
    for (const segment of line.split(',').filter(Boolean)) {
      const [columnDelta = 0, sourceDelta] = decodeSegment(segment);
      column += columnDelta;
      if (current) current[1] = lineStart + column;
      if (sourceDelta === undefined) {
        current = undefined;
        continue;
      }
      source += sourceDelta;
      current = [lineStart + column, lineEnd, source];
      stretches.push(current);
    }
    if (index < lines.length - 1) lineStart = lineEnd + 1;
  }
  return stretches;
}

/**
 * Adds `gzipCost` to the `top` largest packages: what each adds to the gzip of the whole upload.
 * Minified bytes overstate what compresses well (metadata tables) and understate what does not.
 */
function addGzipCosts(packages: PackageShare[], code: string, map: { sources: string[]; mappings: string }, ownerOfSource: (source: string) => string, wasm: Buffer[], top: number): void {
  const stretches = stretchesOf(code, map.mappings);
  const owners = map.sources.map(ownerOfSource);
  const total = gzipSync(Buffer.concat([Buffer.from(code), ...wasm])).length;
  for (const share of packages.slice(0, top)) {
    const kept: string[] = [];
    let from = 0;
    for (const [start, end, source] of stretches) {
      if (owners[source] !== share.name) continue;
      kept.push(code.slice(from, start));
      from = end;
    }
    kept.push(code.slice(from));
    share.gzipCost = total - gzipSync(Buffer.concat([Buffer.from(kept.join('')), ...wasm])).length;
  }
}

/**
 * Builds one entry as `wrangler deploy` would (dry run) and measures it. `gzipCostOf` packages
 * (the largest) also get their share of the gzip total.
 *
 * @example
 * ```ts
 * const size = await measureWorker('entries/worker-password.ts');
 * console.log((size.gzip / 1024).toFixed(1), 'KiB gzip');
 * ```
 */
export async function measureWorker(entry: string, options: { gzipCostOf?: number } = {}): Promise<WorkerSize> {
  const outdir = await mkdtemp(join(tmpdir(), 'kit-worker-size-'));
  try {
    const metafile = join(outdir, 'meta.json');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [wrangler, 'deploy', entry, '--dry-run', '--outdir', join(outdir, 'out'), '--metafile', metafile],
      { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
    const reported = /Total Upload: ([^\n]+)/.exec(`${stdout}\n${stderr}`)?.[1]?.trim();
    if (!reported) throw new Error(`wrangler printed no "Total Upload" for ${entry}:\n${stdout}\n${stderr}`);

    const uploaded = (await readdir(join(outdir, 'out'))).filter((file) => file.endsWith('.js') || file.endsWith('.wasm')).sort();
    const modules = await Promise.all(uploaded.map((file) => readFile(join(outdir, 'out', file))));
    const raw = modules.reduce((sum, bytes) => sum + bytes.length, 0);
    const wasmModules = modules.filter((_, i) => uploaded[i]!.endsWith('.wasm'));
    const wasm = wasmModules.reduce((sum, bytes) => sum + bytes.length, 0);
    const wasmGzip = gzipSync(Buffer.concat(wasmModules)).length;
    // Wrangler gzips the modules as one blob at the default level (bundle-reporter's getSize).
    const gzip = gzipSync(Buffer.concat(modules)).length;

    const meta = JSON.parse(await readFile(metafile, 'utf8')) as Metafile;
    const bundle = Object.entries(meta.outputs).find(([path]) => path.endsWith('.js'))?.[1];
    if (!bundle) throw new Error(`the metafile of ${entry} lists no bundle`);
    const files = Object.fromEntries(Object.entries(bundle.inputs).map(([path, input]) => [path, input.bytesInOutput]));
    const byOwner = new Map<string, number>();
    for (const [path, bytes] of Object.entries(files)) byOwner.set(ownerOf(path), (byOwner.get(ownerOf(path)) ?? 0) + bytes);
    const packages = [...byOwner].map(([name, bytes]) => ({ name, bytes })).filter((one) => one.bytes > 0).sort((a, b) => b.bytes - a.bytes);
    const attributed = packages.reduce((sum, one) => sum + one.bytes, 0);
    if (options.gzipCostOf) {
      const script = uploaded.find((file) => file.endsWith('.js'))!;
      const map = JSON.parse(await readFile(join(outdir, 'out', `${script}.map`), 'utf8')) as { sources: string[]; mappings: string };
      // The map names sources relative to the bundle's folder; the metafile relative to the project.
      const fromProject = (source: string) => ownerOf(relative(root, resolve(outdir, 'out', source)));
      addGzipCosts(packages, modules[uploaded.indexOf(script)]!.toString('utf8'), map, fromProject, wasmModules, options.gzipCostOf);
    }
    return { entry, raw, gzip, wasm, wasmGzip, reported, packages, attributed, files };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The report for one build: totals, the check against wrangler, then the largest packages. */
export function renderSize(name: string, size: WorkerSize, goalKiB: number, top: number): string {
  const bundle = size.raw - size.wasm;
  const lines = [
    `${name} (${size.entry}): ${kib(size.raw)} raw, ${kib(size.gzip)} gzip (goal <= ${goalKiB} KiB gzip: ${size.gzip / 1024 <= goalKiB ? 'met' : 'not met'})`,
    `  wrangler: Total Upload ${size.reported}; .wasm modules ${kib(size.wasm)} of the raw size`,
    `  .wasm modules alone: ${kib(size.wasmGzip)} gzip`,
    `  metafile: ${kib(size.attributed)} attributed to packages = ${((size.attributed / bundle) * 100).toFixed(1)} % of the ${kib(bundle)} bundle`,
    `  ${'package'.padEnd(34)} ${'minified'.padStart(10)}  share  ${'adds to gzip'.padStart(12)}`,
  ];
  for (const one of size.packages.slice(0, top)) {
    const cost = one.gzipCost === undefined ? '' : kib(one.gzipCost).padStart(12);
    lines.push(`  ${one.name.padEnd(34)} ${kib(one.bytes).padStart(10)}  ${((one.bytes / bundle) * 100).toFixed(1).padStart(5)} %  ${cost}`);
  }
  const rest = size.packages.slice(top);
  if (rest.length > 0) lines.push(`  ${`${rest.length} more`.padEnd(34)} ${kib(rest.reduce((sum, one) => sum + one.bytes, 0)).padStart(10)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { top: { type: 'string', default: '25' } } });
  const top = Number(values.top);
  for (const build of workerBuilds) {
    console.log(renderSize(build.name, await measureWorker(build.entry, { gzipCostOf: top }), build.goalKiB, top));
    console.log();
  }
  console.log('Sizes in KiB (1024 bytes), as wrangler prints them; gzip includes the .wasm modules.');
  console.log("'adds to gzip': the total less the gzip of the upload with that package's code cut out (source map).");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
