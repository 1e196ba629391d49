/**
 * Account references for audit log lines: enough to follow one account through the log (every
 * failed login and every refusal), useless to anyone reading the log without the deployment's key.
 *
 * A bare SHA-256 of a username is no protection: anyone with a list of likely names hashes them and
 * reads the log back. So the reference is an HMAC-SHA-256 under `AUDIT_LOG_KEY`, a secret of the
 * deployment. Without it the kit still runs, with a random key of the process, and says so once
 * (log and `GET /health`): references then match only within one running instance. `npm start` with
 * the embedded Appwrite is one process that forgets everything on exit, so it says nothing.
 *
 * @module
 */
import * as z from 'zod';
import { parseConfig } from './config.js';
import { definePort } from './platform.js';
import type { AccountKind } from './rate-limit/keys.js';

/** Shortest accepted `AUDIT_LOG_KEY`: 32 characters (e.g. `openssl rand -hex 16`, 128 bits). */
export const AUDIT_LOG_KEY_MIN = 32;

/** Hex digits of the HMAC kept in a reference: 64 bits, enough to tell accounts apart in a log. */
const REFERENCE_HEX_DIGITS = 16;

const auditConfigSchema = z.object({
  AUDIT_LOG_KEY: z.string().min(AUDIT_LOG_KEY_MIN, `must be at least ${AUDIT_LOG_KEY_MIN} characters`).optional(),
});

/** What the operator is told when `AUDIT_LOG_KEY` is unset. */
export const AUDIT_LOG_KEY_NOTICE =
  'audit: AUDIT_LOG_KEY is not set; account references in the log use a random key of this process and do not match across instances or restarts';

/** Makes account references for log lines. */
export interface AuditReferences {
  /**
   * The first 16 hex digits of HMAC-SHA-256(key, `<kind>:<identifier>`). Pass the identifier
   * normalised, as for rate-limit keys, so every spelling of one account has one reference.
   */
  account(kind: AccountKind, identifier: string): Promise<string>;
}

const encoder = new TextEncoder();

function importHmacKey(secret: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

// One per process, made on first use (Workers allow no randomness outside a request), shared by
// every function and instance of the process so that its lines at least match one another.
let processKey: Promise<CryptoKey> | undefined;

/**
 * References under a key, or under the process's random key when `secret` is undefined.
 *
 * @example
 * ```ts
 * const audit = createAuditReferences(env.AUDIT_LOG_KEY);
 * logger.warn('login_failed', { account: await audit.account('username', 'alice') });
 * ```
 */
export function createAuditReferences(secret: string | undefined): AuditReferences {
  let key: Promise<CryptoKey> | undefined;
  const keyOf = () =>
    (key ??= secret === undefined ? (processKey ??= importHmacKey(crypto.getRandomValues(new Uint8Array(32)))) : importHmacKey(encoder.encode(secret)));
  return {
    async account(kind, identifier) {
      const mac = await crypto.subtle.sign('HMAC', await keyOf(), encoder.encode(`${kind}:${identifier}`));
      return Array.from(new Uint8Array(mac).subarray(0, REFERENCE_HEX_DIGITS / 2), (byte) => byte.toString(16).padStart(2, '0')).join('');
    },
  };
}

/**
 * Account references keyed by `AUDIT_LOG_KEY` (optional; a notice when unset outside development,
 * a `ConfigError` when too short). No Appwrite scope.
 *
 * @example
 * ```ts
 * ports: { audit: auditPort }
 * logger.warn('login_failed', { account: await audit.account('username', username), ip: clientIpKey(c.env.clientIp) });
 * ```
 */
export const auditPort = definePort<AuditReferences>((runtime) => {
  const { AUDIT_LOG_KEY } = parseConfig(auditConfigSchema, runtime.env);
  if (AUDIT_LOG_KEY === undefined && !runtime.development) runtime.notice(AUDIT_LOG_KEY_NOTICE);
  return createAuditReferences(AUDIT_LOG_KEY);
});
