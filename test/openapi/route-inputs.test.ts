/**
 * Routes as data beyond a required JSON body: query parameters, an HTML form body, a JSON body a
 * request may leave out, and 302 answers. Each is served as declared (validated, or refused with
 * the kit's types) and described as served in the OpenAPI document, which must stay a valid
 * OpenAPI 3.1 document; the conformance checker holds a redirect to its `Location`.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createFunctionApp } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { defineFunction } from '../../shared/platform.js';
import { defineRoutes, serveRoutes } from '../../shared/routes.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { createTestPlatform } from '../helpers/platform.js';

const routes = defineRoutes({
  go: {
    method: 'get',
    path: '/go',
    summary: 'Redirects to a page.',
    query: z.object({ to: z.string().max(20).describe('Where to go.'), note: z.string().optional() }),
    answers: { 302: { description: 'Off you go.' } },
    errors: [],
  },
  hook: {
    method: 'post',
    path: '/hook',
    summary: 'Takes a form.',
    body: z.object({ token: z.string().min(1) }),
    bodyType: 'form',
    answers: { 200: { description: 'Its length.', schema: z.object({ length: z.number() }) } },
    errors: [],
  },
  maybe: {
    method: 'post',
    path: '/maybe',
    summary: 'Takes an optional JSON body.',
    body: z.object({ token: z.string().optional() }),
    bodyOptional: true,
    answers: { 200: { description: 'What came.', schema: z.object({ token: z.string().nullable() }) } },
    errors: [],
  },
});

const inputs = defineFunction({
  name: 'inputs',
  summary: 'Route inputs.',
  configSchema: z.object({}),
  ports: {},
  routes,
  createApp: () =>
    serveRoutes(createFunctionApp({ logger: silentLogger }), routes, {
      go: (c, { query }) => c.redirect(`https://example.com/${encodeURIComponent(query.to)}${query.note ? `?note=${query.note.length}` : ''}`, 302),
      hook: (c, { body }) => c.json({ length: body.token.length }),
      maybe: (c, { body }) => c.json({ token: body.token ?? null }),
    }),
});

const app = inputs.build({}, createTestPlatform().runtime);
const document = openApiDocument([inputs], { mounted: false });
const form = (fields: string) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields });

async function answer(method: string, path: string, init: RequestInit = {}) {
  const response = await app.request(path, { method, ...init });
  await expectDocumentedAnswer(document, method, path, response);
  return response;
}

describe('query parameters', () => {
  it('reach the handler validated; a missing, doubled or too long one is 400 invalid_request naming it', async () => {
    const ok = await answer('get', '/go?to=home&note=hi');
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe('https://example.com/home?note=2');

    for (const query of ['', '?note=x', '?to=a&to=b', `?to=${'x'.repeat(21)}`]) {
      const refused = await answer('get', `/go${query}`);
      expect(refused.status, query).toBe(400);
      const body = (await refused.json()) as { type: string; message: string };
      expect(body.type).toBe('invalid_request');
      expect(body.message).toMatch(/^Invalid query: to/);
    }
  });
});

describe('a form body', () => {
  it('is read from application/x-www-form-urlencoded; JSON or no body is 415, a doubled field 400', async () => {
    const ok = await answer('post', '/hook', form('token=abc%20d'));
    expect(await ok.json()).toEqual({ length: 5 });

    const json = await answer('post', '/hook', { headers: { 'content-type': 'application/json' }, body: '{"token":"abc"}' });
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ type: 'unsupported_media_type' });
    expect((await answer('post', '/hook')).status).toBe(415);

    const doubled = await answer('post', '/hook', form('token=a&token=b'));
    expect(doubled.status).toBe(400);
    expect(await doubled.json()).toMatchObject({ type: 'invalid_request' });
  });
});

describe('an optional JSON body', () => {
  it('may be left out entirely; sent, it is JSON; anything else sent is still 415', async () => {
    expect(await (await answer('post', '/maybe')).json()).toEqual({ token: null });
    const sent = await answer('post', '/maybe', { headers: { 'content-type': 'application/json' }, body: '{"token":"t"}' });
    expect(await sent.json()).toEqual({ token: 't' });

    // Text without a type is a body, not "no body".
    expect((await answer('post', '/maybe', { body: 'token=t', headers: { 'content-type': '' } })).status).toBe(415);
    expect((await answer('post', '/maybe', form('token=t'))).status).toBe(415);
    expect((await answer('post', '/maybe', { headers: { 'content-type': 'application/json' }, body: '{"token":1}' })).status).toBe(400);
  });
});

describe('the OpenAPI document', () => {
  it('describes query parameters, the form body, the optional body and the redirect, and stays valid OpenAPI 3.1', async () => {
    const paths = document['paths'] as Record<string, Record<string, Record<string, unknown>>>;
    expect(paths['/go']!['get']!['parameters']).toEqual([
      { name: 'to', in: 'query', required: true, description: 'Where to go.', schema: { type: 'string', maxLength: 20 } },
      { name: 'note', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    expect(paths['/go']!['get']!['responses']).toMatchObject({
      '302': { description: 'Off you go.', headers: { Location: { required: true } } },
      '400': { description: 'invalid_request' },
    });
    expect(Object.keys(paths['/hook']!['post']!['requestBody'] as object)).toEqual(['required', 'content']);
    expect(paths['/hook']!['post']!['requestBody']).toMatchObject({ required: true, content: { 'application/x-www-form-urlencoded': {} } });
    expect(paths['/maybe']!['post']!['requestBody']).toMatchObject({ required: false, content: { 'application/json': {} } });

    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('holds a redirect to its Location: a 302 without one does not conform', async () => {
    await expect(expectDocumentedAnswer(document, 'get', '/go', new Response(null, { status: 302 }))).rejects.toThrow(/required header Location is missing/);
  });
});
