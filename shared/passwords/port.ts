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
import { z } from 'zod';
import { envInt, parseConfig } from '../config.js';
import { definePort, type RuntimeKind } from '../platform.js';
import { ConcurrencyLimit, limitVerifier, type PasswordVerifier } from './verifier.js';

/**
 * Concurrency defaults and ceilings per runtime. argon2id at Appwrite's parameters holds 64 MiB:
 * a Worker isolate's 128 MB fits one, Appwrite's default 512 MB spec two, a Node server one per core.
 */
const limitsByRuntime: Record<RuntimeKind, { concurrency: [number, number]; queue: [number, number] }> = {
  node: { concurrency: [1, 256], queue: [1000, 1_000_000] },
  appwrite: { concurrency: [2, 64], queue: [64, 10_000] },
  workers: { concurrency: [1, 1], queue: [16, 1000] },
};

function settingsSchema(kind: RuntimeKind, cores: number) {
  const { concurrency, queue } = limitsByRuntime[kind];
  const defaultConcurrency = kind === 'node' ? Math.min(concurrency[1], Math.max(1, cores)) : concurrency[0];
  return z.object({
    /** argon2 verifications running at once in this process. */
    ARGON2_MAX_CONCURRENCY: envInt({ min: 1, max: concurrency[1], default: defaultConcurrency }),
    /** Verifications waiting for a slot before new ones get 503 `server_busy`. */
    ARGON2_MAX_QUEUE: envInt({ min: 0, max: queue[1], default: queue[0] }),
  });
}

// One gate per process, not per execution or per function: the memory argon2 needs is the process's.
let gate: ConcurrencyLimit | undefined;

/**
 * Provides a `PasswordVerifier` bounded by `ARGON2_MAX_CONCURRENCY` and `ARGON2_MAX_QUEUE`
 * (validated only in deployments that have a function using it).
 *
 * @example
 * ```ts
 * defineFunction({ name: 'password', ports: { passwordVerifier: passwordVerifierPort, ... }, ... });
 * ```
 */
export const passwordVerifierPort = definePort<PasswordVerifier>((runtime) => {
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
  const settings = parseConfig(settingsSchema(runtime.kind, cores), runtime.env);
  gate ??= new ConcurrencyLimit(settings.ARGON2_MAX_CONCURRENCY, settings.ARGON2_MAX_QUEUE);
  return limitVerifier(argon2Verifier, gate);
});
