import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createFunctionApp, type KitEnv } from '../../shared/http.js';
import { defineFunction } from '../../shared/platform.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { toWebRequest, type OpenRuntimesContext } from '../../shared/runtime/open-runtimes.js';
import { createOpenRuntimesContext, invokeOpenRuntimes } from '../helpers/open-runtimes.js';

// A function that reports what the adapter handed it, so the translation is checked without Appwrite.
const echoFunction = defineFunction({
  name: 'echo',
  summary: 'Reports what the adapter handed it.',
  configSchema: z.object({}),
  ports: {},
  routes: {},
  createApp: (_config, platform) => {
    const app = createFunctionApp({ logger: platform.logger });
    const report = async (c: Context<KitEnv>) => {
      const body = new Uint8Array(await c.req.raw.arrayBuffer());
      return c.json({
        method: c.req.method,
        url: c.req.url,
        headers: Object.fromEntries(c.req.raw.headers),
        bodyHex: Buffer.from(body).toString('hex'),
        clientIp: c.env.clientIp,
      });
    };
    app.post('/echo', report);
    app.get('/echo', report);
    app.get('/cookies', (c) => {
      c.header('Set-Cookie', 'a=1; Path=/', { append: true });
      c.header('Set-Cookie', 'b=2; Path=/', { append: true });
      c.header('Vary', 'Origin', { append: true });
      c.header('Vary', 'Accept', { append: true });
      c.header('X-Open-Runtimes-Log-Id', 'forged');
      return c.body(new Uint8Array([0, 255, 1, 254]), 207, { 'Content-Type': 'application/octet-stream' });
    });
    app.get('/empty', (c) => c.body(null, 204));
    app.get('/boom', () => {
      throw new Error('secret-detail-in-message');
    });
    return app;
  },
});

const env = {
  APPWRITE_FUNCTION_API_ENDPOINT: 'http://127.0.0.1:9/v1',
  APPWRITE_FUNCTION_PROJECT_ID: 'kit',
  APPWRITE_API_KEY: 'env-key-never-logged',
};
const entry = createAppwriteEntry(echoFunction, { env });

describe('open-runtimes context to Request', () => {
  it('keeps the raw query string, lower-cased headers and the exact body bytes', async () => {
    const body = Buffer.from([0x7b, 0x00, 0xff, 0x7d]);
    const result = await invokeOpenRuntimes(entry, {
      method: 'POST',
      url: '/echo?q=a%20b&plus=1+2&amp=x%26y',
      headers: { host: 'fn.example.test', 'content-type': 'application/octet-stream', 'X-Custom': 'Yes', 'x-open-runtimes-secret': 's' },
      body,
    });
    expect(result.failed).toBe(false);
    expect(result.statusCode).toBe(200);
    const seen = result.json() as { url: string; headers: Record<string, string>; bodyHex: string; method: string };
    expect(seen.method).toBe('POST');
    expect(new URL(seen.url).pathname).toBe('/echo');
    expect(new URL(seen.url).search).toBe('?q=a%20b&plus=1+2&amp=x%26y');
    expect(seen.bodyHex).toBe(body.toString('hex'));
    expect(seen.headers['x-custom']).toBe('Yes');
    expect(seen.headers['content-length']).toBe('4');
    expect(seen.headers).not.toHaveProperty('x-open-runtimes-secret');
  });

  it('passes x-appwrite-client-ip as the client IP and keeps the API key from the app', async () => {
    const result = await invokeOpenRuntimes(entry, {
      method: 'GET',
      url: '/echo',
      headers: { 'x-appwrite-client-ip': '203.0.113.7', 'x-appwrite-key': 'ephemeral_abc', 'x-forwarded-for': '198.51.100.1' },
    });
    const seen = result.json() as { clientIp: string | null; headers: Record<string, string>; bodyHex: string };
    expect(seen.clientIp).toBe('203.0.113.7');
    expect(seen.headers).not.toHaveProperty('x-appwrite-key');
    expect(seen.bodyHex).toBe('');
  });

  it('reports no client IP when Appwrite sent none', async () => {
    const result = await invokeOpenRuntimes(entry, { method: 'GET', url: '/echo' });
    expect((result.json() as { clientIp: unknown }).clientIp).toBeNull();
  });

  it('never reads the body getters that throw on malformed JSON', async () => {
    const { context } = createOpenRuntimesContext({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      body: '{"broken":',
    });
    expect(() => context.req.body).toThrow(SyntaxError);
    expect(() => context.req.bodyJson).toThrow(SyntaxError);
    const output = await entry(context as unknown as OpenRuntimesContext);
    expect(output.statusCode).toBe(200);
  });

  it('falls back to the path and query string when the rebuilt URL is unusable', () => {
    const request = toWebRequest({ method: 'GET', url: 'http://[:NaN/echo', path: '//evil.test/x', queryString: 'a=%2F', headers: {} });
    const url = new URL(request.url);
    expect(url.pathname).toBe('//evil.test/x');
    expect(url.search).toBe('?a=%2F');
    expect(url.hostname).toBe('localhost');
  });

  it('uses bodyText when the runtime gives no bodyBinary, and sends no body for GET', async () => {
    const post = toWebRequest({ method: 'POST', url: 'http://x/echo', headers: {}, bodyText: 'héllo' });
    expect(Buffer.from(await post.arrayBuffer()).toString('utf8')).toBe('héllo');
    expect(post.headers.get('content-length')).toBe(String(Buffer.byteLength('héllo')));
    const get = toWebRequest({ method: 'GET', url: 'http://x/echo', headers: {}, bodyText: 'ignored' });
    expect(get.body).toBeNull();
  });
});

describe('Response to open-runtimes output', () => {
  it('returns status, bytes and every header, cookies as a list and repeated headers joined', async () => {
    const result = await invokeOpenRuntimes(entry, { method: 'GET', url: '/cookies' });
    expect(result.statusCode).toBe(207);
    expect([...result.body]).toEqual([0, 255, 1, 254]);
    expect(result.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(result.headers['vary']).toBe('Origin, Accept');
    expect(result.headers['cache-control']).toBe('no-store');
    expect(result.headers['content-type']).toBe('application/octet-stream; charset=utf-8');
    expect(result.headers).not.toHaveProperty('x-open-runtimes-log-id');
  });

  it('answers 204 with an empty body', async () => {
    const result = await invokeOpenRuntimes(entry, { method: 'GET', url: '/empty' });
    expect(result.statusCode).toBe(204);
    expect(result.body.length).toBe(0);
  });

  it('falls back to res.text on runtimes without res.binary', async () => {
    const { context } = createOpenRuntimesContext({ method: 'GET', url: '/nope' });
    const legacy = { ...context, res: { text: context.res.text.bind(context.res), binary: undefined } };
    const output = await entry(legacy as unknown as OpenRuntimesContext);
    expect(output.statusCode).toBe(404);
    expect(JSON.parse(String(output.body))).toMatchObject({ code: 404, type: 'not_found' });
  });

  it('turns an error thrown in a route into a bare 500 without its message or stack', async () => {
    const result = await invokeOpenRuntimes(entry, { method: 'GET', url: '/boom' });
    expect(result.failed).toBe(false);
    expect(result.statusCode).toBe(500);
    expect(result.json()).toEqual({ message: 'Something went wrong. Try again later.', code: 500, type: 'internal_error' });
    const logged = [...result.logs, ...result.errors].join('\n');
    expect(logged).toContain('unhandled_error');
    expect(logged).not.toContain('secret-detail-in-message');
    expect(logged).not.toMatch(/\bat .+:\d+:\d+/);
  });
});
