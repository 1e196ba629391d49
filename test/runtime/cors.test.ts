/**
 * What browsers need from the kit (issue 14): `CORS_ALLOWED_ORIGINS` checked when a function starts
 * on every runtime (a bad entry refused, naming the variable), subdomain wildcards matched one label
 * deep, `Retry-After` and `RateLimit-*` readable by a page, preflights cached, and the mount root's
 * own answers readable from any page. A real server on loopback for the headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { kitFunctions } from '../../functions/index.js';
import { passwordFunction } from '../../functions/password/index.js';
import { ConfigError, envCorsOrigins, parseConfig } from '../../shared/config.js';
import { EXPOSED_HEADERS, originMatcher, PREFLIGHT_MAX_AGE } from '../../shared/cors.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { mountFunctions } from '../../shared/runtime/mount.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { invokeOpenRuntimes } from '../helpers/open-runtimes.js';
import { createTestPlatform } from '../helpers/platform.js';

const schema = z.object({ CORS_ALLOWED_ORIGINS: envCorsOrigins() });

/** The problems the variable gets, or the origins it yields. */
function parse(value: string): string[] | { problems: readonly string[] } {
  try {
    return parseConfig(schema, { CORS_ALLOWED_ORIGINS: value }).CORS_ALLOWED_ORIGINS;
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems };
    throw error;
  }
}

describe('CORS_ALLOWED_ORIGINS: refused, never normalised', () => {
  it.each([
    ['a trailing slash', 'http://127.0.0.1:5173/', /origin 1 must not end in "\/"/],
    ['a path', 'https://app.example.com/login', /origin 1 must have no path, query or fragment/],
    ['a query', 'https://app.example.com?x=1', /origin 1 must have no path, query or fragment/],
    ['null', 'null', /origin 1 null is refused/],
    ['null among others', 'https://app.example.com,null', /origin 2 null is refused/],
    ['upper case', 'https://App.Example.com', /origin 1 must be written as browsers send it/],
    ['the default port', 'https://app.example.com:443', /origin 1 must be written as browsers send it/],
    ['a scheme other than http(s)', 'ftp://app.example.com', /origin 1 must start with http:\/\/ or https:\/\//],
    ['no scheme', 'kit.example.net', /origin 1 is not an origin/],
    ['a user name', 'https://ada@app.example.com', /origin 1 must not hold a user name or password/],
    ['* among others', '*,https://app.example.com', /\* allows every origin: write it alone/],
    ['a wildcard inside a label', 'https://app-*.example.com', /may use \* only alone, or as the whole leftmost label/],
    ['a wildcard not leftmost', 'https://app.*.example.com', /may use \* only alone, or as the whole leftmost label/],
    ['a wildcard without a scheme', '*.example.net', /may use \* only alone, or as the whole leftmost label/],
    ['a wildcard over a top-level domain', 'https://*.com', /a wildcard needs a domain of at least two labels/],
    ['only commas', ',, ,', /must list at least one origin, or be \*/],
  ])('%s', (_, value, message) => {
    const result = parse(value);
    expect(result).toHaveProperty('problems');
    const { problems } = result as { problems: string[] };
    expect(problems).toHaveLength(1);
    // Named by the variable and the entry's position; the value itself is never repeated.
    expect(problems[0]).toMatch(/^CORS_ALLOWED_ORIGINS: /);
    expect(problems[0]).toMatch(message);
    if (value !== 'null') expect(problems[0]).not.toContain(value);
  });

  it('names every bad entry', () => {
    expect(parse('https://a.example/,https://b.example,null')).toEqual({
      problems: [expect.stringMatching(/origin 1 must not end/), expect.stringMatching(/origin 3 null is refused/)],
    });
  });

  it.each([
    ['unset', undefined, ['*']],
    ['*', '*', ['*']],
    ['a list, spaces around entries', ' https://app.example.com , http://localhost:5173 ', ['https://app.example.com', 'http://localhost:5173']],
    ['an IPv6 origin', 'http://[::1]:5173', ['http://[::1]:5173']],
    ['a subdomain wildcard with a port', 'https://*.example.com:8443', ['https://*.example.com:8443']],
  ])('accepts %s', (_, value, origins) => {
    expect(parseConfig(schema, value === undefined ? {} : { CORS_ALLOWED_ORIGINS: value }).CORS_ALLOWED_ORIGINS).toEqual(origins);
  });
});

describe('matching an Origin header', () => {
  const allowed = originMatcher(['https://*.example.com', 'http://localhost:5173', 'https://*.preview.example.org:8443']);

  it.each([
    ['https://app.example.com', true],
    ['https://pr-12.example.com', true],
    ['https://xn--bcher-kva.example.com', true],
    ['http://localhost:5173', true],
    ['https://pr-1.preview.example.org:8443', true],
    ['https://example.com', false],
    ['https://.example.com', false],
    ['https://a.b.example.com', false],
    ['http://app.example.com', false],
    ['https://app.example.com:8443', false],
    ['https://app.example.com.evil.example', false],
    ['https://evilexample.com', false],
    ['https://evil.example/.example.com', false],
    ['http://localhost:5174', false],
    ['https://pr-1.preview.example.org', false],
    ['null', false],
    ['', false],
  ])('%s: %s', (origin, expected) => {
    expect(allowed(origin)).toBe(expected);
  });
});

describe('a bad CORS_ALLOWED_ORIGINS on every runtime', () => {
  const bad = { CORS_ALLOWED_ORIGINS: 'http://127.0.0.1:5173/' };

  it('npm start refuses to start, naming the variable', async () => {
    await expect(startNodeServer({ env: { PORT: '0', ...bad }, functions: kitFunctions, logger: silentLogger })).rejects.toThrow(
      /CORS_ALLOWED_ORIGINS: origin 1 must not end in "\/"/,
    );
  });

  it('the Worker (a mounted app) answers 500 config_invalid, readable by the page, and logs the variable', async () => {
    const lines: string[] = [];
    const { runtime } = createTestPlatform({ logger: createLogger((line) => void lines.push(line)) });
    const app = mountFunctions([passwordFunction], bad, runtime);
    const response = await app.request('/password/login', { method: 'POST', headers: { origin: 'http://127.0.0.1:5173' } });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ type: 'config_invalid' });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(lines.join('\n')).toMatch(/config_invalid.*CORS_ALLOWED_ORIGINS: origin 1 must not end/);
  });

  it('an Appwrite function answers 500 config_invalid and logs the variable', async () => {
    const result = await invokeOpenRuntimes(
      createAppwriteEntry(passwordFunction, {
        env: { APPWRITE_FUNCTION_API_ENDPOINT: 'http://127.0.0.1:9/v1', APPWRITE_FUNCTION_PROJECT_ID: 'kit', APPWRITE_API_KEY: 'k', ...bad },
      }),
      { method: 'POST', url: '/login', headers: { 'content-type': 'application/json' }, body: '{}' },
    );
    expect(result.statusCode).toBe(500);
    expect(result.json()).toMatchObject({ type: 'config_invalid' });
    expect(result.errors.join('\n')).toMatch(/CORS_ALLOWED_ORIGINS: origin 1 must not end/);
  });
});

describe('CORS headers over HTTP', () => {
  const page = 'https://pr-7.example.com';
  let server: RunningNodeServer;
  beforeAll(async () => {
    server = await startNodeServer({
      env: { PORT: '0', CORS_ALLOWED_ORIGINS: `https://*.example.com,http://localhost:5173`, PASSWORD_LIMIT_ACCOUNT: '1/86400' },
      functions: kitFunctions,
      logger: silentLogger,
      embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    });
  });
  afterAll(() => server?.close());

  const login = (username: string) =>
    fetch(`${server.url}/password/login`, {
      method: 'POST',
      headers: { origin: page, 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'not the password at all' }),
    });

  it('a 429 lets the page read Retry-After and RateLimit-*', async () => {
    const username = `limited-${Date.now().toString(36)}`;
    expect((await login(username)).status).toBe(401);
    const refused = await login(username);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('access-control-allow-origin')).toBe(page);
    const exposed = refused.headers.get('access-control-expose-headers')?.split(',').map((name) => name.trim().toLowerCase());
    expect(exposed?.sort()).toEqual(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after']);
    for (const name of EXPOSED_HEADERS) expect(refused.headers.get(name), name).not.toBeNull();
  });

  it('a preflight from a wildcard-matched origin passes and is cached', async () => {
    const response = await fetch(`${server.url}/password/register`, {
      method: 'OPTIONS',
      headers: { origin: page, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(page);
    expect(response.headers.get('access-control-max-age')).toBe(String(PREFLIGHT_MAX_AGE));
    expect(response.headers.get('vary')).toMatch(/origin/i);
  });

  it('a preflight from an origin two labels deep gets no CORS headers', async () => {
    const response = await fetch(`${server.url}/password/register`, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.pr-7.example.com', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['a 404 outside every function', '/auth-nope/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, 404],
    ['a 404 at the root', '/nope', {}, 404],
    ['a 405 on /health', '/health', { method: 'DELETE' }, 405],
    ['GET /health', '/health', {}, 200],
  ] as [string, string, RequestInit, number][])('%s: readable from any page', async (_, path, init, status) => {
    const response = await fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), origin: 'https://elsewhere.example' } });
    expect(response.status).toBe(status);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('a preflight for a POST to a function this server lacks passes, so the page reads the 404', async () => {
    const response = await fetch(`${server.url}/auth-nope/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')?.split(',')).toContain('POST');
    expect(response.headers.get('access-control-max-age')).toBe(String(PREFLIGHT_MAX_AGE));
  });

  it('under a function, the function’s policy and not the root’s', async () => {
    const response = await fetch(`${server.url}/password/nope`, { headers: { origin: 'https://elsewhere.example' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
