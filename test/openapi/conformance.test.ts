/**
 * The checker the end-to-end tests run every answer through must be able to say no: an answer that
 * matches is accepted, and each way of not matching is rejected with a reason.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { kitFunctions } from '../../functions/index.js';
import { defineErrors } from '../../shared/errors.js';
import { createFunctionApp } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { defineFunction } from '../../shared/platform.js';
import { defineRoutes, serveRoutes } from '../../shared/routes.js';
import { answerProblems, expectDocumentedAnswer, OpenApiConformanceError } from '../helpers/openapi-conformance.js';

const mounted = openApiDocument(kitFunctions, { mounted: true });
const root = openApiDocument(kitFunctions, { mounted: false });
const json = (body: unknown, status: number) => Response.json(body, { status });
const token = { userId: 'pw-1', secret: 'a'.repeat(64), expire: '2026-01-15T12:00:00.000Z' };

describe('expectDocumentedAnswer', () => {
  it('accepts documented answers, mounted and at the root, and leaves the body readable', async () => {
    const response = json(token, 200);
    await expectDocumentedAnswer(mounted, 'post', '/password/login', response);
    expect(await response.json()).toEqual(token);
    await expectDocumentedAnswer(root, 'POST', '/login', json(token, 200));
    await expectDocumentedAnswer(root, 'post', '/login', json({ message: 'Invalid username or password.', code: 401, type: 'invalid_credentials' }, 401));
    await expectDocumentedAnswer(root, 'post', '/change', new Response(null, { status: 204 }));
  });

  it('rejects a body that does not match the schema of its status', async () => {
    const missingSecret = expectDocumentedAnswer(mounted, 'post', '/password/login', json({ userId: 'pw-1', expire: token.expire }, 200));
    await expect(missingSecret).rejects.toBeInstanceOf(OpenApiConformanceError);
    await expect(expectDocumentedAnswer(mounted, 'post', '/password/login', json({ userId: 'pw-1', expire: token.expire }, 200))).rejects.toThrow(
      /must have required property 'secret'/,
    );
    // An error type the route does not declare for that status, and a code that disagrees with the status.
    await expect(
      expectDocumentedAnswer(root, 'post', '/login', json({ message: 'Taken.', code: 409, type: 'username_taken' }, 409)),
    ).rejects.toThrow(/status 409 is not documented/);
    await expect(
      expectDocumentedAnswer(root, 'post', '/login', json({ message: 'No.', code: 401, type: 'username_taken' }, 401)),
    ).rejects.toThrow(/body\/type must be equal to one of the allowed values/);
    await expect(expectDocumentedAnswer(root, 'post', '/login', json({ ...token, extra: true }, 200))).rejects.toThrow(/additional properties/);
  });

  it('rejects an undocumented status, operation or path', async () => {
    await expect(expectDocumentedAnswer(mounted, 'post', '/password/login', json({ ok: true }, 418))).rejects.toThrow(
      /status 418 is not documented for POST \/password\/login \(documented: 200, 400, 401/,
    );
    await expect(expectDocumentedAnswer(mounted, 'get', '/password/login', json(token, 200))).rejects.toThrow(/is not a documented operation/);
    // A mounted path against the root document is not there, and the reverse.
    await expect(expectDocumentedAnswer(root, 'post', '/password/login', json(token, 200))).rejects.toThrow(/no documented path matches/);
    await expect(expectDocumentedAnswer(mounted, 'post', '/login', json(token, 200))).rejects.toThrow(/no documented path matches/);
  });

  it('rejects a body where none is documented, a wrong content type and malformed JSON', () => {
    const answer = (status: number, body: string, contentType?: string) => ({
      status,
      headers: new Headers(contentType ? { 'content-type': contentType } : {}),
      body,
    });
    expect(answerProblems(root, 'post', '/change', answer(204, '{}', 'application/json'))).toEqual([
      'status 204 of POST /change is documented without a body, but one came',
    ]);
    expect(answerProblems(root, 'post', '/login', answer(200, JSON.stringify(token), 'text/plain'))[0]).toMatch(/content type "text\/plain" is not documented/);
    expect(answerProblems(root, 'post', '/login', answer(200, '{"userId":', 'application/json; charset=utf-8'))).toEqual([
      'the body is not JSON, though documented as application/json',
    ]);
    expect(answerProblems(root, 'post', '/login', answer(200, JSON.stringify(token), 'application/json; charset=utf-8'))).toEqual([]);
  });

  it('matches path templates and checks schemas with $defs and formats', async () => {
    // A schema with an id is written once into $defs and referred to: the checker must follow the $ref.
    const stamp = z.iso.datetime().meta({ id: 'ConformanceTestStamp' });
    const item = z.object({ id: z.string(), at: stamp, updated: stamp.optional() });
    const routes = defineRoutes({
      show: { method: 'get', path: '/items/:id', summary: 'One item.', answers: { 200: { description: 'The item.', schema: item } }, errors: ['not_found'] },
    });
    const fn = defineFunction({
      name: 'items',
      summary: 'Items.',
      configSchema: z.object({}),
      ports: {},
      routes,
      errors: defineErrors({}),
      createApp: () => serveRoutes(createFunctionApp({ logger: silentLogger }), routes, { show: (c) => c.json({ id: c.req.param('id'), at: 'now' }) }),
    });
    const document = openApiDocument([fn], { mounted: true });
    expect(JSON.stringify(document)).toContain('#/$defs/ConformanceTestStamp');
    await expectDocumentedAnswer(document, 'get', '/items/items/42', json({ id: '42', at: '2026-01-15T12:00:00Z' }, 200));
    await expect(expectDocumentedAnswer(document, 'get', '/items/items/42', json({ id: '42', at: 'now' }, 200))).rejects.toThrow(
      /body\/at must match format "date-time"/,
    );
    await expect(expectDocumentedAnswer(document, 'get', '/items/items/42/more', json({}, 200))).rejects.toThrow(/no documented path matches/);
  });

  it('follows $refs into the document\'s components', async () => {
    // openApiDocument writes no components today; a hand-written or future document may.
    const document = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      components: { schemas: { Name: { type: 'string', minLength: 2 }, Pair: { type: 'object', properties: { a: { $ref: '#/components/schemas/Name' } }, required: ['a'] } } },
      paths: { '/pair': { get: { responses: { '200': { description: 'A pair.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Pair' } } } } } } } },
    };
    await expectDocumentedAnswer(document, 'get', '/pair', json({ a: 'ok' }, 200));
    await expect(expectDocumentedAnswer(document, 'get', '/pair', json({ a: 'x' }, 200))).rejects.toThrow(/body\/a must NOT have fewer than 2 characters/);
  });
});
