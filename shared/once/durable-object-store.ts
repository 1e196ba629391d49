/**
 * The once-store for Cloudflare Workers, backed by the `OnceRecord` Durable Object.
 *
 * Exact, and shared by every Worker instance everywhere: each key is one object, found with
 * `idFromName`, and a Durable Object handles its requests one at a time. KV would not do: it is
 * eventually consistent, so two locations could both read "absent" and both accept the same token.
 *
 * Wrangler config (TOML), with a `compatibility_date` on or after 2026-08-04 (`nodejs_compat` on by
 * default) or the flag listed explicitly before that:
 *
 * ```toml
 * [[durable_objects.bindings]]
 * name = "ONCE_STORE"
 * class_name = "OnceRecord"
 *
 * [exports.OnceRecord]
 * type = "durable-object"
 * storage = "sqlite"
 * ```
 *
 * (`exports` and `migrations` are mutually exclusive. A config already on migrations adds a new tag
 * rather than editing an applied one: `[[migrations]] tag = "v2"` with
 * `new_sqlite_classes = ["OnceRecord"]`.)
 *
 * @module
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import { onceResponseSchema } from './durable-object.js';
import { checkClaimInput, onceStoreUnavailable, type OnceStore } from './store.js';

/**
 * What the store needs of a Durable Object stub: `fetch` only.
 *
 * @example
 * ```ts
 * const stub: OnceRecordStub = env.ONCE_STORE.get(env.ONCE_STORE.idFromName(key));
 * ```
 */
export interface OnceRecordStub {
  fetch(url: string, init: { method: string; headers: Record<string, string>; body: string }): Promise<{
    ok: boolean;
    status: number;
    json(): Promise<unknown>;
  }>;
}

/**
 * The slice of a `DurableObjectNamespace` binding the store uses. Declared here rather than imported
 * from `@cloudflare/workers-types`, whose globals clash with the DOM and Node types of the kit's
 * main tsconfig; a real binding (and the rate-limit store's `CounterNamespace`) satisfies it
 * structurally.
 *
 * @example
 * ```ts
 * const namespace: OnceRecordNamespace = env.ONCE_STORE;
 * ```
 */
export interface OnceRecordNamespace<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): OnceRecordStub;
}

/**
 * Options of {@link createDurableObjectOnceStore}.
 *
 * @example
 * ```ts
 * const options: DurableObjectOnceStoreOptions = { clock: systemClock, logger };
 * ```
 */
export interface DurableObjectOnceStoreOptions {
  /** Time source that decides what has expired. Default: the wall clock. */
  clock?: Clock;
  /** Where failures to reach the object are reported. */
  logger?: Logger;
}

/**
 * Creates a once-store over the `OnceRecord` namespace binding. A missing binding, an object that
 * cannot be reached, an error status or an answer that does not parse all throw
 * `once_store_unavailable` at `claim`, so callers fail closed.
 *
 * @example
 * ```ts
 * const once = createDurableObjectOnceStore(env.ONCE_STORE, { logger });
 * if (!(await once.claim(await onceKey('captcha', token), Date.now() + 300_000))) throw replayError();
 * ```
 */
export function createDurableObjectOnceStore<Id>(
  namespace: OnceRecordNamespace<Id>,
  options: DurableObjectOnceStoreOptions = {},
): OnceStore {
  const clock = options.clock ?? systemClock;
  const fail = (fields: Record<string, string | number>) => {
    options.logger?.error('once_store_call_failed', { store: 'durable_object', operation: 'claim', ...fields });
    return onceStoreUnavailable();
  };

  return {
    async claim(key, expiresAt) {
      const now = clock.now();
      key = checkClaimInput(key, expiresAt, now);
      let answer: unknown;
      try {
        // Inside the try: an unbound namespace (undefined) throws here, and must fail closed too.
        const stub = namespace.get(namespace.idFromName(key));
        const response = await stub.fetch('http://once-record/', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ op: 'claim', now, expiresAt }),
        });
        if (!response.ok) throw fail({ status: response.status });
        answer = await response.json();
      } catch (error) {
        if (error instanceof KitError) throw error;
        throw fail({ reason: 'unreachable' });
      }
      const parsed = onceResponseSchema.safeParse(answer);
      if (!parsed.success) throw fail({ reason: 'bad_response' });
      return parsed.data.claimed;
    },
  };
}
