/**
 * What `npm start` serves besides the functions: `/openapi.json`, the `/docs` page with its Swagger UI
 * files from node_modules, and the development outbox, only with the embedded Appwrite double.
 * A real server on loopback, over HTTP.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { kitFunctions } from '../../functions/index.js';
import { createFunctionApp } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { defineFunction } from '../../shared/platform.js';
import { defineRoutes, serveRoutes } from '../../shared/routes.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { createServerRoutes } from '../../shared/runtime/server-routes.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const swaggerUi = join(root, 'node_modules', 'swagger-ui-dist');

/** A function whose name starts like a server path: `/docs-extra` must still reach it. */
const lookalikeRoutes = defineRoutes({
  index: { method: 'get', path: '/', summary: 'Says hi.', answers: { 200: { description: 'Hi.', schema: z.object({ hi: z.boolean() }) } }, errors: [] },
});
const lookalikeDefinition = {
  name: 'docs-extra',
  summary: 'A function named like a server path.',
  configSchema: z.object({}),
  ports: {},
  routes: lookalikeRoutes,
  createApp: () => serveRoutes(createFunctionApp({ logger: silentLogger }), lookalikeRoutes, { index: (c) => c.json({ hi: true }) }),
};
const lookalike = defineFunction(lookalikeDefinition);

describe('npm start with the embedded Appwrite', () => {
  let server: RunningNodeServer;
  beforeAll(async () => {
    server = await startNodeServer({ env: { PORT: '0' }, functions: [...kitFunctions, lookalike], logger: silentLogger });
  });
  afterAll(() => server?.close());

  it('GET /openapi.json: the mounted document of every function, with this server as its server', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const document = (await response.json()) as Record<string, unknown>;
    expect(document).toEqual(openApiDocument([...kitFunctions, lookalike], { mounted: true, serverUrl: server.url }));
    expect(document['servers']).toEqual([{ url: server.url }]);
    expect(Object.keys(document['paths'] as object)).toContain('/password/login');
  });

  it('GET /openapi.json only: another method is a 405 in the kit shape', async () => {
    const response = await fetch(`${server.url}/openapi.json`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ code: 405, type: 'method_not_allowed' });
  });

  it('GET /docs: a page that starts Swagger UI on /openapi.json, from files served here', async () => {
    for (const path of ['/docs', '/docs/']) {
      const page = await fetch(`${server.url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      // Every script and stylesheet is local: the page must work on a machine with no network.
      const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
      expect(sources.sort()).toEqual(['/docs/favicon-16x16.png', '/docs/favicon-32x32.png', '/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']);
      for (const source of sources) expect((await fetch(`${server.url}${source}`)).status, source).toBe(200);
    }
    const init = await fetch(`${server.url}/docs/init.js`);
    expect(init.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await init.text();
    expect(script).toContain("url: '/openapi.json'");
    expect(script).toContain('validatorUrl: null');
  });

  it.each([
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['favicon-32x32.png', 'image/png'],
  ])('serves /docs/%s from swagger-ui-dist as %s', async (name, type) => {
    const response = await fetch(`${server.url}/docs/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(Buffer.from(await response.arrayBuffer()).equals(await readFile(join(swaggerUi, name)))).toBe(true);
  });

  it.each(['/docs/index.html', '/docs/package.json', '/docs/..%2Fpackage.json', '/docs/%2e%2e%2f%2e%2e%2fpackage.json', '/docs/constructor', '/docs/a/swagger-ui.css'])(
    'serves nothing outside its allowlist: %s is a 404 in the kit shape',
    async (path) => {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 404, type: 'not_found' });
    },
  );

  it('GET /_dev/outbox: what the double "sent", as JSON; DELETE clears it', async () => {
    const outbox = server.devAppwrite!.store.outbox;
    outbox.clear();
    const entry = { messageId: 'm1', channel: 'email' as const, userId: 'alice', to: 'alice@example.com', subject: 'Your sign-in code', content: 'Code 4f2a9c', html: false, createdAt: '2026-01-15T12:00:00.000+00:00' };
    outbox.record(entry);

    const response = await fetch(`${server.url}/_dev/outbox`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    // It holds login codes: no cache may keep it.
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ limit: outbox.limit, entries: [entry] });

    const cleared = await fetch(`${server.url}/_dev/outbox`, { method: 'DELETE' });
    expect(cleared.status).toBe(204);
    expect(outbox.list()).toEqual([]);
    expect(await (await fetch(`${server.url}/_dev/outbox`)).json()).toEqual({ limit: outbox.limit, entries: [] });
  });

  it('shadows no function, and no function shadows it', async () => {
    const lookalikeAnswer = await fetch(`${server.url}/docs-extra`);
    expect(await lookalikeAnswer.json()).toEqual({ hi: true });
    const login = await fetch(`${server.url}/password/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(login.status).toBe(400);
    const health = await fetch(`${server.url}/health`);
    await expectDocumentedAnswer(openApiDocument(kitFunctions, { mounted: true }), 'get', '/health', health);
    expect(await health.json()).toEqual({ status: 'ok', functions: [...kitFunctions, lookalike].map((fn) => fn.name) });
  });
});

describe('GET /health with a notice', () => {
  it('lists what an operator must see (a development provider) and matches the document', async () => {
    const server = await startNodeServer({ env: { PORT: '0', CAPTCHA_PROVIDER: 'development' }, functions: kitFunctions, logger: silentLogger });
    try {
      const health = await fetch(`${server.url}/health`);
      const body = (await health.clone().json()) as { notices?: string[] };
      expect(body.notices).toEqual([expect.stringContaining('captcha: the development provider')]);
      await expectDocumentedAnswer(openApiDocument(kitFunctions, { mounted: true }), 'get', '/health', health);
    } finally {
      await server.close();
    }
  });
});

describe('npm start with a real Appwrite configured', () => {
  let server: RunningNodeServer;
  beforeAll(async () => {
    // Never reached: the outbox route must not depend on Appwrite, only on there being no double.
    server = await startNodeServer({
      env: { PORT: '0', APPWRITE_ENDPOINT: 'http://127.0.0.1:9/v1', APPWRITE_PROJECT_ID: 'elsewhere', APPWRITE_API_KEY: 'a-real-looking-key' },
      functions: kitFunctions,
      logger: silentLogger,
    });
  });
  afterAll(() => server?.close());

  it.each(['GET', 'DELETE'])('%s /_dev/outbox does not exist: 404 in the kit shape', async (method) => {
    expect(server.devAppwrite).toBeNull();
    const response = await fetch(`${server.url}/_dev/outbox`, { method });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: `No route for ${method} /_dev/outbox.`, code: 404, type: 'not_found' });
  });

  it('still serves /openapi.json and /docs', async () => {
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
  });
});

describe('GET /docs without Swagger UI installed', () => {
  it('answers its assets 404 with how to fix it, never a 500', async () => {
    const routes = createServerRoutes({
      functions: kitFunctions,
      url: 'http://127.0.0.1:3000',
      dev: null,
      logger: silentLogger,
      swaggerUiDirectory: () => join(root, 'test', 'no-such-swagger-ui'),
    });
    const asset = await routes.request('/docs/swagger-ui-bundle.js');
    expect(asset.status).toBe(404);
    expect(await asset.json()).toMatchObject({ type: 'not_found', message: expect.stringContaining('swagger-ui-dist') });
    expect((await routes.request('/docs')).status).toBe(200);
  });
});

describe('startNodeServer refuses', () => {
  it.each(['docs', 'health', 'v1'])('a function named %s, whose paths the server answers itself', async (name) => {
    const clash = defineFunction({ ...lookalikeDefinition, name });
    await expect(startNodeServer({ env: { PORT: '0' }, functions: [clash], logger: silentLogger })).rejects.toThrow(`Function names ${name} are taken`);
  });
});

describe('swagger-ui-dist stays out of the Worker and Appwrite bundles', () => {
  it.each([
    ['the Worker', 'entries/worker.ts', ['workerd', 'worker']],
    ['an Appwrite function', 'shared/runtime/appwrite.ts', []],
  ])('%s (%s) never reaches shared/runtime/node.ts, server-routes.ts or swagger-ui-dist', async (_, entry, conditions) => {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      conditions,
      external: ['cloudflare:*', '@node-rs/*'],
      loader: { '.wasm': 'empty' },
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(10);
    expect(inputs.filter((input) => input.includes('swagger-ui-dist') || input === 'shared/runtime/node.ts' || input === 'shared/runtime/server-routes.ts')).toEqual([]);
  });
});
