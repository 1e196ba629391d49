import { describe, expect, it } from 'vitest';
import { KitError } from '../../shared/errors.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { manualClock } from '../helpers/clock.js';
import { expectExactlyLimitAllowed } from './helpers.js';

const rule = { limit: 3, windowSeconds: 60 };
// 10:00:00.000 UTC on some day: a window boundary for 60-second windows.
const start = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);

describe('memory store', () => {
  it('allows exactly the limit, then refuses, with remaining counting down', async () => {
    const store = createMemoryStore({ clock: manualClock(start) });
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await store.consume('ip:v4:203.0.113.7', rule));
    expect(results.map((result) => result.allowed)).toEqual([true, true, true, false, false]);
    expect(results.map((result) => result.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(new Set(results.map((result) => result.resetAt))).toEqual(new Set([start + 60_000]));
  });

  it('never allows more than the limit under concurrency', async () => {
    const store = createMemoryStore({ clock: manualClock(start) });
    await expectExactlyLimitAllowed(store, 'acct:user:abc', { limit: 7, windowSeconds: 60 }, 100);
    // And on a counter that already has hits.
    await store.consume('acct:user:def', { limit: 7, windowSeconds: 60 });
    const more = await Promise.all(Array.from({ length: 50 }, () => store.consume('acct:user:def', { limit: 7, windowSeconds: 60 })));
    expect(more.filter((result) => result.allowed)).toHaveLength(6);
  });

  it('opens a new window when the clock passes resetAt, not before', async () => {
    const clock = manualClock(start);
    const store = createMemoryStore({ clock });
    for (let i = 0; i < 3; i += 1) await store.consume('k', rule);
    clock.set(start + 59_999);
    expect((await store.consume('k', rule)).allowed).toBe(false);
    clock.set(start + 60_000);
    const fresh = await store.consume('k', rule);
    expect(fresh).toEqual({ allowed: true, remaining: 2, resetAt: start + 120_000 });
  });

  it('never treats an ended window as current, even when no sweep has run since it ended', async () => {
    const clock = manualClock(start + 30_000);
    // A sweep due only in an hour: the rollover below must come from the window, not from sweeping.
    const store = createMemoryStore({ clock, sweepIntervalMs: 3_600_000 });
    for (let i = 0; i < 3; i += 1) await store.consume('k', rule);
    expect((await store.consume('k', rule)).allowed).toBe(false);
    clock.set(start + 60_000 + 17_123);
    expect(await store.consume('k', rule)).toEqual({ allowed: true, remaining: 2, resetAt: start + 120_000 });
    expect(store.size()).toBe(1);
  });

  it('does not reopen a window when the clock goes back', async () => {
    const clock = manualClock(start + 60_000);
    const store = createMemoryStore({ clock });
    for (let i = 0; i < 3; i += 1) await store.consume('k', rule);
    clock.set(start + 1_000);
    expect((await store.consume('k', rule)).allowed).toBe(false);
  });

  it('counts each rule on a key separately', async () => {
    const store = createMemoryStore({ clock: manualClock(start) });
    for (let i = 0; i < 3; i += 1) await store.consume('k', rule);
    expect((await store.consume('k', rule)).allowed).toBe(false);
    expect((await store.consume('k', { limit: 10, windowSeconds: 3600 })).allowed).toBe(true);
    expect((await store.consume('other', rule)).allowed).toBe(true);
  });

  it('reset forgets the window for that key and rule only', async () => {
    const store = createMemoryStore({ clock: manualClock(start) });
    const hour = { limit: 3, windowSeconds: 3600 };
    for (let i = 0; i < 3; i += 1) {
      await store.consume('k', rule);
      await store.consume('k', hour);
    }
    await store.reset('k', rule);
    expect(await store.consume('k', rule)).toMatchObject({ allowed: true, remaining: 2 });
    expect((await store.consume('k', hour)).allowed).toBe(false);
  });

  it('sweeps ended windows so memory stays bounded', async () => {
    const clock = manualClock(start);
    const store = createMemoryStore({ clock, sweepIntervalMs: 1_000 });
    for (let i = 0; i < 50; i += 1) await store.consume(`k${i}`, rule);
    expect(store.size()).toBe(50);
    clock.advance(60_000);
    await store.consume('late', rule);
    expect(store.size()).toBe(1);
  });

  describe('sweeps', () => {
    const second = { limit: 3, windowSeconds: 1 };

    it('sweeps once a minute by default', async () => {
      const clock = manualClock(start);
      const store = createMemoryStore({ clock });
      for (let i = 0; i < 5; i += 1) await store.consume(`k${i}`, second);
      clock.set(start + 59_999);
      await store.consume('before', second);
      expect(store.size()).toBe(6);
      clock.set(start + 60_000);
      await store.consume('after', second);
      expect(store.size()).toBe(1);
    });

    it('sweeps at most once per sweepIntervalMs: a window that ended since waits for the next sweep', async () => {
      const clock = manualClock(start);
      const store = createMemoryStore({ clock, sweepIntervalMs: 10_000 });
      await store.consume('a', second);
      clock.set(start + 10_000);
      await store.consume('b', second); // sweeps `a`; the next sweep is due at +20 s
      expect(store.size()).toBe(1);
      clock.set(start + 15_000);
      await store.consume('c', second); // `b` ended at +11 s, and is still held
      expect(store.size()).toBe(2);
      clock.set(start + 20_000);
      await store.consume('d', second);
      expect(store.size()).toBe(1);
    });

    it('does not sweep for a newcomer while there is room, nor for a key opening its next window', async () => {
      const clock = manualClock(start);
      const store = createMemoryStore({ clock, maxKeys: 3, sweepIntervalMs: 3_600_000 });
      for (const key of ['a', 'b']) {
        await store.consume(key, rule);
        await store.consume(key, rule);
      }
      clock.advance(60_000);
      await store.consume('c', rule); // room for it: `a` and `b`, ended, stay until a sweep
      expect(store.size()).toBe(3);
      await store.consume('a', rule); // full, but `a` reuses its own place
      expect(store.size()).toBe(3);
    });
  });

  describe('hard cap', () => {
    it('makes room from ended windows before evicting anyone or refusing', async () => {
      const clock = manualClock(start);
      const store = createMemoryStore({ clock, maxKeys: 2, sweepIntervalMs: 3_600_000 });
      const hour = { limit: 3, windowSeconds: 3600 };
      await store.consume('live', hour); // one hit: the only evictable counter
      await store.consume('ended', rule);
      await store.consume('ended', rule);
      clock.advance(60_000);
      expect(await store.consume('new', rule)).toMatchObject({ allowed: true, remaining: 2 });
      // `live` kept its count: the room came from `ended`.
      expect(await store.consume('live', hour)).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('a counter opening its next window is the newest for eviction', async () => {
      const clock = manualClock(start);
      const store = createMemoryStore({ clock, maxKeys: 2, sweepIntervalMs: 3_600_000 });
      await store.consume('a', rule);
      await store.consume('b', { limit: 3, windowSeconds: 3600 });
      clock.advance(60_000);
      await store.consume('a', rule); // a new window of `a`, after `b`
      await store.consume('c', rule); // evicts `b`, the oldest single-hit counter
      expect(await store.consume('a', rule)).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('evicts the oldest single-hit counter to make room', async () => {
      const store = createMemoryStore({ clock: manualClock(start), maxKeys: 3 });
      await store.consume('a', rule);
      await store.consume('b', rule);
      await store.consume('c', rule);
      await store.consume('d', rule);
      expect(store.size()).toBe(3);
      // `a` was evicted: it starts over. `b` was not: it continues.
      expect((await store.consume('b', rule)).remaining).toBe(1);
    });

    it('never evicts a counter under attack, and fails closed for newcomers instead', async () => {
      const clock = manualClock(start);
      const store = createMemoryStore({ clock, maxKeys: 2 });
      for (let i = 0; i < 3; i += 1) {
        await store.consume('victim', rule);
        await store.consume('noisy', rule);
      }
      const refused = store.consume('newcomer', rule);
      await expect(refused).rejects.toBeInstanceOf(KitError);
      // What the client reads names no key, store or host.
      await expect(refused).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503, message: 'The rate limiter is unavailable. Try again later.' });
      expect((await store.consume('victim', rule)).allowed).toBe(false);

      // Once their windows end they are swept and there is room again.
      clock.advance(60_000);
      expect((await store.consume('newcomer', rule)).allowed).toBe(true);
    });

    it('stays within maxKeys after reset: a removed key leaves nothing behind to evict in place of a live one', async () => {
      const store = createMemoryStore({ clock: manualClock(start), maxKeys: 2, sweepIntervalMs: 3_600_000 });
      await store.consume('a', rule);
      await store.consume('b', rule);
      await store.reset('a', rule);
      expect(store.size()).toBe(1);
      for (const key of ['c', 'd', 'e', 'f']) {
        await store.consume(key, rule);
        expect(store.size(), key).toBeLessThanOrEqual(2);
      }
      // The newest counter survived its successor's arrival: only older ones were evicted.
      expect((await store.consume('f', rule)).remaining).toBe(1);
    });

    it('keeps a limit-1 counter (already exhausted) even when it has a single hit', async () => {
      const store = createMemoryStore({ clock: manualClock(start), maxKeys: 1 });
      const once = { limit: 1, windowSeconds: 60 };
      await store.consume('k', once);
      await expect(store.consume('other', once)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
      expect((await store.consume('k', once)).allowed).toBe(false);
    });

    it('a counter stops being evictable at its second hit', async () => {
      const store = createMemoryStore({ clock: manualClock(start), maxKeys: 2 });
      await store.consume('a', rule);
      await store.consume('b', rule);
      await store.consume('a', rule);
      await store.consume('c', rule); // evicts b, the only single-hit counter
      expect((await store.consume('a', rule)).remaining).toBe(0);
      await expect(store.consume('d', rule)).resolves.toMatchObject({ allowed: true }); // evicts c
      await expect(store.consume('e', rule)).resolves.toMatchObject({ allowed: true }); // evicts d
      expect((await store.consume('a', rule)).allowed).toBe(false);
    });
  });

  it('rejects keys and rules that are not well formed, as a programming error that names the rule but no key', async () => {
    const store = createMemoryStore({ clock: manualClock(start) });
    await expect(store.consume('', rule)).rejects.toThrow(new TypeError('Invalid rate-limit key.'));
    await expect(store.consume('has space', rule)).rejects.toThrow(new TypeError('Invalid rate-limit key.'));
    await expect(store.consume('k', { limit: 0, windowSeconds: 60 })).rejects.toThrow(new TypeError('Invalid rate-limit rule {"limit":0,"windowSeconds":60}.'));
    await expect(store.consume('k', { limit: 1.5, windowSeconds: 60 })).rejects.toThrow(new TypeError('Invalid rate-limit rule {"limit":1.5,"windowSeconds":60}.'));
    await expect(store.reset('k', { limit: 1, windowSeconds: 0 })).rejects.toThrow(new TypeError('Invalid rate-limit rule {"limit":1,"windowSeconds":0}.'));
    expect(store.size()).toBe(0);
  });
});
