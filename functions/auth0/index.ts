/**
 * The auth0 function's definition: its config, the ports it needs, its routes and errors.
 * Every runtime (Node, Workers, Appwrite Functions) serves it from this one object.
 *
 * @module
 */
import { oidcPort } from '../../shared/oidc/index.js';
import { defineFunction } from '../../shared/platform.js';
import { fetchPort, oncePort, rateLimitsPort, usersPort } from '../../shared/ports.js';
import { createAuth0App } from './app.js';
import { auth0ConfigSchema } from './config.js';
import { auth0Errors } from './errors.js';
import { auth0Routes } from './routes.js';

/** Sign-in with an Auth0 (or any OIDC) token, served under `/auth0` on shared servers. */
export const auth0Function = defineFunction({
  name: 'auth0',
  summary: 'Sign in with a token from Auth0, any OpenID Connect issuer or your own backend: token exchange, redirect flow, back-channel logout.',
  configSchema: auth0ConfigSchema,
  ports: { users: usersPort, rateLimitStore: rateLimitsPort, once: oncePort, oidc: oidcPort, fetch: fetchPort },
  routes: auth0Routes,
  errors: auth0Errors,
  createApp: createAuth0App,
});

export default auth0Function;
