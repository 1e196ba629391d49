/**
 * shared/oidc/discovery.ts: which endpoints a discovery document may point the kit at. Keys and
 * tokens travel only over https, or plain http to this machine's loopback (a local issuer); any
 * other address makes the document invalid and the issuer unavailable. An issuer that cannot be
 * reached, answers another status or breaks off is unavailable too, logged with why, and not asked
 * again until the cooldown has passed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { discoverIssuer, fetchIssuerText } from '../../shared/oidc/discovery.js';
import { IssuerUnreachable } from '../../shared/oidc/errors.js';

// Each test is its own issuer (a path on the server): discovery results are cached per issuer.
const documents = new Map<string, Record<string, string>>();
/** Issuers whose server answers otherwise: a status without a document, or a body that breaks off. */
const failures = new Map<string, { status: number } | 'truncated'>();
/** The `accept` header of every request, oldest first. */
const accepts: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    accepts.push(request.headers.accept ?? '');
    const sized = /^\/sized\/(\d+)$/.exec(request.url!);
    if (sized) return response.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(Number(sized[1])));
    const issuer = `${base}${request.url!.replace('/.well-known/openid-configuration', '')}/`;
    const failure = failures.get(issuer);
    if (failure === 'truncated') {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '512' }).write('{"issuer": ');
      return void setTimeout(() => request.socket.destroy(), 20);
    }
    if (failure) return response.writeHead(failure.status, { 'content-type': 'application/json' }).end(failure.status === 204 ? undefined : '{"error":"unavailable"}');
    const endpoints = documents.get(issuer);
    if (!endpoints) return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, ...endpoints }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const lines: string[] = [];
beforeEach(() => {
  lines.length = 0;
  accepts.length = 0;
});

const unavailable = { type: 'issuer_unavailable', status: 503, message: 'The token issuer cannot be reached to check the token. Try again later.' };

let issuers = 0;
/** A new issuer's URL on the test server (nothing is cached for it yet). */
const newIssuer = () => `${base}/issuer-${++issuers}/`;

function discover(issuer: string, cooldownMs = 30_000) {
  return discoverIssuer({ issuer, fetch: (url, init) => fetch(url, init), cooldownMs, logger: createLogger((line) => lines.push(line)) });
}

/** Discovers a new issuer whose document lists `jwks_uri` (and the other endpoints on https). */
function discoverWith(jwksUri: string) {
  const issuer = newIssuer();
  documents.set(issuer, {
    authorization_endpoint: 'https://idp.example.com/authorize',
    token_endpoint: 'https://idp.example.com/oauth/token',
    jwks_uri: jwksUri,
  });
  return discover(issuer);
}

describe('discovery endpoints', () => {
  it.each(['https://idp.example.com/.well-known/jwks.json', 'http://127.0.0.1:8080/jwks', 'http://localhost/jwks', 'http://[::1]:9/jwks'])(
    'accepts %s',
    async (jwksUri) => {
      await expect(discoverWith(jwksUri)).resolves.toMatchObject({ jwks_uri: jwksUri });
    },
  );

  it.each(['http://idp.example.com/.well-known/jwks.json', 'http://127.0.0.2/jwks', 'http://localhost.example.com/jwks', 'ftp://idp.example.com/jwks', 'ftp://127.0.0.1/jwks', 'not a url', ''])(
    'refuses a document whose keys are at %j: issuer_unavailable',
    async (jwksUri) => {
      await expect(discoverWith(jwksUri)).rejects.toMatchObject(unavailable);
      expect(lines).toEqual(['oidc_discovery_failed reason="not a discovery document"']);
    },
  );

  it('asks the issuer for JSON', async () => {
    await discoverWith('https://idp.example.com/jwks');
    expect(accepts).toEqual(['application/json']);
  });
});

describe('an issuer that cannot answer', () => {
  it.each([
    ['is not listening', () => 'http://127.0.0.1:9/', 'TypeError'],
    ['has no document (404)', newIssuer, 'status 404'],
    ['answers 500', () => failWith({ status: 500 }), 'status 500'],
    ['answers 204 without a body', () => failWith({ status: 204 }), 'status 204'],
    ['breaks off in the middle of the document', () => failWith('truncated'), 'TypeError'],
  ])('is issuer_unavailable when it %s, logged with why', async (_name, issuer, reason) => {
    await expect(discover(issuer())).rejects.toMatchObject(unavailable);
    expect(lines).toEqual([`oidc_discovery_failed reason=${JSON.stringify(reason)}`]);
  });

  it('every failure to fetch is an IssuerUnreachable, so it is never taken for a token\'s fault', async () => {
    const failure = fetchIssuerText((url, init) => fetch(url, init), 'http://127.0.0.1:9/.well-known/jwks.json');
    await expect(failure).rejects.toBeInstanceOf(IssuerUnreachable);
    await expect(failure).rejects.toThrow(expect.objectContaining({ name: 'IssuerUnreachable', message: 'TypeError' }));
  });
});

describe('fetchIssuerText', () => {
  const get = (url: string) => fetchIssuerText((input, init) => fetch(input, init), url);

  it('reads a document of up to 256 KiB, and no more', async () => {
    await expect(get(`${base}/sized/${256 * 1024}`)).resolves.toHaveLength(256 * 1024);
    await expect(get(`${base}/sized/${256 * 1024 + 1}`)).rejects.toThrow(expect.objectContaining({ name: 'IssuerUnreachable', message: 'document too large' }));
  });

  // The platform's fetch is the kit's port; a polyfill or a wrapper may reject with anything.
  it('says "fetch failed" or "body unreadable" when a fetch fails with something that is no Error', async () => {
    const url = `${base}/sized/10`;
    await expect(fetchIssuerText(() => Promise.reject('offline'), url)).rejects.toThrow(expect.objectContaining({ name: 'IssuerUnreachable', message: 'fetch failed' }));
    const broken = new ReadableStream({ start: (controller) => controller.error('gone') });
    await expect(fetchIssuerText(() => Promise.resolve(new Response(broken)), url)).rejects.toThrow(expect.objectContaining({ name: 'IssuerUnreachable', message: 'body unreadable' }));
  });

  it('fails discovery closed, logged as unexpected, when a fetch misbehaves in a way no issuer causes', async () => {
    const answer = new Response('{}', { status: 500 });
    answer.body!.getReader(); // a body someone else is reading cannot be cancelled
    const logged: string[] = [];
    const discovery = discoverIssuer({ issuer: newIssuer(), fetch: () => Promise.resolve(answer), cooldownMs: 30_000, logger: createLogger((line) => logged.push(line)) });
    await expect(discovery).rejects.toMatchObject(unavailable);
    expect(logged).toEqual(['oidc_discovery_failed reason="unexpected"']);
  });
});

/** A new issuer whose server answers with `failure`. */
function failWith(failure: { status: number } | 'truncated'): string {
  const issuer = newIssuer();
  failures.set(issuer, failure);
  return issuer;
}

describe('after a failure', () => {
  // The cooldown runs on `Date.now`, jose's timeline for its JWKS cooldown: move `Date` only.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 0, 15, 12));
  });
  afterEach(() => vi.useRealTimers());

  it('asks the issuer again only once the cooldown has passed, then keeps the document', async () => {
    const issuer = failWith({ status: 500 });
    await expect(discover(issuer, 10_000)).rejects.toMatchObject(unavailable);
    failures.delete(issuer);
    documents.set(issuer, { authorization_endpoint: 'https://idp.example.com/a', token_endpoint: 'https://idp.example.com/t', jwks_uri: 'https://idp.example.com/j' });
    vi.setSystemTime(Date.now() + 9_999);
    await expect(discover(issuer, 10_000)).rejects.toMatchObject(unavailable);
    expect(accepts).toHaveLength(1);
    vi.setSystemTime(Date.now() + 1);
    await expect(discover(issuer, 10_000)).resolves.toMatchObject({ jwks_uri: 'https://idp.example.com/j' });
    await expect(discover(issuer, 10_000)).resolves.toMatchObject({ jwks_uri: 'https://idp.example.com/j' });
    expect(accepts).toHaveLength(2);
    expect(lines).toEqual(['oidc_discovery_failed reason="status 500"']);
  });
});
