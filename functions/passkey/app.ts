/**
 * The passkey function: sign up and sign in with a passkey, or add one to a signed-in Appwrite
 * account. WebAuthn itself is `@simplewebauthn/server`'s; this module decides who a ceremony is for,
 * keeps challenges single-use, stores credentials and hands a verified sign-in to the pipeline.
 *
 * @module
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL, isoUint8Array } from '@simplewebauthn/server/helpers';
import type { Context } from 'hono';
import * as z from 'zod';
import type { Clock } from '../../shared/clock.js';
import { createFunctionApp, type KitEnv } from '../../shared/http.js';
import type { Logger } from '../../shared/log.js';
import type { OnceStore } from '../../shared/once/store.js';
import { acrossEveryone, perAccount, perClientIp } from '../../shared/rate-limit/checks.js';
import { createRateLimitGuard, type LimitCheck } from '../../shared/rate-limit/guard.js';
import { accountKey } from '../../shared/rate-limit/keys.js';
import type { RateLimitStore } from '../../shared/rate-limit/store.js';
import { serveRoutes } from '../../shared/routes.js';
import { createSignIn } from '../../shared/sign-in/pipeline.js';
import { UserAlreadyExistsError, type UsersDirectory } from '../../shared/users.js';
import { userIdForUsername } from '../password/username.js';
import type { JwtAccounts, SignedInAccount } from './account.js';
import { createChallenges, type ChallengeFlow } from './challenge.js';
import type { PasskeyConfig } from './config.js';
import { passkeyErrors } from './errors.js';
import { passkeyRoutes } from './routes.js';
import { PasskeyExistsError, type PasskeyStore, type StoredPasskey } from './store.js';

/** The ports the passkey function uses; `index.ts` names their providers. */
export interface PasskeyPorts {
  users: UsersDirectory;
  rateLimitStore: RateLimitStore;
  once: OnceStore;
  passkeys: PasskeyStore;
  accounts: JwtAccounts;
  logger: Logger;
  clock: Clock;
}

/**
 * EdDSA, ES256, RS256: every passkey provider offers one of them. The post-quantum ML-DSA keys the
 * library adds when the runtime supports them are left out: their public keys (1.3 to 2.6 KB) would
 * not fit the stored column, and no authenticator makes them yet.
 */
const SUPPORTED_ALGORITHMS = [-8, -7, -257];

const clientDataSchema = z.object({ challenge: z.string().max(8192) });

/** The credential in logs and its rate-limit subject: a hash, never the ID (it is the handle a clone would use). */
const credentialRef = (credentialId: string) => accountKey('user', `passkey:${credentialId}`);

/** What the WebAuthn library said when it refused, for the log: cut to 200 characters, as a client writes part of it (the origin it claims). */
const detailOf = (error: unknown) => String(error).slice(0, 200);

const summary = (passkey: StoredPasskey) => ({
  credentialId: passkey.credentialId,
  deviceType: passkey.deviceType,
  backedUp: passkey.backedUp,
  transports: passkey.transports,
  createdAt: passkey.createdAt,
  lastUsedAt: passkey.lastUsedAt,
});

/**
 * Builds the passkey function's app.
 *
 * @example
 * ```ts
 * const app = createPasskeyApp(parseConfig(passkeyConfigSchema, env), ports);
 * const options = await (await app.request('/sign-in/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
 * ```
 */
export function createPasskeyApp(config: PasskeyConfig, ports: PasskeyPorts) {
  const { users, passkeys, accounts, logger, clock } = ports;
  const guard = createRateLimitGuard({ store: ports.rateLimitStore, clock, logger });
  const signIn = createSignIn({ users, logger, clock, rateLimits: ports.rateLimitStore });
  const challenges = createChallenges({ secret: config.PASSKEY_CHALLENGE_SECRET, lifetimeMs: config.PASSKEY_TIMEOUT_MS, clock, once: ports.once });
  const requireUserVerification = config.PASSKEY_USER_VERIFICATION === 'required';
  const token = { length: config.PASSKEY_TOKEN_LENGTH, expire: config.PASSKEY_TOKEN_EXPIRE };
  const expected = { expectedOrigin: config.PASSKEY_ORIGINS, expectedRPID: config.PASSKEY_RP_ID, requireUserVerification };
  // Stryker disable next-line BooleanLiteral: extractable or not, the key is never exported
  const decoyKey = crypto.subtle.importKey('raw', new TextEncoder().encode(`kit-passkey-decoy:${config.PASSKEY_CHALLENGE_SECRET}`), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);

  const byIp = (c: Context<KitEnv>, route: string) => perClientIp(`passkey.${route}.ip`, c.env?.clientIp, config.PASSKEY_LIMIT_IP);
  const byUsername = (username: string) => perAccount('passkey.username', 'username', username, config.PASSKEY_LIMIT_USERNAME);
  /** Sign-in attempts per credential; its refusal names the credential as the rejection lines do. */
  const byCredential = async (credentialId: string): Promise<LimitCheck> => {
    const credential = await credentialRef(credentialId);
    return { scope: 'passkey.credential', subject: credential, rules: config.PASSKEY_LIMIT_CREDENTIAL, logFields: { credential } };
  };

  /** The user a JWT belongs to, or `session_invalid`. */
  async function signedIn(jwt: string): Promise<SignedInAccount> {
    const account = await accounts(jwt);
    if (account === null) throw passkeyErrors.create('session_invalid');
    return account;
  }

  /** Opens and burns the challenge a response signed. */
  function redeem<Flow extends ChallengeFlow>(response: { response: { clientDataJSON: string } }, flow: Flow) {
    let clientData: unknown;
    try {
      clientData = JSON.parse(isoBase64URL.toUTF8String(response.response.clientDataJSON));
    } catch {
      // Not JSON: refused below like client data without a challenge.
    }
    const parsed = clientDataSchema.safeParse(clientData);
    if (!parsed.success) throw passkeyErrors.create('challenge_invalid');
    return challenges.redeem(parsed.data.challenge, flow);
  }

  /** Refuses with `passkey_invalid`, saying why in the log only. */
  async function refuse(reason: string, credentialId: string, fields: Record<string, unknown> = {}): Promise<never> {
    logger.warn('passkey_rejected', { reason, credential: await credentialRef(credentialId), ...fields });
    throw passkeyErrors.create('passkey_invalid');
  }

  /** Verifies a registration against a redeemed challenge; the new passkey, not yet stored. */
  async function verifiedRegistration(response: RegistrationResponseJSON, challenge: string, userId: string): Promise<StoredPasskey> {
    let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      result = await verifyRegistrationResponse({ response, expectedChallenge: challenge, ...expected, supportedAlgorithmIDs: SUPPORTED_ALGORITHMS });
    } catch (error) {
      return refuse('registration_not_verified', response.id, { detail: detailOf(error) });
    }
    if (!result.verified) return refuse('registration_not_verified', response.id);
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
    return {
      credentialId: credential.id,
      userId,
      publicKey: isoBase64URL.fromBuffer(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      createdAt: new Date(clock.now()).toISOString(),
      lastUsedAt: null,
    };
  }

  /** Stores a passkey; a credential ID registered before (to anyone) is refused. */
  async function store(passkey: StoredPasskey): Promise<void> {
    try {
      await passkeys.add(passkey);
    } catch (error) {
      if (error instanceof PasskeyExistsError) await refuse('credential_already_registered', passkey.credentialId);
      throw error;
    }
  }

  /** The creation options every registration answers: resident key required (discoverable sign-in), attestation none. */
  const creationOptions = (userId: string, userName: string, challenge: string, exclude: StoredPasskey[]) =>
    generateRegistrationOptions({
      rpName: config.PASSKEY_RP_NAME,
      rpID: config.PASSKEY_RP_ID,
      userName,
      userID: isoUint8Array.fromUTF8String(userId),
      challenge,
      timeout: config.PASSKEY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: exclude.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'required', userVerification: config.PASSKEY_USER_VERIFICATION },
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });

  /** Credential IDs for a username-first sign-in: the user's, or one decoy derived from the name (32 bytes, like many real IDs), stable across requests. */
  async function allowedCredentialIds(username: string): Promise<string[]> {
    const owned = await passkeys.listByUser(await userIdForUsername(username));
    if (owned.length > 0) return owned.map((passkey) => passkey.credentialId);
    const decoy = new Uint8Array(await crypto.subtle.sign('HMAC', await decoyKey, new TextEncoder().encode(username)));
    return [isoBase64URL.fromBuffer(decoy)];
  }

  /** Proves a sign-in assertion: the stored passkey's user, its counter recorded. */
  async function verifyAssertion(response: AuthenticationResponseJSON) {
    const claims = await redeem(response, 'sign-in');
    const passkey = await passkeys.get(response.id);
    if (!passkey) return refuse('unknown_credential', response.id);
    if (claims.userId !== undefined && claims.userId !== passkey.userId) return refuse('not_the_username_passkey', response.id);
    const userHandle = response.response.userHandle;
    if (userHandle !== undefined && isoBase64URL.toUTF8String(userHandle) !== passkey.userId) return refuse('user_handle_mismatch', response.id);

    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: claims.challenge,
        ...expected,
        // The counter is checked below, where a regression is logged as what it is.
        credential: { id: passkey.credentialId, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: 0, transports: passkey.transports as AuthenticatorTransport[] },
      });
    } catch (error) {
      return refuse('assertion_not_verified', response.id, { userId: passkey.userId, detail: detailOf(error) });
    }
    if (!result.verified) return refuse('assertion_not_verified', response.id, { userId: passkey.userId });
    const next = result.authenticationInfo.newCounter;
    // WebAuthn §6.1.1: once the stored counter has counted, one that does not grow hints at a cloned
    // authenticator. (Both at 0 is an authenticator that keeps no counter, as most synced passkeys.)
    if (passkey.counter > 0 && next <= passkey.counter) {
      logger.error('passkey_counter_regression', { userId: passkey.userId, credential: await credentialRef(passkey.credentialId), stored: passkey.counter, received: next });
      throw passkeyErrors.create('passkey_invalid');
    }
    const user = await users.get(passkey.userId);
    if (!user) return refuse('user_deleted', response.id, { userId: passkey.userId });
    await passkeys.recordUse(passkey.credentialId, next, clock.now());
    return { user };
  }

  const app = createFunctionApp({ logger, corsOrigins: config.CORS_ALLOWED_ORIGINS });
  return serveRoutes(app, passkeyRoutes, {
    signUpOptions: async (c, { body: { username } }) => {
      await guard.enforce([byIp(c, 'sign-up'), await byUsername(username)]);
      const userId = await userIdForUsername(username);
      if (await users.get(userId)) throw passkeyErrors.create('username_taken');
      const challenge = await challenges.issue({ flow: 'sign-up', userId, username });
      return c.json(await creationOptions(userId, username, challenge, []), 200);
    },

    signUpVerify: async (c, { body: { response } }) => {
      await guard.enforce([byIp(c, 'sign-up')]);
      const { userId, username, challenge } = await redeem(response, 'sign-up');
      const passkey = await verifiedRegistration(response as RegistrationResponseJSON, challenge, userId);
      await guard.enforce([acrossEveryone('passkey.sign-up.all', config.PASSKEY_LIMIT_SIGN_UP_ALL)]);
      // The passkey first: its ID is unique, and a user with no passkey would hold the name for nothing.
      await store(passkey);
      try {
        await users.create({ userId, name: username });
      } catch (error) {
        await passkeys.delete(passkey.credentialId).catch(() => logger.error('passkey_orphaned', { userId }));
        if (error instanceof UserAlreadyExistsError) throw passkeyErrors.create('username_taken');
        throw error;
      }
      logger.info('user_registered', { userId, method: 'passkey' });
      return signIn(c, { prove: async () => ({ userId }), token, deliver: 'response' });
    },

    addOptions: async (c, { body: { jwt } }) => {
      await guard.enforce([byIp(c, 'add')]);
      const { userId, email, name } = await signedIn(jwt);
      const owned = await passkeys.listByUser(userId);
      if (owned.length >= config.PASSKEY_MAX_PER_USER) throw passkeyErrors.create('passkey_limit_reached');
      const challenge = await challenges.issue({ flow: 'add', userId });
      return c.json(await creationOptions(userId, email || name || userId, challenge, owned), 200);
    },

    addVerify: async (c, { body: { jwt, response } }) => {
      await guard.enforce([byIp(c, 'add')]);
      const { userId } = await signedIn(jwt);
      const claims = await redeem(response, 'add');
      // A challenge issued to someone else's session cannot add a passkey to this one.
      if (claims.userId !== userId) throw passkeyErrors.create('challenge_invalid');
      const passkey = await verifiedRegistration(response as RegistrationResponseJSON, claims.challenge, userId);
      if ((await passkeys.listByUser(userId)).length >= config.PASSKEY_MAX_PER_USER) throw passkeyErrors.create('passkey_limit_reached');
      await store(passkey);
      logger.info('passkey_added', { userId });
      return c.json(summary(passkey), 201);
    },

    signInOptions: async (c, { body: { username } }) => {
      await guard.enforce([byIp(c, 'sign-in'), ...(username === undefined ? [] : [await byUsername(username)])]);
      const userId = username === undefined ? undefined : await userIdForUsername(username);
      const challenge = await challenges.issue({ flow: 'sign-in', userId });
      const allow = username === undefined ? undefined : (await allowedCredentialIds(username)).map((id) => ({ id }));
      return c.json(
        await generateAuthenticationOptions({
          rpID: config.PASSKEY_RP_ID,
          challenge,
          timeout: config.PASSKEY_TIMEOUT_MS,
          userVerification: config.PASSKEY_USER_VERIFICATION,
          allowCredentials: allow,
        }),
        200,
      );
    },

    signInVerify: async (c, { body: { response } }) =>
      signIn(c, {
        // Before any signature work or lookup beyond the limits.
        guards: [byIp(c, 'sign-in'), await byCredential(response.id)],
        prove: () => verifyAssertion(response as AuthenticationResponseJSON),
        token,
        deliver: 'response',
      }),

    list: async (c, { body: { jwt } }) => {
      await guard.enforce([byIp(c, 'manage')]);
      const { userId } = await signedIn(jwt);
      return c.json({ passkeys: (await passkeys.listByUser(userId)).map(summary) }, 200);
    },

    remove: async (c, { body: { jwt, credentialId } }) => {
      await guard.enforce([byIp(c, 'manage')]);
      const { userId } = await signedIn(jwt);
      const passkey = await passkeys.get(credentialId);
      // Someone else's passkey is as absent as one that never existed.
      if (!passkey || passkey.userId !== userId || !(await passkeys.delete(credentialId))) throw passkeyErrors.create('passkey_not_found');
      logger.info('passkey_deleted', { userId });
      return c.body(null, 204);
    },
  });
}
