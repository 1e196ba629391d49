/**
 * The OpenAPI document of the kit's functions is valid OpenAPI 3.1, mounted (npm start, the Worker)
 * and at the root (one Appwrite function), and describes the paths Hono really serves.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { kitFunctions } from '../../functions/index.js';
import { openApiDocument } from '../../shared/openapi.js';
import { defineFunction } from '../../shared/platform.js';
import { defineRoutes, serveRoutes } from '../../shared/routes.js';
import { createFunctionApp } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { mountFunctions } from '../../shared/runtime/mount.js';
import { createTestPlatform } from '../helpers/platform.js';

type Json = Record<string, unknown>;

/**
 * What the validator finds wrong with a document: the OpenAPI 3.1 schema, then every schema in it
 * compiled as strict JSON Schema 2020-12 (the OpenAPI schema itself takes any object as a schema).
 */
async function documentErrors(document: Json): Promise<unknown[]> {
  const result = await new Validator().validate(structuredClone(document));
  if (!result.valid) return Array.isArray(result.errors) ? result.errors : [result.errors];
  const ajv = new Ajv2020({ strict: true });
  addFormats.default(ajv);
  const errors: unknown[] = [];
  const visit = (value: unknown, at: string) => {
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'schema' && inner && typeof inner === 'object') {
        try {
          ajv.compile(inner as Json);
        } catch (error) {
          errors.push(`${at}/schema: ${(error as Error).message}`);
        }
      } else visit(inner, `${at}/${key}`);
    }
  };
  visit(document['paths'], '#/paths');
  return errors;
}

const mounted = openApiDocument(kitFunctions, { mounted: true, serverUrl: 'http://127.0.0.1:3000' });
const root = (fn = kitFunctions[0]!) => openApiDocument([fn], { mounted: false });

describe('openApiDocument(kitFunctions)', () => {
  it('is valid OpenAPI 3.1 mounted, with every function under /<name> and /health', async () => {
    expect(await documentErrors(mounted)).toEqual([]);
    expect(mounted['openapi']).toBe('3.1.0');
    const paths = Object.keys(mounted['paths'] as Json);
    for (const fn of kitFunctions) {
      for (const route of Object.values(fn.routes)) expect(paths).toContain(`/${fn.name}${route.path}`);
    }
    expect(paths).toContain('/health');
  });

  it.each(kitFunctions.map((fn) => [fn.name, fn] as const))('is valid OpenAPI 3.1 at the root for %s alone', async (_, fn) => {
    const document = root(fn);
    expect(await documentErrors(document)).toEqual([]);
    expect(Object.keys(document['paths'] as Json).sort()).toEqual(Object.values(fn.routes).map((route) => route.path).sort());
  });

  it('the validation can fail: a broken document has errors', async () => {
    const broken = structuredClone(mounted) as { paths: Record<string, Record<string, { responses: Record<string, Json> }>> };
    delete broken.paths['/password/login']!['post']!.responses['200']!['description'];
    expect((await documentErrors(broken)).length).toBeGreaterThan(0);
    const badSchema = structuredClone(mounted) as { paths: Record<string, Record<string, { responses: Record<string, Json> }>> };
    badSchema.paths['/health']!['get']!.responses['200']!['content'] = { 'application/json': { schema: { type: 'no-such-type' } } };
    expect((await documentErrors(badSchema)).length).toBeGreaterThan(0);
  });

  it('documents Retry-After wherever an answer carries it: 429 rate_limited and 503 server_busy', () => {
    for (const document of [mounted, root()]) {
      const login = Object.entries(document['paths'] as Record<string, Record<string, { responses: Record<string, Json> }>>).find(([path]) => path.endsWith('/login'))!;
      expect(login[1]['post']!.responses['429']!['headers']).toHaveProperty('Retry-After');
      expect(login[1]['post']!.responses['503']!['headers']).toHaveProperty('Retry-After');
    }
  });
});

describe('paths as Hono serves them', () => {
  const routes = defineRoutes({
    index: { method: 'get', path: '/', summary: 'The index.', answers: { 200: { description: 'Hello.', schema: z.object({ hello: z.string() }) } }, errors: [] },
    item: { method: 'get', path: '/items/:itemId', summary: 'One item.', answers: { 200: { description: 'The item.', schema: z.object({ id: z.string() }) } }, errors: ['not_found'] },
  });
  const sample = defineFunction({
    name: 'sample',
    summary: 'A sample.',
    configSchema: z.object({}),
    ports: {},
    routes,
    createApp: () =>
      serveRoutes(createFunctionApp({ logger: silentLogger }), routes, {
        index: (c) => c.json({ hello: 'world' }),
        item: (c) => c.json({ id: c.req.param('itemId') }),
      }),
  });

  it("documents a function's / mounted as /<name>, the path that answers, and declares path parameters", async () => {
    const document = openApiDocument([sample], { mounted: true });
    const paths = document['paths'] as Record<string, Record<string, Json>>;
    expect(Object.keys(paths).sort()).toEqual(['/health', '/sample', '/sample/items/{itemId}']);
    expect(paths['/sample/items/{itemId}']!['get']!['parameters']).toEqual([{ name: 'itemId', in: 'path', required: true, schema: { type: 'string' } }]);
    expect(await documentErrors(document)).toEqual([]);

    const app = mountFunctions([sample], {}, createTestPlatform().runtime);
    expect((await app.request('/sample', {}, { clientIp: null })).status).toBe(200);
    expect((await app.request('/sample/', {}, { clientIp: null })).status).toBe(404);
    expect(await (await app.request('/sample/items/42', {}, { clientIp: null })).json()).toEqual({ id: '42' });

    expect(Object.keys(openApiDocument([sample], { mounted: false })['paths'] as Json).sort()).toEqual(['/', '/items/{itemId}']);
  });

  it("documents on Appwrite the 503 its request budget answers on every route, though none declares it", () => {
    const operations = (document: Json) =>
      Object.values(document['paths'] as Record<string, Record<string, { responses: Record<string, Json> }>>).flatMap((item) => Object.values(item));
    for (const operation of operations(openApiDocument([sample], { mounted: false }))) {
      expect(operation.responses['503']).toMatchObject({ description: 'appwrite_unavailable' });
    }
    // Mounted (Node, Worker) there is no such budget.
    for (const operation of operations(openApiDocument([sample], { mounted: true }))) expect(operation.responses['503']).toBeUndefined();
  });
});
