/**
 * The ports a function can ask for, each a provider over what the runtime offers. A function names
 * the ones it needs in its definition (`ports: { users: usersPort, ... }`); nothing else is built.
 * argon2 (`passwords/port.ts`) and Appwrite Messaging (`sign-in/delivery-port.ts`) have their own
 * modules, so that only functions that use them bundle them: a bundle that imports one port of this
 * module carries all of them.
 *
 * @module
 */
import * as z from 'zod';
import { createAppwriteUsers } from './appwrite/users.js';
import { envInt, parseConfig } from './config.js';
import { definePort } from './platform.js';

/**
 * Appwrite's Users API (`users.read`, `users.write`).
 *
 * @example
 * ```ts
 * ports: { users: usersPort }
 * ```
 */
export const usersPort = definePort(
  (runtime) => createAppwriteUsers(runtime.appwrite(), runtime.logger, { signal: runtime.signal }),
  ['users.read', 'users.write'],
);

/**
 * The rate-limit store of the runtime: memory on Node, a Durable Object on Workers, an Appwrite table on Appwrite.
 *
 * @example
 * ```ts
 * ports: { rateLimits: rateLimitsPort }
 * ```
 */
// rows.* for the Appwrite table store; the other runtimes' stores need no Appwrite scope.
export const rateLimitsPort = definePort((runtime) => runtime.rateLimitStore(), ['rows.read', 'rows.write']);

/**
 * The once-store of the runtime (replay guards, single-use challenges).
 *
 * @example
 * ```ts
 * ports: { once: oncePort }
 * ```
 */
export const oncePort = definePort((runtime) => runtime.onceStore(), ['rows.read', 'rows.write']);

/** `fetch` for calls to vendors, with a deadline. */
export type OutboundFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

const outboundSchema = z.object({
  /** Milliseconds before a vendor call (captcha siteverify, JWKS, Twilio) is abandoned. */
  OUTBOUND_TIMEOUT_MS: envInt({ min: 100, max: 30_000, default: 5_000 }),
});

/**
 * The platform `fetch` with a deadline (`OUTBOUND_TIMEOUT_MS`) and redirects refused: a vendor
 * that redirects is misconfigured, and following one would let a response steer the kit's requests.
 * A timeout rejects with a `TimeoutError` DOMException, a redirect with a `TypeError`; callers turn
 * any rejection into their own fail-closed error. Tests point vendors at loopback servers through
 * their URL settings.
 *
 * @example
 * ```ts
 * ports: { fetch: fetchPort }
 * const response = await ports.fetch('https://challenges.cloudflare.com/turnstile/v0/siteverify', { method: 'POST', body });
 * ```
 */
export const fetchPort = definePort<OutboundFetch>((runtime) => {
  const { OUTBOUND_TIMEOUT_MS } = parseConfig(outboundSchema, runtime.env);
  const platformFetch = runtime.fetch;
  return async (url, init = {}) => {
    // The request's own signal too: no vendor call starts, or is awaited, once the request is abandoned.
    const signals = [AbortSignal.timeout(OUTBOUND_TIMEOUT_MS), init.signal, runtime.signal];
    const signal = AbortSignal.any(signals.filter((one): one is AbortSignal => Boolean(one)));
    // `manual`, then refuse any 3xx: workerd throws on `redirect: 'error'` ("use manual and check
    // the response status code"), which failed every vendor call on Workers.
    const response = await platformFetch(url, { ...init, redirect: 'manual', signal });
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel();
      throw new TypeError(`Refused a ${response.status} redirect: call the vendor at its final URL.`);
    }
    return response;
  };
});
