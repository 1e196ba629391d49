/**
 * The embedded Appwrite's own abuse counters (Appwrite's `abuse-limit` on the token exchange): keyed
 * on the client address as Appwrite derives it, and held in a bounded map that forgets ended windows.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevAppwrite, type DevAppwriteOptions, type DevAppwriteStore } from '../../shared/dev-appwrite/index.js';
import { manualClock } from '../helpers/clock.js';
import { START_MS } from './harness.js';

const servers: ServerType[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

async function start(options: Partial<DevAppwriteOptions> = {}) {
  const clock = manualClock(START_MS);
  const { app, store } = createDevAppwrite({ projectId: 'abuse', apiKeys: {}, clock, ...options });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const exchange = async (userId: string, forwardedFor?: string) =>
    (
      await fetch(`${endpoint}/account/sessions/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-appwrite-project': 'abuse', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
        body: JSON.stringify({ userId, secret: '000000' }),
      })
    ).status;
  return { clock, store, exchange };
}

const counterKeys = (store: DevAppwriteStore) => [...store.abuse.keys()];

describe('the client address', () => {
  it('is the socket’s by default, whatever X-Forwarded-For claims', async () => {
    const { store, exchange } = await start();
    await exchange('alice', '198.51.100.1');
    await exchange('alice', '198.51.100.2, 10.0.0.1');

    expect(counterKeys(store)).toEqual(['ip:127.0.0.1,userId:alice']);
  });

  it('comes from a trusted header when told so: its leftmost valid address, as Appwrite behind its proxy reads it', async () => {
    const { store, exchange } = await start({ trustedHeaders: ['x-forwarded-for'] });
    await exchange('alice', '198.51.100.1, 10.0.0.1');
    await exchange('alice', 'not-an-address, 198.51.100.2');
    await exchange('alice');

    expect(counterKeys(store)).toEqual(['ip:198.51.100.1,userId:alice', 'ip:127.0.0.1,userId:alice']);
  });
});

describe('the counter map', () => {
  it('forgets counters whose window has ended', async () => {
    const { clock, store, exchange } = await start({ maxAbuseCounters: 3 });
    for (const userId of ['a', 'b', 'c']) expect(await exchange(userId)).toBe(401);
    expect(store.abuse.size).toBe(3);

    clock.advance(3600 * 1000);
    expect(await exchange('d')).toBe(401);
    expect(counterKeys(store)).toEqual(['ip:127.0.0.1,userId:d']);
  });

  it('refuses a new key with 429 when full of live counters, rather than forgetting one an attacker wants reset', async () => {
    const { store, exchange } = await start({ maxAbuseCounters: 3 });
    for (const userId of ['a', 'b', 'c']) expect(await exchange(userId)).toBe(401);

    expect(await exchange('d')).toBe(429);
    expect(await exchange('a')).toBe(401);
    expect(store.abuse.size).toBe(3);
  });
});
