/**
 * Signed, single-use challenges. The options route signs what the verify route must know (which
 * flow, for whom, until when) into the challenge itself, so nothing is stored when options are
 * asked for and a flood of option requests costs no storage. The verify route checks the signature
 * and the expiry, then burns the challenge in the once-store: a second use is refused even within
 * its lifetime, and on every instance.
 *
 * A challenge is `base64url(payload JSON) "." base64url(HMAC-SHA-256)`, 32 random bytes inside
 * the payload; the browser signs its UTF-8 bytes, and `clientDataJSON.challenge` carries them back
 * base64url-encoded.
 *
 * @module
 */
import * as z from 'zod';
import type { Clock } from '../../shared/clock.js';
import { onceKey, type OnceStore } from '../../shared/once/store.js';
import { passkeyErrors } from './errors.js';

/** The step a challenge was issued for; a challenge for one step is refused by every other. */
export type ChallengeFlow = 'sign-up' | 'add' | 'sign-in';

/** What a challenge carries: its flow, the user it is for (none for discoverable sign-in), its expiry. */
export interface ChallengeClaims {
  flow: ChallengeFlow;
  /** The Appwrite user ID the ceremony is for. */
  userId?: string | undefined;
  /** The normalised username of a sign-up. */
  username?: string | undefined;
  /** ms since epoch. */
  expiresAt: number;
}

const claimsSchema = z.object({
  flow: z.enum(['sign-up', 'add', 'sign-in']),
  userId: z.string().max(36).optional(),
  username: z.string().max(64).optional(),
  expiresAt: z.number().int(),
  nonce: z.string(),
});

const encoder = new TextEncoder();
const toBase64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/**
 * Issues and opens the function's challenges.
 *
 * @example
 * ```ts
 * const challenges = createChallenges({ secret: config.PASSKEY_CHALLENGE_SECRET, lifetimeMs: 120_000, clock, once });
 * const challenge = await challenges.issue({ flow: 'sign-in' });
 * const claims = await challenges.redeem(clientDataChallenge, 'sign-in'); // throws when forged, expired or used
 * ```
 */
export function createChallenges(options: { secret: string; lifetimeMs: number; clock: Clock; once: OnceStore }) {
  const { lifetimeMs, clock, once } = options;
  const key = crypto.subtle.importKey('raw', encoder.encode(`kit-passkey-challenge:${options.secret}`), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);

  return {
    /** A fresh challenge string for the options answer (`challenge` of `generate*Options`). */
    async issue(claims: Omit<ChallengeClaims, 'expiresAt'>): Promise<string> {
      const nonce = toBase64url(crypto.getRandomValues(new Uint8Array(32)));
      const payload = toBase64url(encoder.encode(JSON.stringify({ ...claims, expiresAt: clock.now() + lifetimeMs, nonce })));
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key, encoder.encode(payload)));
      return `${payload}.${toBase64url(mac)}`;
    },

    /**
     * Checks a challenge that came back in `clientDataJSON` (base64url of the string {@link issue}
     * returned) and burns it. Throws `challenge_invalid` when it is forged, for another flow or already
     * used, `challenge_expired` when it is late. Returns the claims and the challenge string the
     * verification must expect.
     */
    async redeem(returned: string, flow: ChallengeFlow): Promise<ChallengeClaims & { challenge: string }> {
      const bytes = fromBase64url(returned);
      const challenge = bytes ? new TextDecoder().decode(bytes) : '';
      const [payload, mac, ...rest] = challenge.split('.');
      const macBytes = mac === undefined ? null : fromBase64url(mac);
      const genuine =
        payload !== undefined &&
        macBytes !== null &&
        rest.length === 0 &&
        // verify() compares in constant time.
        (await crypto.subtle.verify('HMAC', await key, macBytes, encoder.encode(payload)));
      if (!genuine) throw passkeyErrors.create('challenge_invalid');
      const parsed = claimsSchema.safeParse(JSON.parse(new TextDecoder().decode(fromBase64url(payload) ?? new Uint8Array())));
      if (!parsed.success || parsed.data.flow !== flow) throw passkeyErrors.create('challenge_invalid');
      if (parsed.data.expiresAt < clock.now()) throw passkeyErrors.create('challenge_expired');
      if (!(await once.claim(await onceKey('passkey.challenge', parsed.data.nonce), parsed.data.expiresAt))) {
        throw passkeyErrors.create('challenge_invalid');
      }
      return { flow: parsed.data.flow, userId: parsed.data.userId, username: parsed.data.username, expiresAt: parsed.data.expiresAt, challenge: returned };
    },
  };
}

/** The challenge store {@link createChallenges} returns. */
export type Challenges = ReturnType<typeof createChallenges>;
