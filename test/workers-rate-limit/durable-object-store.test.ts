// The Durable Object store inside workerd, against the real RateLimitCounter object (SQLite
// storage, alarms) declared in ./wrangler.toml.
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { counterName, type RateLimitRule } from '../../shared/rate-limit/store.js';
import { createDurableObjectStore } from '../../shared/rate-limit/durable-object-store.js';

const rule: RateLimitRule = { limit: 3, windowSeconds: 60 };

function movableClock(start: number) {
  let current = start;
  return { now: () => current, set: (ms: number) => void (current = ms) };
}

/** A window boundary `minutesFromNow` real minutes away (negative: in the past). */
function boundary(minutesFromNow: number): number {
  const now = Date.now() + minutesFromNow * 60_000;
  return now - (now % 60_000);
}

function stubOf(key: string, counterRule: RateLimitRule) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(counterName(key, counterRule)));
}

describe('Durable Object store (workerd)', () => {
  it('allows exactly the limit, then refuses', async () => {
    const start = boundary(0);
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock: movableClock(start) });
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await store.consume('seq', rule));
    expect(results.map((result) => [result.allowed, result.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(results[0]?.resetAt).toBe(start + 60_000);
  });

  it('never allows more than the limit to concurrent callers from separate store instances', async () => {
    const clock = movableClock(boundary(0));
    const stores = [createDurableObjectStore(env.RATE_LIMITER, { clock }), createDurableObjectStore(env.RATE_LIMITER, { clock })];
    const limit = { limit: 7, windowSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => stores[i % 2]!.consume('race', limit)));
    const allowed = results.filter((result) => result.allowed);
    expect(allowed).toHaveLength(7);
    expect(allowed.map((result) => result.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);

    // And on a counter that already exists, with hits left.
    expect((await stores[0]!.consume('race-existing', limit)).remaining).toBe(6);
    const more = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.consume('race-existing', limit)));
    expect(more.filter((result) => result.allowed)).toHaveLength(6);
  });

  it('opens a new window when the clock passes the window end, never reopens an old one', async () => {
    const start = boundary(0);
    const clock = movableClock(start);
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock });
    for (let i = 0; i < 3; i += 1) await store.consume('expiry', rule);
    clock.set(start + 59_999);
    expect((await store.consume('expiry', rule)).allowed).toBe(false);
    clock.set(start + 60_000);
    expect(await store.consume('expiry', rule)).toEqual({ allowed: true, remaining: 2, resetAt: start + 120_000 });
    clock.set(start + 30_000);
    expect(await store.consume('expiry', rule)).toMatchObject({ allowed: true, remaining: 1, resetAt: start + 120_000 });
  });

  it('keeps one counter per key and rule', async () => {
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock: movableClock(boundary(0)) });
    for (let i = 0; i < 3; i += 1) await store.consume('separate', rule);
    expect((await store.consume('separate', rule)).allowed).toBe(false);
    expect((await store.consume('separate', { limit: 3, windowSeconds: 3600 })).allowed).toBe(true);
    expect((await store.consume('separate-2', rule)).allowed).toBe(true);
  });

  it('reset forgets the current window', async () => {
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock: movableClock(boundary(0)) });
    for (let i = 0; i < 3; i += 1) await store.consume('reset', rule);
    await store.reset('reset', rule);
    expect(await store.consume('reset', rule)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('its alarm deletes the storage of an ended window', async () => {
    // A window that ended ten real minutes ago: the alarm finds it over and clears the object.
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock: movableClock(boundary(-10)) });
    for (let i = 0; i < 3; i += 1) await store.consume('cleanup', rule);
    const stub = stubOf('cleanup', rule);
    const tablesBefore = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'counter'").toArray().length,
    );
    expect(tablesBefore).toBe(1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tablesAfter = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'counter'").toArray().length,
    );
    expect(tablesAfter).toBe(0);
    // Nothing is left to count against: the same (old) window starts over.
    expect(await store.consume('cleanup', rule)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('its alarm keeps a window that has not ended and re-arms for it', async () => {
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock: movableClock(boundary(10)) });
    for (let i = 0; i < 3; i += 1) await store.consume('early-alarm', rule);
    const stub = stubOf('early-alarm', rule);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await store.consume('early-alarm', rule)).allowed).toBe(false);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBe(boundary(10) + 60_000);
  });

  it('the object refuses malformed requests', async () => {
    const stub = stubOf('malformed', rule);
    const response = await stub.fetch('http://rate-limit-counter/', { method: 'POST', body: JSON.stringify({ op: 'consume', now: -1 }) });
    expect(response.status).toBe(400);
  });
});
