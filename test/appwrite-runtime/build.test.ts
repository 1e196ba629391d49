import { execFile } from 'node:child_process';
import { isBuiltin } from 'node:module';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';

// `npm run build:appwrite` output as Appwrite runs it: plain Node (no tsx, no vitest), the entry
// loaded the way open-runtimes' server.js does (require(), falling back to import() on
// ERR_REQUIRE_ESM), its default export called with an open-runtimes-shaped context.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = fileURLToPath(new URL('../../dist/appwrite/password.js', import.meta.url));

// Runs in a child `node`: loads the bundle like open-runtimes and executes one request.
const loader = `
const [file, method, path, env, body = ''] = process.argv.slice(1);
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
    headers: { host: 'localhost', 'content-type': 'application/json', 'x-appwrite-client-ip': '203.0.113.7' }, bodyBinary: Buffer.from(body), bodyText: body };
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

async function execute(method: string, path: string, env: Record<string, string>, body?: unknown): Promise<Execution> {
  const { stdout } = await run(process.execPath, ['-e', loader, bundle, method, path, JSON.stringify(env), body === undefined ? '' : JSON.stringify(body)], {
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

  it('bundles everything but the native argon2 addon, which it imports at the first verification, not at load', async () => {
    const code = await readFile(bundle, 'utf8');
    const imports = code.match(/^import .+ from ["'][^"']+["'];?$/gm) ?? [];
    const specifiers = imports.map((line) => /from ["']([^"']+)["']/.exec(line)?.[1]);
    expect(specifiers.filter((specifier) => !specifier?.startsWith('node:'))).toEqual([]);
    const dynamic = [...code.matchAll(/\bimport\(["']([^"']+)["']\)/g)].map((match) => match[1]!);
    expect(dynamic.filter((specifier) => !isBuiltin(specifier))).toEqual(['@node-rs/argon2']);
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

  it('verifies a password with the addon from node_modules, loaded at the first login', async () => {
    const key = 'ephemeral_build-test-key';
    const { app } = createDevAppwrite({
      projectId: 'kit-build-test',
      apiKeys: { [key]: ['users.read', 'users.write', 'rows.read', 'rows.write'] },
      passwordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    });
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const env = {
        APPWRITE_FUNCTION_API_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        APPWRITE_FUNCTION_PROJECT_ID: 'kit-build-test',
        APPWRITE_API_KEY: key,
      };
      const credentials = { username: 'bundle-user', password: 'correct horse battery staple' };
      expect((await execute('POST', '/register', env, credentials)).statusCode).toBe(201);
      const login = await execute('POST', '/login', env, credentials);
      expect(login.statusCode, login.body).toBe(200);
      expect(JSON.parse(login.body)).toMatchObject({ secret: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect((await execute('POST', '/login', env, { ...credentials, password: 'wrong horse battery staple' })).statusCode).toBe(401);
    } finally {
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    }
  });

  it('answers 500 config_invalid from process.env when variables are missing', async () => {
    const result = await execute('POST', '/login', {});
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toMatchObject({ code: 500, type: 'config_invalid' });
    expect(result.logs.join('\n')).toContain('APPWRITE_FUNCTION_API_ENDPOINT is required');
  });
});
