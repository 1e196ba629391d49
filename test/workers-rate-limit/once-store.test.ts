// The Durable Object once-store inside workerd, against the real OnceRecord object (SQLite storage,
// alarms) declared in ./wrangler.toml.
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createDurableObjectOnceStore, type OnceRecordNamespace } from '../../shared/once/durable-object-store.js';

const minute = 60_000;

function movableClock(start: number) {
  let current = start;
  return { now: () => current, set: (ms: number) => void (current = ms) };
}

function stubOf(key: string) {
  return env.ONCE_STORE.get(env.ONCE_STORE.idFromName(key));
}

/** Whether the object still holds its table (the alarm's deleteAll drops it). */
function hasRecord(key: string): Promise<boolean> {
  return runInDurableObject(
    stubOf(key),
    (_instance, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'record'").toArray().length === 1,
  );
}

describe('Durable Object once-store (workerd)', () => {
  it('the first claim wins, every later one is a replay, each key on its own', async () => {
    const start = Date.now();
    const once = createDurableObjectOnceStore(env.ONCE_STORE, { clock: movableClock(start) });
    expect(await once.claim('once:seq', start + minute)).toBe(true);
    expect(await once.claim('once:seq', start + minute)).toBe(false);
    expect(await once.claim('once:seq', start + 10 * minute)).toBe(false);
    expect(await once.claim('once:seq-2', start + minute)).toBe(true);
  });

  it('of 50 concurrent claims of one key from two store instances exactly one wins', async () => {
    const clock = movableClock(Date.now());
    const stores = [createDurableObjectOnceStore(env.ONCE_STORE, { clock }), createDurableObjectOnceStore(env.ONCE_STORE, { clock })];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2]!.claim('once:race', clock.now() + minute)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('of 50 concurrent claims of a key whose record expired exactly one wins', async () => {
    const start = Date.now();
    const clock = movableClock(start);
    const once = createDurableObjectOnceStore(env.ONCE_STORE, { clock });
    expect(await once.claim('once:race-expired', start + minute)).toBe(true);
    clock.set(start + minute + 1);
    const results = await Promise.all(Array.from({ length: 50 }, () => once.claim('once:race-expired', start + 2 * minute)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a record holds through its expiresAt and can be claimed again after it', async () => {
    const start = Date.now();
    const clock = movableClock(start);
    const once = createDurableObjectOnceStore(env.ONCE_STORE, { clock });
    expect(await once.claim('once:expiry', start + minute)).toBe(true);
    clock.set(start + minute);
    expect(await once.claim('once:expiry', start + 2 * minute)).toBe(false);
    clock.set(start + minute + 1);
    expect(await once.claim('once:expiry', start + 2 * minute)).toBe(true);
    expect(await once.claim('once:expiry', start + 2 * minute)).toBe(false);
  });

  it('arms an alarm just after expiry, and the alarm deletes the record by itself', async () => {
    // Real time, real alarm: workerd runs it on its own once the record has expired.
    const start = Date.now();
    const once = createDurableObjectOnceStore(env.ONCE_STORE, { clock: movableClock(start) });
    const expiresAt = start + 1_500;
    expect(await once.claim('once:cleanup', expiresAt)).toBe(true);
    expect(await runInDurableObject(stubOf('once:cleanup'), (_instance, state) => state.storage.getAlarm())).toBe(expiresAt + 1);
    expect(await hasRecord('once:cleanup')).toBe(true);

    const deadline = Date.now() + 10_000;
    while ((await hasRecord('once:cleanup')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await hasRecord('once:cleanup')).toBe(false);
    expect(Date.now()).toBeGreaterThan(expiresAt);
    // By the caller's frozen clock the record would still be live: only the alarm's deletion frees it.
    expect(await once.claim('once:cleanup', expiresAt)).toBe(true);
  });

  it('an alarm that runs while the record is live keeps it and re-arms for its expiry', async () => {
    const start = Date.now();
    const once = createDurableObjectOnceStore(env.ONCE_STORE, { clock: movableClock(start) });
    expect(await once.claim('once:early-alarm', start + 10 * minute)).toBe(true);
    expect(await runDurableObjectAlarm(stubOf('once:early-alarm'))).toBe(true);
    expect(await hasRecord('once:early-alarm')).toBe(true);
    expect(await once.claim('once:early-alarm', start + 10 * minute)).toBe(false);
    const alarm = await runInDurableObject(stubOf('once:early-alarm'), (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBe(start + 10 * minute + 1);
  });

  it('the object refuses malformed requests', async () => {
    const now = Date.now();
    for (const body of [{ op: 'claim', now }, { op: 'claim', now, expiresAt: now - 1 }, { op: 'reset' }]) {
      const response = await stubOf('once:malformed').fetch('http://once-record/', { method: 'POST', body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect((await stubOf('once:malformed').fetch('http://once-record/', { method: 'POST', body: 'not json' })).status).toBe(400);
  });

  describe('fails closed with once_store_unavailable', () => {
    it('when the binding is missing', async () => {
      const missing = (env as unknown as Record<string, unknown>)['NO_SUCH_BINDING'] as OnceRecordNamespace;
      await expect(createDurableObjectOnceStore(missing).claim('once:k', Date.now() + minute)).rejects.toMatchObject({
        type: 'once_store_unavailable',
        status: 503,
      });
    });

    it('when the stub fails, or answers an error or garbage', async () => {
      const failing: OnceRecordNamespace = {
        idFromName: (name) => env.ONCE_STORE.idFromName(name),
        get: () => ({ fetch: () => Promise.reject(new Error('Network connection lost.')) }),
      };
      await expect(createDurableObjectOnceStore(failing).claim('once:k', Date.now() + minute)).rejects.toMatchObject({ type: 'once_store_unavailable' });

      for (const answer of [new Response('boom', { status: 500 }), Response.json({ claimed: 'yes' })]) {
        const answering: OnceRecordNamespace = {
          idFromName: (name) => env.ONCE_STORE.idFromName(name),
          get: () => ({ fetch: async () => answer }),
        };
        await expect(createDurableObjectOnceStore(answering).claim('once:k', Date.now() + minute)).rejects.toMatchObject({
          type: 'once_store_unavailable',
        });
      }
    });
  });
});
