/**
 * The outbound `fetch` port every vendor call goes through (captcha siteverify, JWKS, voice
 * providers): a deadline from `OUTBOUND_TIMEOUT_MS`, no redirects followed, and the runtime's
 * `fetch`, so tests can point vendors at loopback servers. Real HTTP on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config.js';
import { fetchPort } from '../../shared/ports.js';
import { createTestPlatform } from '../helpers/platform.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000);
    if (req.url === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const outbound = (env: Record<string, string> = {}) => fetchPort.create(createTestPlatform({ env }).runtime);

describe('fetchPort', () => {
  it('reaches a vendor and needs no Appwrite scope', async () => {
    expect(await (await outbound()(`${base}/ok`)).text()).toBe('ok');
    expect(fetchPort.appwriteScopes).toEqual([]);
  });

  it('abandons a call past OUTBOUND_TIMEOUT_MS with a TimeoutError', async () => {
    const started = Date.now();
    await expect(outbound({ OUTBOUND_TIMEOUT_MS: '200' })(`${base}/slow`)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('keeps a caller abort as well as its own deadline', async () => {
    const controller = new AbortController();
    const pending = outbound()(`${base}/slow`, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("stops with the runtime's request signal: a call under way is abandoned, and none starts after it", async () => {
    const request = new AbortController();
    const port = fetchPort.create({ ...createTestPlatform().runtime, signal: request.signal });
    const pending = port(`${base}/slow`);
    request.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    let requests = 0;
    const count = () => void (requests += 1);
    server.on('request', count);
    try {
      await expect(port(`${base}/ok`)).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      server.off('request', count);
    }
    expect(requests).toBe(0);
  });

  it('refuses to follow a redirect, so no answer can steer where the kit sends its requests', async () => {
    await expect(outbound()(`${base}/redirect`)).rejects.toThrow();
  });

  it('validates OUTBOUND_TIMEOUT_MS, naming it', () => {
    expect(() => outbound({ OUTBOUND_TIMEOUT_MS: '5' })).toThrow(ConfigError);
    expect(() => outbound({ OUTBOUND_TIMEOUT_MS: '5' })).toThrow(/OUTBOUND_TIMEOUT_MS/);
  });

  it("uses the runtime's fetch, looked up per call", async () => {
    const seen: string[] = [];
    const { runtime } = createTestPlatform();
    const port = fetchPort.create({ ...runtime, fetch: (input) => (seen.push(String(input)), Promise.resolve(new Response('stub'))) });
    expect(await (await port('https://vendor.example/verify')).text()).toBe('stub');
    expect(seen).toEqual(['https://vendor.example/verify']);
  });
});
