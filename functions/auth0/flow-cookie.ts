/**
 * The redirect flow's only state: one cookie holding `state`, `nonce`, the PKCE verifier and the
 * `success`/`failure` URLs between `/login` and `/callback`. No server keeps anything.
 *
 * The value is an encrypted JWT (`dir`, A256GCM: authenticated encryption, so it can be neither
 * read nor altered without `AUTH0_COOKIE_SECRET`), expiring after {@link FLOW_LIFETIME_SECONDS}.
 * The cookie is HttpOnly, SameSite=Lax (sent on the issuer's top-level redirect back, not on
 * cross-site subrequests) and, over https, `__Host-` prefixed and Secure: a sibling subdomain
 * cannot plant its own flow in the browser (login CSRF).
 *
 * @module
 */
import { generateCookie, getCookie } from 'hono/cookie';
import type { Context } from 'hono';
import { EncryptJWT, errors, jwtDecrypt, type JWTPayload } from 'jose';
import * as z from 'zod';
import type { Clock } from '../../shared/clock.js';
import { constantTimeEqualText } from '../../shared/constant-time.js';

/**
 * How long a sign-in may take between `/login` and `/callback`.
 *
 * @example
 * ```ts
 * clock.advance((FLOW_LIFETIME_SECONDS + 1) * 1000); // the callback now answers failure?error=flow_expired
 * ```
 */
export const FLOW_LIFETIME_SECONDS = 600;

/**
 * The browser keeps the cookie this much longer than the flow lasts, so a late return is told
 * `flow_expired` on the failure page rather than a bare 400.
 */
const COOKIE_GRACE_SECONDS = 300;

/** What a flow carries from `/login` to `/callback`. */
export interface Flow {
  state: string;
  nonce: string;
  /** The PKCE `code_verifier`. */
  verifier: string;
  success: string;
  failure: string;
}

/** A flow as `/callback` finds it. */
export type OpenedFlow =
  | { status: 'valid'; flow: Flow; /** ms since the epoch */ expiresAt: number }
  | { status: 'expired'; flow: Flow }
  /** No cookie, or one this deployment did not write (tampered, another secret, garbage). */
  | { status: 'invalid' };

const flowSchema = z.object({
  state: z.string().min(1).max(256),
  nonce: z.string().min(1).max(256),
  verifier: z.string().min(43).max(128),
  success: z.string().min(1).max(2048),
  failure: z.string().min(1).max(2048),
});

/** Sets the JWT apart from any other the same secret might encrypt. */
const FLOW_TYP = 'auth0-flow+jwt';
const KEY_INFO = 'appwrite-custom-token-kit auth0 flow cookie v1';

/**
 * HKDF-SHA-256 of the secret: a full-entropy 256-bit key whatever the secret's alphabet, and one
 * that is only ever this cookie's key.
 */
async function deriveKey(secret: string): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(KEY_INFO) },
    material,
    256,
  );
  return new Uint8Array(bits);
}

/** The flow cookie of one deployment. */
export interface FlowCookie {
  /** The `Set-Cookie` value that starts a flow. */
  seal(flow: Flow): Promise<string>;
  /** The request's flow, expired, or invalid. */
  open(c: Context): Promise<OpenedFlow>;
  /** The `Set-Cookie` value that removes the cookie: every `/callback` answer sends it, the flow is over. */
  readonly clear: string;
}

/**
 * @example
 * ```ts
 * const cookie = createFlowCookie({ secret: config.cookieSecret, secure: true, clock });
 * c.header('Set-Cookie', await cookie.seal({ state, nonce, verifier, success, failure }));
 * const opened = await cookie.open(c); // { status: 'valid', flow, expiresAt } | { status: 'expired', flow } | { status: 'invalid' }
 * ```
 */
export function createFlowCookie(options: { secret: string; secure: boolean; clock: Clock }): FlowCookie {
  const { secret, secure, clock } = options;
  // Over https the browser sees `__Host-auth0-flow`: Hono adds the prefix on both ends.
  const name = 'auth0-flow';
  const prefix = secure ? ('host' as const) : undefined;
  const attributes = { path: '/', httpOnly: true, secure, sameSite: 'Lax', prefix } as const;
  // The derived key itself is kept, never a pending promise: workerd refuses to let one request
  // await what another request started.
  let key: Uint8Array | undefined;
  const keyOf = async () => (key ??= await deriveKey(secret));

  return {
    async seal(flow) {
      const now = Math.floor(clock.now() / 1000);
      const jwt = await new EncryptJWT({ ...flow })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: FLOW_TYP })
        .setIssuedAt(now)
        .setExpirationTime(now + FLOW_LIFETIME_SECONDS)
        .encrypt(await keyOf());
      return generateCookie(name, jwt, { ...attributes, maxAge: FLOW_LIFETIME_SECONDS + COOKIE_GRACE_SECONDS });
    },

    async open(c) {
      const value = getCookie(c, name, prefix);
      if (!value) return { status: 'invalid' };
      let payload: JWTPayload;
      let expired = false;
      try {
        ({ payload } = await jwtDecrypt(value, await keyOf(), {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          typ: FLOW_TYP,
          requiredClaims: ['exp', 'iat'],
          currentDate: new Date(clock.now()),
        }));
      } catch (error) {
        // Only a cookie that decrypted (so this deployment wrote it) and then failed on time.
        if (!(error instanceof errors.JWTExpired)) return { status: 'invalid' };
        payload = error.payload;
        expired = true;
      }
      const flow = flowSchema.safeParse(payload);
      if (!flow.success) return { status: 'invalid' };
      return expired ? { status: 'expired', flow: flow.data } : { status: 'valid', flow: flow.data, expiresAt: (payload.exp ?? 0) * 1000 };
    },

    clear: generateCookie(name, '', { ...attributes, maxAge: 0 }),
  };
}

/**
 * Whether the `state` the issuer sent back is the flow's, compared in constant time: both are
 * hashed first, so neither their bytes nor their lengths shape the comparison's timing.
 *
 * @example
 * ```ts
 * if (!(await sameState(query.state ?? '', flow.state))) throw auth0Errors.create('flow_invalid');
 * ```
 */
export async function sameState(received: string, expected: string): Promise<boolean> {
  return (await constantTimeEqualText(received, expected)) && expected !== '';
}
