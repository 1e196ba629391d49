import { describe, expect, it } from 'vitest';
import { KitError } from '../../shared/errors.js';
import { createMemoryOnceStore } from '../../shared/once/memory-store.js';
import { manualClock } from '../helpers/clock.js';

const start = Date.UTC(2026, 0, 15, 12, 0, 0);
const minute = 60_000;

describe('memory once-store', () => {
  it('the first claim wins, every later one is a replay until the record expires', async () => {
    const clock = manualClock(start);
    const once = createMemoryOnceStore({ clock });
    expect(await once.claim('once:test:a', start + minute)).toBe(true);
    expect(await once.claim('once:test:a', start + minute)).toBe(false);
    // A replay with a later expiry neither wins nor extends the record.
    expect(await once.claim('once:test:a', start + 10 * minute)).toBe(false);
    expect(await once.claim('once:test:b', start + minute)).toBe(true);

    // The record holds through its expiresAt instant, and is gone one millisecond later.
    clock.set(start + minute);
    expect(await once.claim('once:test:a', start + minute)).toBe(false);
    clock.set(start + minute + 1);
    expect(await once.claim('once:test:a', start + 2 * minute)).toBe(true);
    expect(await once.claim('once:test:a', start + 2 * minute)).toBe(false);
  });

  it('an expiry of now records the key for this instant', async () => {
    const once = createMemoryOnceStore({ clock: manualClock(start) });
    expect(await once.claim('now', start)).toBe(true);
    expect(await once.claim('now', start)).toBe(false);
  });

  it('a clock that goes back never revives a claim', async () => {
    const clock = manualClock(start);
    const once = createMemoryOnceStore({ clock });
    expect(await once.claim('back', start + minute)).toBe(true);
    clock.set(start - 10 * minute);
    expect(await once.claim('back', start)).toBe(false);
  });

  it('of many concurrent claims of one key exactly one wins', async () => {
    const once = createMemoryOnceStore({ clock: manualClock(start) });
    const results = await Promise.all(Array.from({ length: 100 }, () => once.claim('race', start + minute)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('sweeps expired records so memory stays bounded', async () => {
    const clock = manualClock(start);
    const once = createMemoryOnceStore({ clock, sweepIntervalMs: 1_000 });
    for (let i = 0; i < 50; i += 1) await once.claim(`k${i}`, start + minute);
    await once.claim('long', start + 10 * minute);
    expect(once.size()).toBe(51);
    clock.set(start + minute + 1);
    await once.claim('late', start + 2 * minute);
    expect(once.size()).toBe(2);
    expect(await once.claim('long', start + 10 * minute)).toBe(false);
  });

  describe('hard cap', () => {
    it('fails closed when full of live records, and never evicts one', async () => {
      const clock = manualClock(start);
      const once = createMemoryOnceStore({ clock, maxKeys: 3 });
      for (const key of ['a', 'b', 'c']) expect(await once.claim(key, start + minute)).toBe(true);

      const refused = once.claim('d', start + minute);
      await expect(refused).rejects.toBeInstanceOf(KitError);
      await expect(refused).rejects.toMatchObject({ type: 'once_store_unavailable', status: 503 });
      expect(once.size()).toBe(3);
      // Every recorded key is still a replay: nothing was pushed out to make room.
      for (const key of ['a', 'b', 'c']) expect(await once.claim(key, start + minute)).toBe(false);
    });

    it('makes room by sweeping expired records first, even between sweep intervals', async () => {
      const clock = manualClock(start);
      const once = createMemoryOnceStore({ clock, maxKeys: 2, sweepIntervalMs: 3_600_000 });
      await once.claim('short', start + 1_000);
      await once.claim('long', start + minute);
      clock.set(start + 1_001);
      expect(await once.claim('new', start + minute)).toBe(true);
      expect(once.size()).toBe(2);
      expect(await once.claim('long', start + minute)).toBe(false);
      await expect(once.claim('newer', start + minute)).rejects.toMatchObject({ type: 'once_store_unavailable' });
    });

    it('a full store still answers replays and re-claims of expired keys it holds', async () => {
      const clock = manualClock(start);
      const once = createMemoryOnceStore({ clock, maxKeys: 2, sweepIntervalMs: 3_600_000 });
      await once.claim('a', start + 1_000);
      await once.claim('b', start + minute);
      expect(await once.claim('b', start + minute)).toBe(false);
      clock.set(start + 1_001);
      expect(await once.claim('a', start + minute)).toBe(true);
    });
  });

  it('rejects keys and expiries that are not well formed, as programming errors', async () => {
    const once = createMemoryOnceStore({ clock: manualClock(start) });
    for (const key of ['', 'has space', 'naïve', 'x'.repeat(513)]) {
      await expect(once.claim(key, start + minute), JSON.stringify(key)).rejects.toThrow(TypeError);
    }
    for (const expiresAt of [start - 1, start + 0.5, Number.NaN, Number.POSITIVE_INFINITY, start + 367 * 24 * 3_600_000, (start + minute) / 1000]) {
      await expect(once.claim('k', expiresAt), String(expiresAt)).rejects.toThrow(TypeError);
    }
    expect(once.size()).toBe(0);
    expect(await once.claim('x'.repeat(512), start + 366 * 24 * 3_600_000)).toBe(true);
    expect(() => createMemoryOnceStore({ maxKeys: 0 })).toThrow(TypeError);
  });
});
