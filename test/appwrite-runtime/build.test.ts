import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

// `npm run build:appwrite` output as Appwrite runs it: plain Node (no tsx, no vitest), the entry
// loaded the way open-runtimes' server.js does (require(), falling back to import() on
// ERR_REQUIRE_ESM), its default export called with an open-runtimes-shaped context.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = fileURLToPath(new URL('../../dist/appwrite/password.js', import.meta.url));

// Runs in a child `node`: loads the bundle like open-runtimes and executes one request.
const loader = `
const [file, method, path, env] = process.argv.slice(1);
Object.assign(process.env, JSON.parse(env));
(async () => {
  let mod;
  try { mod = require(file); } catch (error) {
    if (error.code !== 'ERR_REQUIRE_ESM') throw error;
    mod = await import(file);
  }
  const fn = mod.default || mod;
  const logs = [];
  const res = {
    text(body, statusCode = 200, headers = {}) { return this.binary(Buffer.from(body, 'utf8'), statusCode, headers); },
    binary(bytes, statusCode = 200, headers = {}) { return { body: bytes, statusCode, headers }; },
  };
  const req = { method, path, queryString: '', url: 'http://localhost' + path, scheme: 'http', host: 'localhost', port: 80,
    headers: { host: 'localhost', 'content-type': 'application/json' }, bodyBinary: Buffer.alloc(0), bodyText: '' };
  const output = await fn({ req, res, log: (m) => logs.push(m), error: (m) => logs.push(m) });
  console.log(JSON.stringify({ type: typeof fn, statusCode: output.statusCode, headers: output.headers, body: Buffer.from(output.body).toString('utf8'), logs }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

interface Execution {
  type: string;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  logs: string[];
}

async function execute(method: string, path: string, env: Record<string, string>): Promise<Execution> {
  const { stdout } = await run(process.execPath, ['-e', loader, bundle, method, path, JSON.stringify(env)], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Execution;
}

describe('npm run build:appwrite', () => {
  beforeAll(async () => {
    const { stdout } = await run(process.execPath, ['scripts/build-appwrite.mjs', 'password'], { cwd: root });
    expect(stdout).toMatch(/dist\/appwrite\/password\.js\s+\d+ KiB/);
  });

  it('bundles everything but the native argon2 addon, which stays an import', async () => {
    const code = await readFile(bundle, 'utf8');
    const imports = code.match(/^import .+ from ["'][^"']+["'];?$/gm) ?? [];
    const specifiers = imports.map((line) => /from ["']([^"']+)["']/.exec(line)?.[1]);
    expect(specifiers.filter((specifier) => !specifier?.startsWith('node:'))).toEqual(['@node-rs/argon2']);
  });

  it('hands node-appwrite the platform fetch instead of bundling undici, which every cold start would parse', async () => {
    const code = await readFile(bundle, 'utf8');
    expect(code).not.toMatch(/node_modules\/undici\//);
    expect(code).toContain('shared/runtime/undici-shim.ts');
  });

  it('loads under plain Node as open-runtimes loads it, and serves a request', async () => {
    const result = await execute('GET', '/nope', {
      APPWRITE_FUNCTION_API_ENDPOINT: 'http://127.0.0.1:9/v1',
      APPWRITE_FUNCTION_PROJECT_ID: 'kit',
      APPWRITE_API_KEY: 'k',
    });
    expect(result.type).toBe('function');
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toMatchObject({ code: 404, type: 'not_found' });
  });

  it('answers 500 config_invalid from process.env when variables are missing', async () => {
    const result = await execute('POST', '/login', {});
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toMatchObject({ code: 500, type: 'config_invalid' });
    expect(result.logs.join('\n')).toContain('APPWRITE_FUNCTION_API_ENDPOINT is required');
  });
});
