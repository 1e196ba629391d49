// Builds the Worker exactly as `wrangler deploy` would (dry run) and checks what it ships: the
// undici alias must hold, and no native addon may sneak in (workerd cannot load one).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const wrangler = join(root, 'node_modules/wrangler/bin/wrangler.js');

let outdir: string;
let output: string;
let files: string[];
let bundle: string;
let sources: string[];

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'kit-worker-'));
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [wrangler, 'deploy', '--dry-run', '--outdir', outdir],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
  );
  output = `${stdout}\n${stderr}`;
  files = await readdir(outdir, { recursive: true });
  bundle = await readFile(join(outdir, 'worker.js'), 'utf8');
  sources = (JSON.parse(await readFile(join(outdir, 'worker.js.map'), 'utf8')) as { sources: string[] }).sources;
}, 120_000);

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

describe('Worker bundle (wrangler deploy --dry-run)', () => {
  it('builds and reports its size', async () => {
    expect(output).toMatch(/--dry-run: exiting now/);
    const shipped = files.filter((file) => !file.endsWith('.map') && !file.endsWith('README.md'));
    let raw = 0;
    let gzip = 0;
    for (const file of shipped) {
      const bytes = await readFile(join(outdir, file));
      raw += (await stat(join(outdir, file))).size;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    const reported = /Total Upload: ([^\n]+)/.exec(output)?.[1] ?? 'not printed';
    console.log(
      `worker bundle: ${shipped.length} modules, ${(raw / 1024).toFixed(1)} KiB raw, ${(gzip / 1024).toFixed(1)} KiB gzip ` +
        `(wrangler: ${reported})`,
    );
    expect(raw).toBeGreaterThan(0);
  });

  it('contains no undici: node-appwrite goes through the platform fetch shim', () => {
    expect(sources.filter((source) => /node_modules\/undici\//.test(source))).toEqual([]);
    expect(sources.some((source) => source.endsWith('shared/runtime/undici-shim.ts'))).toBe(true);
    // llhttp is undici's HTTP parser; node:net its transport.
    expect(bundle).not.toMatch(/llhttp|["']node:net["']/);
  });

  it('contains no native addon', () => {
    expect(files.filter((file) => file.endsWith('.node'))).toEqual([]);
    expect(sources.filter((source) => source.includes('@node-rs'))).toEqual([]);
    expect(bundle).not.toContain('@node-rs');
  });

  it('ships the argon2 Wasm as one precompiled module (libargon2 with SIMD)', () => {
    expect(files.filter((file) => file.endsWith('.wasm')).map((file) => file.replace(/^[0-9a-f]+-/, '')).sort()).toEqual([
      'argon2.wasm',
    ]);
  });
});
