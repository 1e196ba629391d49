/**
 * The hello example through `scripts/build-appwrite.mjs`, as a forker would build a function folder,
 * then run the way Appwrite runs it: a plain `node` process (no tsx, no vitest) loads the bundle
 * (`await import(file)`, its default export) and serves one request through the open-runtimes fake.
 *
 * The password function is built the same way alongside it, so the argon2 check below can fail.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest } from '../helpers/open-runtimes.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fakeRuntime = pathToFileURL(fileURLToPath(new URL('../helpers/open-runtimes.ts', import.meta.url))).href;

// Runs in the child. The fake is TypeScript with erasable syntax only, which Node strips itself
// (the flag is the default from Node 22.18 on and only needed before); the bundle is plain ESM.
const loader = `
const [bundle, fake, request] = process.argv.slice(1);
const { invokeOpenRuntimes } = await import(fake);
const mod = await import(bundle);
const result = await invokeOpenRuntimes(mod.default, JSON.parse(request));
console.log(JSON.stringify({ type: typeof mod.default, statusCode: result.statusCode, body: result.text(), failed: result.failed, errors: result.errors }));
`;

interface Execution {
  type: string;
  statusCode: number;
  body: string;
  failed: boolean;
  errors: string[];
}

/** One execution of a built bundle in a fresh `node`, whose process.env is exactly `env` (plus PATH). */
async function execute(file: string, request: RawRequest, env: Record<string, string>): Promise<Execution> {
  const { stdout } = await run(
    process.execPath,
    ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', loader, pathToFileURL(file).href, fakeRuntime, JSON.stringify(request)],
    // Outside the repository: nothing the bundle forgot can be found in a node_modules nearby.
    { cwd: outdir, env: { PATH: process.env['PATH'] ?? '', ...env } },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Execution;
}

let outdir: string;
let helloCode: string;
let passwordCode: string;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'kit-hello-bundle-'));
  const { stdout } = await run(process.execPath, ['scripts/build-appwrite.mjs', '--outdir', outdir, 'test/fixtures/hello', 'functions/password'], {
    cwd: root,
  });
  expect(stdout).toMatch(/hello\.js\s+\d+ KiB/);
  helloCode = await readFile(join(outdir, 'hello.js'), 'utf8');
  passwordCode = await readFile(join(outdir, 'password.js'), 'utf8');
}, 60_000);

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

describe('hello built by scripts/build-appwrite.mjs', () => {
  it('carries no argon2, native or Wasm; the password bundle built the same way does', () => {
    expect(helloCode).not.toContain('@node-rs/argon2');
    expect(helloCode).not.toContain('@phi-ag/argon2');
    expect(passwordCode).toContain('@node-rs/argon2');
  });

  it('imports nothing but Node built-ins', () => {
    const specifiers = [...helloCode.matchAll(/^import .+ from ["']([^"']+)["'];?$/gm)].map((match) => match[1]);
    expect(specifiers.filter((specifier) => !specifier?.startsWith('node:'))).toEqual([]);
  });

  it('loads under plain Node as open-runtimes loads it, and serves /greet from process.env', async () => {
    const result = await execute(
      join(outdir, 'hello.js'),
      { method: 'POST', url: '/greet', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada' }) },
      {
        // What Appwrite sets on every execution; nothing listens on port 9, and hello never calls it.
        APPWRITE_FUNCTION_API_ENDPOINT: 'http://127.0.0.1:9/v1',
        APPWRITE_FUNCTION_PROJECT_ID: 'kit',
        APPWRITE_API_KEY: 'hello-test-key',
        HELLO_GREETING: 'Howdy',
        // A value the argon2 port would refuse with config_invalid: hello must never read it.
        ARGON2_MAX_CONCURRENCY: '0',
      },
    );
    expect(result).toEqual({ type: 'function', statusCode: 200, body: JSON.stringify({ greeting: 'Howdy, Ada!' }), failed: false, errors: [] });
  });
});
