/**
 * Row sightings: the Appwrite store's guess of which call to try first. A row this process never saw
 * is created first, one it saw exist is incremented first; a wrong guess costs the other call and
 * never the count. Calls are counted by a loopback proxy in front of the embedded double.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { createAppwriteStore } from '../../shared/rate-limit/appwrite-store.js';
import { createRowSightings, type RowSightings } from '../../shared/rate-limit/row-sightings.js';
import { startDelayProxy, type DelayProxy } from '../helpers/delay-proxy.js';
import { startTablesDouble, type RunningTablesDouble } from './tables-double.js';

const rule = { limit: 5, windowSeconds: 60 };
const start = Date.UTC(2026, 0, 15, 12, 0, 0);
let double: RunningTablesDouble;
let proxy: DelayProxy;
beforeAll(async () => {
  double = await startTablesDouble(start);
  proxy = await startDelayProxy(new URL(double.endpoint).origin, 0);
});
afterAll(async () => {
  await proxy.close();
  await double.close();
});
beforeEach(() => {
  proxy.calls.length = 0;
});

/** A store of one process: its own sightings, calls through the proxy. */
function processStore(sightings: RowSightings = createRowSightings()) {
  return createAppwriteStore({ ...double.connection(), APPWRITE_ENDPOINT: proxy.endpoint }, { logger: silentLogger, clock: double.clock, sightings });
}

/** The calls made since the last look, as `METHOD last-path-segment`, then forgets them. */
function callsSince(): string[] {
  const calls = proxy.calls.map((call) => `${call.method} ${call.path.split('/').pop()!}`);
  proxy.calls.length = 0;
  return calls;
}

describe('which call the Appwrite store tries first', () => {
  it('creates a row it never saw (one call), then increments the row it saw (one call)', async () => {
    const store = processStore();
    expect(await store.consume('seen-1', rule)).toMatchObject({ allowed: true, remaining: 4 });
    expect(callsSince()).toEqual(['POST rows']);
    expect(await store.consume('seen-1', rule)).toMatchObject({ allowed: true, remaining: 3 });
    expect(callsSince()).toEqual(['PATCH increment']);
  });

  it('meets a row another process created with a 409, counts on it, and increments it first from then on', async () => {
    await processStore().consume('theirs-1', rule);
    callsSince();
    const store = processStore();
    expect(await store.consume('theirs-1', rule)).toMatchObject({ allowed: true, remaining: 3 });
    expect(callsSince()).toEqual(['POST rows', 'PATCH increment']);
    expect(await store.consume('theirs-1', rule)).toMatchObject({ allowed: true, remaining: 2 });
    expect(callsSince()).toEqual(['PATCH increment']);
  });

  it('creates first again after its own reset, and recovers when another process deleted a row it saw', async () => {
    const store = processStore();
    await store.consume('cleared-1', rule);
    await store.reset('cleared-1', rule);
    callsSince();
    expect(await store.consume('cleared-1', rule)).toMatchObject({ allowed: true, remaining: 4 });
    expect(callsSince()).toEqual(['POST rows']);

    await processStore().reset('cleared-1', rule);
    callsSince();
    // Stale: it saw the row, another process deleted it. The increment finds none, the create counts.
    expect(await store.consume('cleared-1', rule)).toMatchObject({ allowed: true, remaining: 4 });
    expect(callsSince()).toEqual(['PATCH increment', 'POST rows']);
  });

  it('refuses exactly at the limit whichever call went first', async () => {
    const mine = processStore();
    const theirs = processStore();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? mine : theirs).consume('race-1', rule)));
    expect(results.filter((result) => result.allowed)).toHaveLength(5);
  });
});

describe('row sightings', () => {
  it('forget a row when its window ends, and keep at most maxRows, dropping the oldest', () => {
    const sightings = createRowSightings(2);
    sightings.saw('a', true, 1_000);
    expect(sightings.exists('a', 999)).toBe(true);
    expect(sightings.exists('a', 1_000)).toBeUndefined();
    sightings.saw('b', false, 5_000);
    sightings.saw('c', true, 5_000);
    sightings.saw('d', true, 5_000);
    expect(sightings.exists('b', 0)).toBeUndefined();
    expect(sightings.exists('c', 0)).toBe(true);
    expect(sightings.exists('d', 0)).toBe(true);
    sightings.saw('c', false, 5_000);
    sightings.saw('e', true, 5_000);
    // 'c' was seen again after 'd', so 'd' is the oldest and goes first.
    expect(sightings.exists('c', 0)).toBe(false);
    expect(sightings.exists('d', 0)).toBeUndefined();
  });
});
