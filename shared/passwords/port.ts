/**
 * The argon2 port: password verification, bounded in concurrency.
 *
 * `#argon2` (package.json `imports`) is the native `@node-rs/argon2` on Node and Appwrite, and the
 * Wasm build under the `workerd` condition wrangler resolves with. Only functions that name this
 * port import this module, so no other function's bundle carries argon2.
 *
 * @module
 */
import { argon2Verifier } from '#argon2';
import * as z from 'zod';
import { envInt, parseConfig } from '../config.js';
import { definePort, type RuntimeKind } from '../platform.js';
import { ConcurrencyLimit, limitVerifier, type PasswordVerifier } from './verifier.js';

/**
 * Defaults and ceilings per runtime. argon2id at Appwrite's parameters holds 64 MiB: a Worker
 * isolate's 128 MB fits one, Appwrite's default 512 MB spec two, a Node server one per core.
 * The wait budget is shortest on Workers, where a verification blocks the isolate and every
 * request in it, and stays well under Appwrite's request budget (`REQUEST_TIMEOUT_MS`, 12 s) so
 * a shed login answers `server_busy` with a `Retry-After` rather than running out of time.
 */
const limitsByRuntime: Record<RuntimeKind, { concurrency: [number, number]; queue: [number, number]; maxWaitMs: number }> = {
  node: { concurrency: [1, 256], queue: [1000, 1_000_000], maxWaitMs: 5000 },
  appwrite: { concurrency: [2, 64], queue: [64, 10_000], maxWaitMs: 5000 },
  workers: { concurrency: [1, 1], queue: [16, 1000], maxWaitMs: 2000 },
};

function settingsSchema(kind: RuntimeKind, cores: number) {
  const { concurrency, queue, maxWaitMs } = limitsByRuntime[kind];
  const defaultConcurrency = kind === 'node' ? Math.min(concurrency[1], Math.max(1, cores)) : concurrency[0];
  return z.object({
    /** argon2 verifications running at once in this process. */
    ARGON2_MAX_CONCURRENCY: envInt({ min: 1, max: concurrency[1], default: defaultConcurrency }),
    /** Verifications waiting for a slot before new ones get 503 `server_busy`. */
    ARGON2_MAX_QUEUE: envInt({ min: 0, max: queue[1], default: queue[0] }),
    /** Milliseconds a verification may wait for a slot before it gets 503 `server_busy`. */
    ARGON2_MAX_WAIT_MS: envInt({ min: 100, max: 60_000, default: maxWaitMs }),
  });
}

/**
 * A verifier behind the process's gate, which it shows: its bounds are configuration, and per runtime.
 *
 * @example
 * ```ts
 * passwordVerifierPort.create(runtime).gate.limit; // 1 on Workers
 * ```
 */
export interface GatedVerifier extends PasswordVerifier {
  readonly gate: ConcurrencyLimit;
}

// One gate per process, not per execution or per function: the memory argon2 needs is the process's.
// Keyed by its settings, which only tests vary within a process (each Worker environment they build).
const gates = new Map<string, ConcurrencyLimit>();

/**
 * Provides a `PasswordVerifier` bounded by `ARGON2_MAX_CONCURRENCY`, `ARGON2_MAX_QUEUE` and
 * `ARGON2_MAX_WAIT_MS` (validated only in deployments that have a function using it). Every
 * verifier built with the same settings in a process waits at the same gate.
 *
 * @example
 * ```ts
 * defineFunction({ name: 'password', ports: { passwordVerifier: passwordVerifierPort, ... }, ... });
 * ```
 */
export const passwordVerifierPort = definePort<GatedVerifier>((runtime) => {
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
  const settings = parseConfig(settingsSchema(runtime.kind, cores), runtime.env);
  const key = JSON.stringify(settings);
  let gate = gates.get(key);
  if (!gate) {
    gate = new ConcurrencyLimit(settings.ARGON2_MAX_CONCURRENCY, {
      maxQueue: settings.ARGON2_MAX_QUEUE,
      maxWaitMs: settings.ARGON2_MAX_WAIT_MS,
      clock: runtime.clock,
      // Node and Appwrite (Node too) have setImmediate, a turn without a timer's 1 ms floor.
      ...(runtime.kind === 'workers' ? {} : { yieldTurn: () => new Promise<void>((resolve) => setImmediate(resolve)) }),
    });
    gates.set(key, gate);
  }
  return { ...limitVerifier(argon2Verifier, gate), gate };
});
