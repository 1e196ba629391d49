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
export type ChallengeFlow = ChallengeClaims['flow'];

const userId = z.string().max(36);
const signed = { expiresAt: z.number().int(), nonce: z.string() };
/** Each flow's claims: a sign-up names its user and username, adding names the session's user, a username-first sign-in the user. */
const claimsSchema = z.discriminatedUnion('flow', [
  z.object({ flow: z.literal('sign-up'), userId, username: z.string().max(64), ...signed }),
  z.object({ flow: z.literal('add'), userId, ...signed }),
  z.object({ flow: z.literal('sign-in'), userId: userId.optional(), ...signed }),
]);

/** What a challenge carries, by flow: the Appwrite user ID it is for (none for discoverable sign-in), a sign-up's normalised username. */
export type ChallengeClaims = DistributiveOmit<z.output<typeof claimsSchema>, 'expiresAt' | 'nonce'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A redeemed challenge: its flow's claims, its expiry (ms since epoch), and the challenge string the verification must expect. */
export type RedeemedChallenge<Flow extends ChallengeFlow> = Extract<ChallengeClaims, { flow: Flow }> & { expiresAt: number; challenge: string };

const encoder = new TextEncoder();
const toBase64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
/** The bytes of unpadded base64url text, or `null` for anything else (atob would take `+`, `/`, padding and spaces). */
function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  // A length of 4n+1 characters encodes no whole byte: atob throws on it.
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  return Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (char) => char.charCodeAt(0));
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
  // Stryker disable next-line BooleanLiteral: extractable or not, the key is never exported
  const key = crypto.subtle.importKey('raw', encoder.encode(`kit-passkey-challenge:${options.secret}`), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);

  return {
    /** A fresh challenge string for the options answer (`challenge` of `generate*Options`). */
    async issue(claims: ChallengeClaims): Promise<string> {
      const nonce = toBase64url(crypto.getRandomValues(new Uint8Array(32)));
      const payload = toBase64url(encoder.encode(JSON.stringify({ ...claims, expiresAt: clock.now() + lifetimeMs, nonce })));
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key, encoder.encode(payload)));
      return `${payload}.${toBase64url(mac)}`;
    },

    /**
     * Checks a challenge that came back in `clientDataJSON` (base64url of the string {@link issue}
     * returned) and burns it. Throws `challenge_invalid` when it is forged, for another flow or already
     * used, `challenge_expired` when it is late.
     */
    async redeem<Flow extends ChallengeFlow>(returned: string, flow: Flow): Promise<RedeemedChallenge<Flow>> {
      const bytes = fromBase64url(returned);
      if (bytes === null) throw passkeyErrors.create('challenge_invalid');
      const parts = new TextDecoder().decode(bytes).split('.');
      if (parts.length !== 2) throw passkeyErrors.create('challenge_invalid');
      const [payload, mac] = parts as [string, string];
      const macBytes = fromBase64url(mac);
      // verify() compares in constant time.
      if (macBytes === null || !(await crypto.subtle.verify('HMAC', await key, macBytes, encoder.encode(payload)))) {
        throw passkeyErrors.create('challenge_invalid');
      }
      // Signed by this function, so its own well-formed JSON.
      const parsed = claimsSchema.safeParse(JSON.parse(new TextDecoder().decode(fromBase64url(payload)!)));
      if (!parsed.success || parsed.data.flow !== flow) throw passkeyErrors.create('challenge_invalid');
      const { nonce, ...claims } = parsed.data;
      if (claims.expiresAt < clock.now()) throw passkeyErrors.create('challenge_expired');
      if (!(await once.claim(await onceKey('passkey.challenge', nonce), claims.expiresAt))) throw passkeyErrors.create('challenge_invalid');
      return { ...claims, challenge: returned } as RedeemedChallenge<Flow>;
    },
  };
}

/** The challenge store {@link createChallenges} returns. */
export type Challenges = ReturnType<typeof createChallenges>;
