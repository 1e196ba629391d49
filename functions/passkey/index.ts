/**
 * The passkey function's definition: its config, the ports it needs, its routes and errors.
 *
 * @module
 */
import { defineFunction, definePort, type RuntimeServices } from '../../shared/platform.js';
import { oncePort, rateLimitsPort, usersPort } from '../../shared/ports.js';
import { jwtAccountsPort } from './account.js';
import { createPasskeyApp } from './app.js';
import { createAppwritePasskeyStore } from './appwrite-store.js';
import { passkeyTableSpec } from './appwrite-table.js';
import { completeConfig, developmentRelyingParty, passkeyConfigSchema, type PasskeyEnvConfig, type RelyingParty } from './config.js';
import { passkeyErrors } from './errors.js';
import { passkeyRoutes } from './routes.js';
import type { PasskeyStore } from './store.js';

/**
 * The passkey table in Appwrite, on every runtime (`npm start`'s embedded Appwrite serves it too):
 * a passkey outlives any process, so no runtime keeps them in memory or a Durable Object.
 *
 * @example
 * ```ts
 * ports: { passkeys: passkeyStorePort }
 * ```
 */
export const passkeyStorePort = definePort<PasskeyStore>(
  (runtime: RuntimeServices) => createAppwritePasskeyStore(runtime.appwrite(), { logger: runtime.logger, signal: runtime.signal }),
  ['rows.read', 'rows.write'],
);

/**
 * The relying party for variables left unset: the development one under `npm start` with the
 * embedded Appwrite (logged at start), none anywhere else.
 *
 * @example
 * ```ts
 * ports: { relyingPartyFallback: relyingPartyFallbackPort }
 * ```
 */
export const relyingPartyFallbackPort = definePort<RelyingParty | null>((runtime) => {
  if (!runtime.development) return null;
  const unset = ['PASSKEY_RP_ID', 'PASSKEY_RP_NAME', 'PASSKEY_ORIGINS', 'PASSKEY_CHALLENGE_SECRET'].filter((name) => !runtime.env[name]);
  // Logged, not a /health notice: a localhost relying party weakens nothing, it only works on localhost.
  if (unset.length > 0) runtime.logger.info('passkey_development_relying_party', { unset: unset.join(','), rpId: runtime.env['PASSKEY_RP_ID'] || 'localhost' });
  return developmentRelyingParty();
});

/** Passkey (WebAuthn) sign-up and sign-in, and passkeys added to signed-in Appwrite users; served under `/passkey`. */
export const passkeyFunction = defineFunction({
  name: 'passkey',
  summary: 'Passkeys (WebAuthn): sign up and sign in with one, or add one to a signed-in Appwrite account.',
  configSchema: passkeyConfigSchema,
  ports: {
    users: usersPort,
    rateLimitStore: rateLimitsPort,
    once: oncePort,
    passkeys: passkeyStorePort,
    accounts: jwtAccountsPort,
    relyingPartyFallback: relyingPartyFallbackPort,
  },
  routes: passkeyRoutes,
  errors: passkeyErrors,
  // The passkeys themselves: declared in appwrite.json, and served by npm start's embedded Appwrite.
  appwriteTables: [passkeyTableSpec],
  createApp: (config: PasskeyEnvConfig, { relyingPartyFallback, ...ports }) => createPasskeyApp(completeConfig(config, relyingPartyFallback), ports),
});

export default passkeyFunction;
