/**
 * A software authenticator for tests: what a platform authenticator does for
 * `navigator.credentials.create()` and `.get()`, written out with node:crypto so every byte a
 * test sends is one it chose (W3C WebAuthn Level 3: §6.1 authenticator data, §6.5.1 attested
 * credential data, §8.7 the `none` attestation, §5.8.1 client data).
 *
 * - Keys: ES256 (P-256, COSE alg -7), one per credential, kept in the authenticator.
 * - `create` answers `RegistrationResponseJSON`: `clientDataJSON` (`webauthn.create`, the challenge
 *   as given, the origin), `attestationObject` = CBOR `{ fmt: 'none', attStmt: {}, authData }` with
 *   the attested credential (zero AAGUID, random 32-byte ID, COSE key).
 * - `get` answers `AuthenticationResponseJSON`: authenticator data without the credential, and an
 *   ECDSA signature (DER) over `authData || SHA-256(clientDataJSON)`.
 * - Flags: UP always, UV unless told otherwise, BE+BS (a synced passkey) unless told otherwise. The
 *   signature counter is 0 (as synced passkeys keep it) unless a test sets one.
 * - Every field can be overridden per call, to make the wrong origin, the wrong RP ID, a tampered
 *   signature, a counter that goes backwards, another user handle, a credential ID already taken, or a
 *   `packed` self attestation (§8.2: signed with the new credential's own key) instead of `none`.
 *
 * @module
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/** A stored credential of the authenticator. */
export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  cosePublicKey: Buffer;
  /** The `user.id` it was created for (the user handle it returns). */
  userHandle: Buffer;
  rpId: string;
  counter: number;
}

/** What a ceremony may change from the honest default. */
export interface CeremonyOverrides {
  /** The origin the browser would report. */
  origin?: string;
  /** The RP ID whose hash goes in the authenticator data. */
  rpId?: string;
  /** `webauthn.create` / `webauthn.get` by default. */
  type?: string;
  /** The challenge as it comes back, base64url; default the options' own. */
  challenge?: string;
  /** User verified (UV flag). Default true. */
  userVerified?: boolean;
  /** The signature counter to report; default the credential's own plus its step. */
  counter?: number;
  /** Flips a bit of the signature (of the assertion, or of a `packed` attestation). */
  tamperSignature?: boolean;
}

/** What a registration may change from the honest default. */
export interface CreationOverrides extends CeremonyOverrides {
  /** The new credential's ID; default 32 random bytes. */
  credentialId?: Buffer;
  /** `transports` of the response; `null` leaves the field out, as some browsers do. Default `['internal']`. */
  transports?: string[] | null;
  /** `packed` signs the attestation with the new credential's key (self attestation); default `none`. */
  attestation?: 'none' | 'packed';
}

/** What an assertion may change from the honest default. */
export interface AssertionOverrides extends CeremonyOverrides {
  /** The credential to answer with; default the first the options allow. */
  credential?: SoftCredential;
  /** The user handle returned; `null` leaves it out (allowed for a credential the options named). Default the credential's own. */
  userHandle?: Buffer | null;
}

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest();

/** CBOR (RFC 8949) for what attestation objects and COSE keys hold: integers, byte and text strings, maps. */
export function cbor(value: number | string | Uint8Array | Map<number | string, unknown> | Record<string, unknown>): Buffer {
  const head = (major: number, length: number) => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 256) return Buffer.from([(major << 5) | 24, length]);
    const out = Buffer.alloc(3);
    out[0] = (major << 5) | 25;
    out.writeUInt16BE(length, 1);
    return out;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k as number | string), cbor(v as Parameters<typeof cbor>[0])])]);
}

/**
 * A software authenticator holding its credentials.
 *
 * @example
 * ```ts
 * const authenticator = createSoftAuthenticator({ origin: 'https://app.example.test' });
 * const registration = authenticator.create(creationOptions);
 * const assertion = authenticator.get(requestOptions);
 * ```
 */
export function createSoftAuthenticator(defaults: { origin: string; backedUp?: boolean; counterStep?: number }) {
  const credentials: SoftCredential[] = [];
  const counterStep = defaults.counterStep ?? 0;
  const backedUp = defaults.backedUp ?? true;

  function authData(rpId: string, flags: { uv: boolean; attested?: Buffer }, counter: number): Buffer {
    const bits = 0x01 | (flags.uv ? 0x04 : 0) | (backedUp ? 0x08 | 0x10 : 0) | (flags.attested ? 0x40 : 0);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([bits]), count, flags.attested ?? Buffer.alloc(0)]);
  }

  const clientData = (type: string, challenge: string, origin: string) => Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  return {
    credentials,

    /** Answers creation options as `startRegistration` would. */
    create(options: { challenge: string; rp: { id?: string }; user: { id: string } }, overrides: CreationOverrides = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const cosePublicKey = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
      const rpId = options.rp.id!;
      const credential: SoftCredential = { id: overrides.credentialId ?? randomBytes(32), privateKey, cosePublicKey, userHandle: Buffer.from(options.user.id, 'base64url'), rpId, counter: 0 };
      credentials.push(credential);
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credential.id.length);
      const attested = Buffer.concat([Buffer.alloc(16), idLength, credential.id, cosePublicKey]);
      const data = authData(overrides.rpId ?? rpId, { uv: overrides.userVerified ?? true, attested }, overrides.counter ?? 0);
      const clientDataJSON = clientData(overrides.type ?? 'webauthn.create', overrides.challenge ?? options.challenge, overrides.origin ?? defaults.origin);
      let attStmt = new Map<string, unknown>();
      if (overrides.attestation === 'packed') {
        const sig = sign('sha256', Buffer.concat([data, sha256(clientDataJSON)]), privateKey);
        if (overrides.tamperSignature) sig[sig.length - 1]! ^= 0x01;
        attStmt = new Map<string, unknown>([['alg', -7], ['sig', sig]]);
      }
      const attestationObject = cbor({ fmt: overrides.attestation ?? 'none', attStmt, authData: data });
      const transports = overrides.transports === undefined ? ['internal'] : overrides.transports;
      return {
        id: b64u(credential.id),
        rawId: b64u(credential.id),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64u(clientDataJSON),
          attestationObject: b64u(attestationObject),
          ...(transports === null ? {} : { transports }),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform' as const,
      };
    },

    /**
     * Answers request options as `startAuthentication` would: with the first of its credentials the
     * options allow (any of its credentials for the RP when they list none), or the one given.
     */
    get(options: { challenge: string; rpId?: string; allowCredentials?: { id: string }[] }, overrides: AssertionOverrides = {}) {
      const allowed = options.allowCredentials?.map((entry) => entry.id);
      const credential =
        overrides.credential ?? credentials.find((candidate) => candidate.rpId === options.rpId && (!allowed || allowed.includes(b64u(candidate.id))));
      if (!credential) throw new Error('No credential of this authenticator fits these options (NotAllowedError in a browser).');
      credential.counter = overrides.counter ?? credential.counter + counterStep;
      const data = authData(overrides.rpId ?? credential.rpId, { uv: overrides.userVerified ?? true }, credential.counter);
      const clientDataJSON = clientData(overrides.type ?? 'webauthn.get', overrides.challenge ?? options.challenge, overrides.origin ?? defaults.origin);
      const signature = sign('sha256', Buffer.concat([data, sha256(clientDataJSON)]), credential.privateKey);
      if (overrides.tamperSignature) signature[signature.length - 1]! ^= 0x01;
      return {
        id: b64u(credential.id),
        rawId: b64u(credential.id),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64u(clientDataJSON),
          authenticatorData: b64u(data),
          signature: b64u(signature),
          ...(overrides.userHandle === null ? {} : { userHandle: b64u(overrides.userHandle ?? credential.userHandle) }),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform' as const,
      };
    },
  };
}

/** The authenticator {@link createSoftAuthenticator} returns. */
export type SoftAuthenticator = ReturnType<typeof createSoftAuthenticator>;
