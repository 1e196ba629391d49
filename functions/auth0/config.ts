/**
 * Environment variables of the auth0 function. The verifier's own (`AUTH0_ISSUER` or
 * `AUTH0_DOMAIN`, `AUTH0_AUDIENCE`, `AUTH0_TOKEN_TYPE`, algorithms, tolerance, ...) are read by
 * `shared/oidc/config.ts`; `AUTH0_CLIENT_ID` and `AUTH0_AUDIENCE` are read here too, for the
 * redirect flow's authorization request.
 *
 * Every variable here is optional, so `npm start` starts without an Auth0 tenant; the function
 * then answers 500 `config_invalid` naming what the verifier misses.
 *
 * @module
 */
import * as z from 'zod';
import { envBool, envCorsOrigins } from '../../shared/config.js';
import { envRateLimitRules } from '../../shared/rate-limit/policies.js';
import { tokenExpire, tokenLength } from '../../shared/sign-in/token.js';
import { isTrustworthyUrl, redirectOriginProblem } from './redirects.js';

const encoder = new TextEncoder();

/** A claim name as tokens spell them: a short word or a namespace URL such as `https://kit.example/roles`. */
const claimName = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be a claim name: 1-200 printable ASCII characters without spaces');

/** The variables the redirect flow needs, all or none: the flow is off until `AUTH0_CALLBACK_URL` is set. */
const redirectFlowVariables = ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_COOKIE_SECRET', 'AUTH0_REDIRECT_ORIGINS'] as const;

/**
 * The auth0 function's configuration schema.
 *
 * @example
 * ```ts
 * const config = parseConfig(auth0ConfigSchema, env);
 * config.redirectFlow; // null until AUTH0_CALLBACK_URL is set
 * ```
 */
export const auth0ConfigSchema = z
  .object({
    /** Length of the Appwrite token secret answered by `/exchange` (and put in the success URL). 64 hex = 256 bits. */
    AUTH0_TOKEN_LENGTH: tokenLength({ min: 32, default: 64 }),
    /** Seconds the Appwrite token secret stays valid. The client exchanges it at once. */
    AUTH0_TOKEN_EXPIRE: tokenExpire({ max: 900, default: 60 }),
    /**
     * `true`: `/exchange` accepts a token once. It must carry a `jti`, recorded until it expires.
     * Off by default: an access token is a bearer token until `exp`, meant to be sent more than once.
     */
    AUTH0_ONE_TIME_TOKENS: envBool(false),
    /**
     * The claim holding the user's roles (an array of strings), e.g. `https://kit.example/roles` as an
     * Auth0 Action sets it. Each role becomes an Appwrite label `AUTH0_LABEL_PREFIX` + role. Unset: no labels are touched.
     */
    AUTH0_ROLES_CLAIM: claimName.optional(),
    /**
     * The prefix of every label the kit manages: on each sign-in the user's labels starting with it
     * are replaced by the token's roles; every other label is left alone.
     */
    AUTH0_LABEL_PREFIX: z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'must be 1-16 letters or digits (Appwrite labels are alphanumeric)').default('auth0'),
    /** Comma-separated claim names copied into the user's prefs under `AUTH0_PREFS_KEY` on each sign-in. */
    AUTH0_PREFS_CLAIMS: z
      .string()
      .transform((value) => [...new Set(value.split(',').map((name) => name.trim()).filter(Boolean))])
      .pipe(z.array(claimName).max(20, 'must list at most 20 claims'))
      .optional(),
    /** The prefs key the copied claims live under; the user's other prefs are kept. */
    AUTH0_PREFS_KEY: z.string().regex(/^[A-Za-z0-9_]{1,32}$/, 'must be 1-32 letters, digits or _').default('auth0'),
    /**
     * This function's own `/callback` URL, exactly as registered with the issuer (Auth0: Allowed
     * Callback URLs). Setting it turns the redirect flow on.
     */
    AUTH0_CALLBACK_URL: z.string().refine(isTrustworthyUrl, 'must be an https URL (http only for localhost), without credentials or #fragment').optional(),
    /** The application's Client ID (the verifier reads it too, as the ID token's audience). */
    AUTH0_CLIENT_ID: z.string().min(1).max(1000).optional(),
    /** The application's Client Secret, sent to the token endpoint. A SECRET. */
    AUTH0_CLIENT_SECRET: z.string().min(1).max(1000).optional(),
    /** The API Identifier; asked for in the authorization request when set. */
    AUTH0_AUDIENCE: z.string().min(1).max(1000).optional(),
    /** Encrypts the redirect flow's cookie: at least 32 bytes (`openssl rand -hex 32`). A SECRET. */
    AUTH0_COOKIE_SECRET: z
      .string()
      .refine((value) => encoder.encode(value).length >= 32, 'must be at least 32 bytes (openssl rand -hex 32)')
      .optional(),
    /** Comma-separated origins that `success` and `failure` URLs may point to, exactly (`https://app.example.com`). */
    AUTH0_REDIRECT_ORIGINS: z
      .string()
      .transform((value) => [...new Set(value.split(',').map((origin) => origin.trim()).filter(Boolean))])
      .superRefine((origins, context) => {
        if (origins.length === 0) context.addIssue({ code: 'custom', message: 'must list at least one origin' });
        origins.forEach((origin, index) => {
          const problem = redirectOriginProblem(origin);
          if (problem) context.addIssue({ code: 'custom', message: `origin ${index + 1} ${problem}` });
        });
      })
      .optional(),
    /** `/exchange` requests per client IP (IPv6 per /64), counted before the token is checked. */
    AUTH0_LIMIT_EXCHANGE_IP: envRateLimitRules('30/60,300/3600'),
    /** Sign-ins per user (`/exchange` and `/callback` together), counted once the token is verified. */
    AUTH0_LIMIT_SUBJECT: envRateLimitRules('10/60,60/3600'),
    /** `/login` and `/callback` requests per client IP, each route counted on its own. */
    AUTH0_LIMIT_REDIRECT_IP: envRateLimitRules('20/60,200/3600'),
    /** `/backchannel-logout` requests per client IP: the issuer's servers, so a roomy limit. */
    AUTH0_LIMIT_LOGOUT_IP: envRateLimitRules('300/60'),
    /** Comma-separated origins allowed by CORS (for `/exchange` from a web page), or `*`. */
    CORS_ALLOWED_ORIGINS: envCorsOrigins(),
  })
  .superRefine((env, context) => {
    if (env.AUTH0_CALLBACK_URL === undefined) {
      for (const name of ['AUTH0_CLIENT_SECRET', 'AUTH0_COOKIE_SECRET', 'AUTH0_REDIRECT_ORIGINS'] as const) {
        if (env[name] !== undefined) context.addIssue({ code: 'custom', path: [name], message: 'is set but the redirect flow is off: set AUTH0_CALLBACK_URL too, or unset it' });
      }
      return;
    }
    for (const name of redirectFlowVariables) {
      if (env[name] === undefined) context.addIssue({ code: 'custom', path: [name], message: 'is required for the redirect flow (AUTH0_CALLBACK_URL is set)' });
    }
  })
  .transform(({ AUTH0_CALLBACK_URL, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_AUDIENCE, AUTH0_COOKIE_SECRET, AUTH0_REDIRECT_ORIGINS, ...rest }) => ({
    ...rest,
    /** The redirect flow's settings, or `null` when it is off. */
    redirectFlow:
      AUTH0_CALLBACK_URL === undefined
        ? null
        : {
            callbackUrl: AUTH0_CALLBACK_URL,
            clientId: AUTH0_CLIENT_ID!,
            clientSecret: AUTH0_CLIENT_SECRET!,
            audience: AUTH0_AUDIENCE,
            cookieSecret: AUTH0_COOKIE_SECRET!,
            redirectOrigins: AUTH0_REDIRECT_ORIGINS!,
          },
  }));

/** The auth0 function's validated configuration. */
export type Auth0Config = z.output<typeof auth0ConfigSchema>;

/** The redirect flow's settings, when it is on. */
export type RedirectFlowConfig = NonNullable<Auth0Config['redirectFlow']>;
