/**
 * shared/rate-limit/memory-store.ts: the bound it is built with. A store that may hold no counter,
 * or a fraction of one, would refuse every newcomer or never fill: it is refused when built.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { manualClock } from '../helpers/clock.js';

describe('createMemoryStore maxKeys', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxKeys %s', (maxKeys) => {
    expect(() => createMemoryStore({ maxKeys })).toThrow(new TypeError('maxKeys must be a positive integer.'));
  });

  it('accepts a store of one counter, which holds it', async () => {
    const store = createMemoryStore({ clock: manualClock(0), maxKeys: 1 });
    expect((await store.consume('ip:v4:203.0.113.7', { limit: 2, windowSeconds: 60 })).allowed).toBe(true);
    expect((await store.consume('ip:v4:203.0.113.7', { limit: 2, windowSeconds: 60 })).allowed).toBe(true);
    expect((await store.consume('ip:v4:203.0.113.7', { limit: 2, windowSeconds: 60 })).allowed).toBe(false);
  });
});
