/**
 * The client's route table: `client/routes.generated.ts` is what `npm run client:routes` writes from
 * the registry today (stale, it fails), each declaration reads as the answer kind the client acts on,
 * and the client calls what the kit's routes can declare (a query, an HTML form, a route without
 * input, a 302) as a function on `startNodeServer` serves it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createRouteClient, KitClientError } from '../../client/index.js';
import type { ClientRoute } from '../../client/types.js';
import { captchaRoutes } from '../../functions/captcha/routes.js';
import { passwordRoutes } from '../../functions/password/routes.js';
import { createFunctionApp } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { defineFunction } from '../../shared/platform.js';
import { defineRoutes, serveRoutes, type RouteSpec } from '../../shared/routes.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { pendingAnswerSchema, tokenAnswerSchema } from '../../shared/sign-in/delivery.js';
import { answerKind, CLIENT_ROUTES_FILE, clientRoute, clientRoutesSource } from '../../scripts/client-routes.js';
import { helloFunction } from '../fixtures/hello/index.js';

describe('client/routes.generated.ts', () => {
  it('is what npm run client:routes writes from the registry now', async () => {
    expect(readFileSync(CLIENT_ROUTES_FILE, 'utf8'), 'stale: run `npm run client:routes` (npm install, npm test and npm run typecheck do)').toBe(await clientRoutesSource());
  });

  it('refuses a function whose routes are not exported from functions/<folder>/routes.ts', async () => {
    await expect(clientRoutesSource([helloFunction])).rejects.toThrow(/Function hello: export its route table from functions\/<its folder>\/routes.ts/);
  });
});

const route = (answers: RouteSpec['answers'], extra: Partial<RouteSpec> = {}): RouteSpec => ({
  method: 'post',
  path: '/x',
  summary: 'x',
  answers,
  errors: [],
  ...extra,
});

describe('what an answer means to the client', () => {
  it.each([
    ['a 200 carrying the secret signs in', route({ 200: { description: '', schema: tokenAnswerSchema } }), 'session'],
    ['a 202 with a user ID and expiry is out of band', route({ 202: { description: '', schema: pendingAnswerSchema } }), 'pending'],
    ['a 302 is a page to open', route({ 302: { description: '' } }), 'redirect'],
    ['a 204 is nothing', route({ 204: { description: '' } }), 'empty'],
    ['a 201 is its JSON', route({ 201: { description: '', schema: z.object({ userId: z.string() }) } }), 'json'],
    ['a 200 without a secret is its JSON', route({ 200: { description: '', schema: z.object({ userId: z.string(), expire: z.string() }) } }), 'json'],
    ['a 202 without a user ID is its JSON', route({ 202: { description: '', schema: z.object({ expire: z.string() }) } }), 'json'],
  ])('%s', (_, declared, kind) => {
    expect(answerKind(declared)).toBe(kind);
  });

  it('the kit’s routes', () => {
    expect(clientRoute('password', 'login', passwordRoutes.login)).toEqual({ method: 'POST', path: '/login', answer: 'session', body: 'json' });
    expect(clientRoute('password', 'change', passwordRoutes.change)).toMatchObject({ answer: 'empty' });
    expect(clientRoute('captcha', 'email', captchaRoutes.email)).toMatchObject({ answer: 'pending' });
  });

  it.each([
    ['a path parameter', route({ 204: { description: '' } }, { path: '/users/:id' }), /password.x \(POST \/users\/:id\): the client has no path parameters/],
    ['a query that is not an object', route({ 204: { description: '' } }, { query: z.record(z.string(), z.string()) }), /a query must be a z.object/],
    [
      'a field both in the query and the body',
      route({ 204: { description: '' } }, { query: z.object({ to: z.string() }), body: z.object({ to: z.string() }) }),
      /to is both a query and a body field/,
    ],
  ])('refuses %s, naming the route', (_, declared, message) => {
    expect(() => clientRoute('password', 'x', declared)).toThrow(message);
  });
});

/** A function with every kind of input and answer the route declarations allow. */
const shapesRoutes = defineRoutes({
  go: {
    method: 'get',
    path: '/go',
    summary: 'Sends the browser elsewhere.',
    query: z.object({ to: z.string(), note: z.string().optional() }),
    answers: { 302: { description: 'Off you go.' } },
    errors: [],
  },
  ping: { method: 'get', path: '/', summary: 'Answers.', answers: { 200: { description: 'Pong.', schema: z.object({ pong: z.boolean() }) } }, errors: [] },
  search: {
    method: 'post',
    path: '/search',
    summary: 'A query and a body.',
    query: z.object({ page: z.string() }),
    body: z.object({ words: z.string() }),
    answers: { 200: { description: 'What came.', schema: z.object({ page: z.string(), words: z.string() }) } },
    errors: [],
  },
  form: {
    method: 'post',
    path: '/form',
    summary: 'An HTML form body.',
    bodyType: 'form',
    body: z.object({ name: z.string() }),
    answers: { 200: { description: 'What came.', schema: z.object({ name: z.string() }) } },
    errors: [],
  },
});
const shapes = defineFunction({
  name: 'shapes',
  summary: 'Every shape of route.',
  configSchema: z.object({}),
  ports: {},
  routes: shapesRoutes,
  createApp: () =>
    serveRoutes(createFunctionApp({ logger: silentLogger }), shapesRoutes, {
      go: (c, { query }) => c.redirect(`https://example.com/${query.to}`, 302),
      ping: (c) => c.json({ pong: true }),
      search: (c, { query, body }) => c.json({ page: query.page, words: body.words }),
      form: (c, { body }) => c.json({ name: body.name }),
    }),
});

describe('calling every shape of route', () => {
  let server: RunningNodeServer;
  let client: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    server = await startNodeServer({ env: { PORT: '0' }, functions: [shapes], logger: silentLogger });
    const table = Object.fromEntries(Object.entries(shapesRoutes).map(([name, declared]) => [name, clientRoute('shapes', name, declared)]));
    const account = { createSession: () => Promise.reject(new Error('no sign-in here')), get: () => Promise.reject(new Error('no user here')) };
    client = createRouteClient<never>({ shapes: table as Record<string, ClientRoute> }, { url: server.url, account });
  });
  afterAll(() => server?.close());
  const method = <Signature>(name: string) => client['shapes']![name] as Signature;

  it('a redirect: its URL at once, the query encoded, no request', () => {
    const url = method<(input: object) => string>('go')({ to: 'a b&c', note: undefined });
    expect(url).toBe(`${server.url}/shapes/go?to=a%20b%26c`);
  });

  it('a route without input: options only; a function’s `/` is /<name>', async () => {
    await expect(method<() => Promise<unknown>>('ping')()).resolves.toEqual({ pong: true });
  });

  it('a query and a JSON body from one input object', async () => {
    await expect(method<(input: object) => Promise<unknown>>('search')({ page: '2', words: 'é & ü' })).resolves.toEqual({ page: '2', words: 'é & ü' });
  });

  it('an HTML form body', async () => {
    await expect(method<(input: object) => Promise<unknown>>('form')({ name: 'Ada Lovelace & co' })).resolves.toEqual({ name: 'Ada Lovelace & co' });
  });

  it('a refused input: the kit’s 400', async () => {
    const error = await method<(input: object) => Promise<unknown>>('search')({ words: 'no page' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(KitClientError);
    expect(error).toMatchObject({ type: 'invalid_request', status: 400 });
  });
});
