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
 * Refusals of a sealed window (see `durable-object.ts`: full, idle, and deaf to `reset` until it
 * ends) are remembered in the isolate until the window ends, so a locked account or address under
 * a flood costs the object one request per isolate per window instead of one per attempt. Only
 * refusals are remembered, never an allowance: every admitted hit is still counted by the object.
 *
 * @module
 */
import type { z } from 'zod';
import { KitError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { counterResetResponseSchema, counterResponseSchema, type counterRequestSchema } from './durable-object.js';
import {
  checkConsumeInput,
  counterName,
  rateLimiterUnavailable,
  type ConsumeResult,
  type RateLimitRule,
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
  /**
   * Most sealed refusals remembered at once. Default 10,000 (well under a megabyte). Forgetting one
   * early is always safe: the next attempt asks the object again.
   */
  maxRememberedRefusals?: number;
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
  const logger = options.logger ?? silentLogger;

  /**
   * Sends one request to a counter's object and reads its answer with `schema`. Anything but a
   * readable 2xx answer fails closed, logged with the operation and why.
   */
  async function ask<Schema extends z.ZodType>(name: string, request: z.input<typeof counterRequestSchema>, schema: Schema): Promise<z.output<Schema>> {
    const failed = { store: 'durable_object', operation: request.op };
    let answer: unknown;
    try {
      const stub = namespace.get(namespace.idFromName(name));
      const response = await stub.fetch('http://rate-limit-counter/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (!response.ok) {
        logger.error('rate_limiter_call_failed', { ...failed, status: response.status });
        throw rateLimiterUnavailable();
      }
      answer = await response.json();
    } catch (error) {
      if (error instanceof KitError) throw error;
      logger.error('rate_limiter_call_failed', { ...failed, reason: 'unreachable' });
      throw rateLimiterUnavailable();
    }
    const parsed = schema.safeParse(answer);
    if (parsed.success) return parsed.data;
    logger.error('rate_limiter_call_failed', { ...failed, reason: 'bad_response' });
    throw rateLimiterUnavailable();
  }

  const maxRemembered = options.maxRememberedRefusals ?? 10_000;
  // Counter name -> end of its sealed window, on this store's clock. Insertion order is age order.
  // A window that has ended answers nothing any more; it stays until its room is needed.
  const sealedUntil = new Map<string, number>();

  function remember(name: string, resetAt: number): void {
    // Stryker disable next-line ConditionalExpression: sweeping ended windows before the map is full only frees memory sooner; no answer changes
    if (sealedUntil.size >= maxRemembered) {
      const now = clock.now();
      for (const [known, until] of sealedUntil) if (until <= now) sealedUntil.delete(known);
      for (const oldest of sealedUntil.keys()) {
        if (sealedUntil.size < maxRemembered) break;
        sealedUntil.delete(oldest);
      }
    }
    sealedUntil.set(name, resetAt);
  }

  function knownRefusal(key: string, rule: RateLimitRule): ConsumeResult | null {
    // A counter not remembered reads as sealed until the epoch: long over.
    const until = sealedUntil.get(counterName(key, rule)) ?? 0;
    return clock.now() < until ? { allowed: false, remaining: 0, resetAt: until } : null;
  }

  return {
    async consume(key, rule, consumeOptions = {}): Promise<ConsumeResult> {
      ({ key, rule } = checkConsumeInput(key, rule));
      const known = knownRefusal(key, rule);
      if (known) return known;
      const name = counterName(key, rule);
      const request = { op: 'consume', now: clock.now(), rule, seal: consumeOptions.seal === true } as const;
      const { sealed, ...result } = await ask(name, request, counterResponseSchema);
      if (sealed && !result.allowed) remember(name, result.resetAt);
      return result;
    },

    // Not validated: a lookup by name, and only names of validated keys and rules are remembered.
    knownRefusal,

    async reset(key, rule) {
      ({ key, rule } = checkConsumeInput(key, rule));
      const answer = await ask(counterName(key, rule), { op: 'reset', now: clock.now() }, counterResetResponseSchema);
      // A sealed window stays as it is (durable-object.ts): a success that came too late to clear it.
      if (!answer.reset) logger.warn('rate_limit_clear_too_late', { store: 'durable_object' });
    },
  };
}
