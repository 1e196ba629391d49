/**
 * The passkey function's routes as data. Every route is a POST with a JSON body: the Appwrite JWT
 * travels in the body, never in a URL a proxy could log.
 *
 * @module
 */
import * as z from 'zod';
import { defineRoutes } from '../../shared/routes.js';
import { tokenAnswerSchema } from '../../shared/sign-in/delivery.js';
import { usernameSchema } from '../password/username.js';

const base64url = z.string().min(1).max(16_384).regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

const jwt = z.string().min(1).max(4096).describe('A JWT from account.createJWT() in the signed-in client (valid 15 minutes by default).');

/** `PublicKeyCredential.toJSON()` of `navigator.credentials.create()`, as @simplewebauthn/browser's `startRegistration` returns it. */
const registrationResponse = z
  .object({
    id: base64url,
    rawId: base64url,
    type: z.literal('public-key'),
    response: z.looseObject({ clientDataJSON: base64url, attestationObject: base64url, transports: z.array(z.string().max(32)).max(16).optional() }),
    clientExtensionResults: z.looseObject({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .describe("The browser's answer to the creation options (startRegistration's result).");

/** `PublicKeyCredential.toJSON()` of `navigator.credentials.get()`, as `startAuthentication` returns it. */
const authenticationResponse = z
  .object({
    id: base64url,
    rawId: base64url,
    type: z.literal('public-key'),
    response: z.looseObject({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
    clientExtensionResults: z.looseObject({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .describe("The browser's answer to the request options (startAuthentication's result).");

const creationOptions = z
  .looseObject({ challenge: z.string(), rp: z.looseObject({ id: z.string(), name: z.string() }), user: z.looseObject({ id: z.string(), name: z.string() }) })
  .describe('PublicKeyCredentialCreationOptionsJSON: pass to startRegistration({ optionsJSON }).');

const requestOptions = z
  .looseObject({ challenge: z.string(), rpId: z.string() })
  .describe('PublicKeyCredentialRequestOptionsJSON: pass to startAuthentication({ optionsJSON }).');

/** A passkey as its owner sees it: nothing secret, nothing that helps a clone. */
export const passkeySummarySchema = z.object({
  credentialId: z.string(),
  deviceType: z.enum(['singleDevice', 'multiDevice']),
  backedUp: z.boolean(),
  transports: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

const limits = ['rate_limited', 'rate_limiter_unavailable', 'appwrite_error', 'appwrite_unavailable'] as const;
const challengeErrors = ['challenge_invalid', 'challenge_expired', 'once_store_unavailable'] as const;

/**
 * @example
 * ```ts
 * serveRoutes(app, passkeyRoutes, { signUpOptions, signUpVerify, addOptions, addVerify, signInOptions, signInVerify, list, remove });
 * ```
 */
export const passkeyRoutes = defineRoutes({
  signUpOptions: {
    method: 'post',
    path: '/sign-up/options',
    summary: 'Start a passkey-first sign-up: creation options for a new user with this username.',
    description: "Usernames follow the password function's rules and map to the same user ID, so one person can hold both.",
    body: z.object({ username: usernameSchema }),
    answers: { 200: { description: 'Creation options.', schema: creationOptions } },
    errors: ['username_taken', ...limits],
  },
  signUpVerify: {
    method: 'post',
    path: '/sign-up/verify',
    summary: 'Finish a sign-up: create the user and its passkey; answer a token secret to exchange for a session.',
    body: z.object({ response: registrationResponse }),
    answers: { 200: { description: 'Exchange at once with account.createSession({ userId, secret }).', schema: tokenAnswerSchema } },
    errors: ['passkey_invalid', 'username_taken', ...challengeErrors, ...limits],
  },
  addOptions: {
    method: 'post',
    path: '/add/options',
    summary: 'Start adding a passkey to the signed-in Appwrite user.',
    body: z.object({ jwt }),
    answers: { 200: { description: "Creation options; the user's passkeys are excluded.", schema: creationOptions } },
    errors: ['session_invalid', 'passkey_limit_reached', ...limits],
  },
  addVerify: {
    method: 'post',
    path: '/add/verify',
    summary: 'Finish adding a passkey to the signed-in Appwrite user.',
    body: z.object({ jwt, response: registrationResponse }),
    answers: { 201: { description: 'The passkey was added.', schema: passkeySummarySchema } },
    errors: ['session_invalid', 'passkey_invalid', 'passkey_limit_reached', ...challengeErrors, ...limits],
  },
  signInOptions: {
    method: 'post',
    path: '/sign-in/options',
    summary: 'Start a sign-in: request options, for any passkey of this site (no username) or for a username.',
    description: 'An unknown username gets options shaped like a known one, so the answer tells no one whether it exists.',
    body: z.object({ username: usernameSchema.optional() }),
    answers: { 200: { description: 'Request options.', schema: requestOptions } },
    errors: [...limits],
  },
  signInVerify: {
    method: 'post',
    path: '/sign-in/verify',
    summary: 'Verify a passkey assertion; answer a token secret to exchange for a session.',
    body: z.object({ response: authenticationResponse }),
    answers: { 200: { description: 'Exchange at once with account.createSession({ userId, secret }).', schema: tokenAnswerSchema } },
    errors: ['passkey_invalid', 'user_blocked', ...challengeErrors, 'server_busy', ...limits],
  },
  list: {
    method: 'post',
    path: '/passkeys/list',
    summary: "List the signed-in Appwrite user's passkeys.",
    body: z.object({ jwt }),
    answers: { 200: { description: 'Oldest first.', schema: z.object({ passkeys: z.array(passkeySummarySchema) }) } },
    errors: ['session_invalid', ...limits],
  },
  remove: {
    method: 'post',
    path: '/passkeys/delete',
    summary: "Delete one of the signed-in Appwrite user's passkeys.",
    body: z.object({ jwt, credentialId: base64url.max(1400) }),
    answers: { 204: { description: 'The passkey was deleted.' } },
    errors: ['session_invalid', 'passkey_not_found', ...limits],
  },
});
