/**
 * The rate-limit store for Cloudflare Workers, backed by the `RateLimitCounter` Durable Object.
 *
 * Exact, and shared by every Worker instance everywhere: each counter (a key under one rule) is one
 * object, found with `idFromName`, and a Durable Object handles its requests one at a time. KV would
 * not do (eventually consistent, no atomic increment), nor would the Workers Rate Limiting binding
 * (per location, permissive by design).
 *
 * Wrangler config (TOML), with a `compatibility_date` on or after 2026-08-04 (`nodejs_compat` on by
 * default) or the flag listed explicitly before that:
 *
 * ```toml
 * [[durable_objects.bindings]]
 * name = "RATE_LIMITER"
 * class_name = "RateLimitCounter"
 *
 * [exports.RateLimitCounter]
 * type = "durable-object"
 * storage = "sqlite"
 * ```
 *
 * (`exports` and `migrations` are mutually exclusive; the legacy form is
 * `[[migrations]] tag = "v1"` with `new_sqlite_classes = ["RateLimitCounter"]`.)
 *
 * @module
 */
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { counterResponseSchema } from './durable-object.js';
import {
  checkConsumeInput,
  counterName,
  rateLimiterUnavailable,
  type ConsumeResult,
  type RateLimitStore,
} from './store.js';

/** What the store needs of a Durable Object stub: `fetch` only. */
export interface CounterStub {
  fetch(url: string, init: { method: string; headers: Record<string, string>; body: string }): Promise<{
    ok: boolean;
    status: number;
    json(): Promise<unknown>;
  }>;
}

/**
 * The slice of a `DurableObjectNamespace` binding the store uses. Declared here rather than imported
 * from `@cloudflare/workers-types`, whose globals clash with the DOM and Node types of the kit's
 * main tsconfig; a real binding satisfies it structurally.
 */
export interface CounterNamespace<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): CounterStub;
}

/** Options of {@link createDurableObjectStore}. */
export interface DurableObjectStoreOptions {
  /** Time source for window arithmetic. Default: the wall clock. */
  clock?: Clock;
  /** Where failures to reach the object are reported. */
  logger?: Logger;
}

/**
 * Creates a store over the `RateLimitCounter` namespace binding.
 *
 * @example
 * ```ts
 * const store = createDurableObjectStore(env.RATE_LIMITER, { logger });
 * const { allowed } = await store.consume(clientIpKey(c.env.clientIp), { limit: 5, windowSeconds: 60 });
 * ```
 */
export function createDurableObjectStore<Id>(
  namespace: CounterNamespace<Id>,
  options: DurableObjectStoreOptions = {},
): RateLimitStore {
  const clock = options.clock ?? systemClock;

  async function call(name: string, body: object, operation: string): Promise<unknown> {
    try {
      const stub = namespace.get(namespace.idFromName(name));
      const response = await stub.fetch('http://rate-limit-counter/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        options.logger?.error('rate_limiter_call_failed', { store: 'durable_object', operation, status: response.status });
        throw rateLimiterUnavailable();
      }
      return await response.json();
    } catch (error) {
      if (error instanceof KitError) throw error;
      options.logger?.error('rate_limiter_call_failed', { store: 'durable_object', operation, reason: 'unreachable' });
      throw rateLimiterUnavailable();
    }
  }

  return {
    async consume(key, rule): Promise<ConsumeResult> {
      ({ key, rule } = checkConsumeInput(key, rule));
      const answer = await call(counterName(key, rule), { op: 'consume', now: clock.now(), rule }, 'consume');
      const parsed = counterResponseSchema.safeParse(answer);
      if (!parsed.success) {
        options.logger?.error('rate_limiter_call_failed', { store: 'durable_object', operation: 'consume', reason: 'bad_response' });
        throw rateLimiterUnavailable();
      }
      return parsed.data;
    },

    async reset(key, rule) {
      ({ key, rule } = checkConsumeInput(key, rule));
      await call(counterName(key, rule), { op: 'reset' }, 'reset');
    },
  };
}
