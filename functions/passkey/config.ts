/**
 * Environment variables of the passkey function. The relying party (RP ID, name, origins) and the
 * challenge key have no defaults: a passkey is bound to the RP ID it was made for, so a guessed one
 * would lock every user out of their passkeys once corrected.
 *
 * @module
 */
import * as z from 'zod';
import { ConfigError, envCorsOrigins, envInt } from '../../shared/config.js';
import { envRateLimitRules } from '../../shared/rate-limit/policies.js';
import { tokenExpire, tokenLength } from '../../shared/sign-in/token.js';

/** A registrable host name: lower-case labels of letters, digits and `-`, or `localhost`. */
const hostName = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
/**
 * A host whose last label is a number (digits, or `0x` and hex digits): the URL standard parses it
 * as an IPv4 address, and browsers refuse IP addresses as RP IDs, so no passkey could ever be made.
 */
const endsInNumber = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/;

/**
 * Problems with one `PASSKEY_ORIGINS` entry: it must be an origin exactly as browsers send it in
 * `clientDataJSON` (`https://app.example.com`, no path or trailing slash), `https` unless on
 * `localhost` (browsers allow WebAuthn only in secure contexts), on the RP ID or a subdomain of it.
 *
 * @example
 * ```ts
 * originProblem('https://app.example.com', 'example.com'); // null
 * originProblem('http://app.example.com', 'example.com');  // 'must use https (http only on localhost)'
 * ```
 */
export function originProblem(origin: string, rpId: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'is not a URL';
  }
  if (url.origin !== origin) return `must be an origin as browsers send it (${url.origin})`;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && url.hostname === 'localhost')) return 'must use https (http only on localhost)';
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) return `must be on ${rpId} or a subdomain of it`;
  return null;
}

/** The passkey function's configuration schema. */
export const passkeyConfigSchema = z
  .object({
    /**
     * The relying party ID: the site's registrable domain (`example.com`), which every passkey is
     * bound to. Required, like the three below, except under `npm start`'s development mode, which
     * uses {@link developmentRelyingParty}.
     */
    PASSKEY_RP_ID: z
      .string()
      .trim()
      .toLowerCase()
      .regex(hostName, 'must be a host name such as example.com')
      .refine((id) => !endsInNumber.test(id), 'must be a domain name, not an IP address: browsers refuse IP addresses as RP IDs')
      .optional(),
    /** The name authenticators show next to the passkey. */
    PASSKEY_RP_NAME: z.string().trim().min(1).max(64).optional(),
    /** Comma-separated origins of the pages that create and use passkeys (`https://app.example.com`). */
    PASSKEY_ORIGINS: z
      .string()
      .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
      .pipe(z.array(z.string()).min(1, 'must name at least one origin'))
      .optional(),
    /**
     * Signs the challenges (HMAC-SHA-256), so no challenge needs storing until it is used: at least
     * 32 characters of randomness (`openssl rand -base64 32`). Changing it voids only the challenges in flight.
     */
    PASSKEY_CHALLENGE_SECRET: z.string().min(32, 'must be at least 32 characters (openssl rand -base64 32)').optional(),
    /** `required` (default): the authenticator must verify the user (PIN, biometrics); `preferred` accepts presence only. */
    PASSKEY_USER_VERIFICATION: z.enum(['required', 'preferred']).default('required'),
    /** Milliseconds the browser prompt and the challenge stay valid. */
    PASSKEY_TIMEOUT_MS: envInt({ min: 30_000, max: 600_000, default: 120_000 }),
    /** Length of the token secret returned on sign-in. */
    PASSKEY_TOKEN_LENGTH: tokenLength({ min: 32, default: 64 }),
    /** Seconds the secret stays valid: the client exchanges it at once. */
    PASSKEY_TOKEN_EXPIRE: tokenExpire({ max: 900, default: 60 }),
    /** Requests per client IP on every route. */
    PASSKEY_LIMIT_IP: envRateLimitRules('30/60,300/3600'),
    /** Sign-in attempts per credential (before its signature is checked). */
    PASSKEY_LIMIT_CREDENTIAL: envRateLimitRules('10/60,50/3600'),
    /** Options requested per typed username (sign-up and username-first sign-in). */
    PASSKEY_LIMIT_USERNAME: envRateLimitRules('10/60,50/3600'),
    /**
     * Sign-ups across everyone, spent by a registration that verified: a script makes key pairs as
     * fast as it likes, so this bounds how many users a burst from many addresses creates.
     */
    PASSKEY_LIMIT_SIGN_UP_ALL: envRateLimitRules('60/60,1000/3600'),
    /** Most passkeys one user may hold. */
    PASSKEY_MAX_PER_USER: envInt({ min: 1, max: 100, default: 10 }),
    /** Comma-separated origins allowed by CORS, or `*`. */
    CORS_ALLOWED_ORIGINS: envCorsOrigins(),
  })
  .superRefine((config, context) => {
    if (config.PASSKEY_RP_ID === undefined) return;
    for (const origin of config.PASSKEY_ORIGINS ?? []) {
      const problem = originProblem(origin, config.PASSKEY_RP_ID);
      if (problem) {
        context.addIssue({
          // Stryker disable next-line StringLiteral: zod requires a code, but the kit reports an issue by its path and message only
          code: 'custom',
          path: ['PASSKEY_ORIGINS'],
          message: `${origin} ${problem}`,
        });
      }
    }
  });

/** The passkey function's variables as parsed: the relying party may still be missing. */
export type PasskeyEnvConfig = z.output<typeof passkeyConfigSchema>;

/** The relying party and challenge key, all present. */
export interface RelyingParty {
  PASSKEY_RP_ID: string;
  PASSKEY_RP_NAME: string;
  PASSKEY_ORIGINS: string[];
  PASSKEY_CHALLENGE_SECRET: string;
}

/** The configuration the app runs with. */
export type PasskeyConfig = PasskeyEnvConfig & RelyingParty;

/**
 * What `npm start` with the embedded Appwrite uses for relying-party variables left unset: `localhost`,
 * the usual dev-server origins, and a challenge key made for this process only.
 *
 * @example
 * ```ts
 * developmentRelyingParty().PASSKEY_ORIGINS; // ['http://localhost:5173', 'http://localhost:3000', 'http://localhost:8787']
 * ```
 */
export function developmentRelyingParty(): RelyingParty {
  const key = new Uint8Array(32);
  crypto.getRandomValues(key);
  return {
    PASSKEY_RP_ID: 'localhost',
    PASSKEY_RP_NAME: 'Passkeys (development)',
    PASSKEY_ORIGINS: ['http://localhost:5173', 'http://localhost:3000', 'http://localhost:8787'],
    PASSKEY_CHALLENGE_SECRET: Array.from(key, (byte) => byte.toString(16).padStart(2, '0')).join(''),
  };
}

/** The relying-party variables, by name. */
const relyingPartyVariables = ['PASSKEY_RP_ID', 'PASSKEY_RP_NAME', 'PASSKEY_ORIGINS', 'PASSKEY_CHALLENGE_SECRET'] as const;

/**
 * The configuration with its relying party complete: each unset variable from `fallback` (the
 * development defaults, under `npm start` only), else a `ConfigError` naming it. A passkey is bound
 * to the RP ID it was made for, so outside development nothing is guessed.
 *
 * @example
 * ```ts
 * const config = completeConfig(parseConfig(passkeyConfigSchema, env), runtime.development ? developmentRelyingParty() : null);
 * ```
 */
export function completeConfig(parsed: PasskeyEnvConfig, fallback: RelyingParty | null): PasskeyConfig {
  const missing = relyingPartyVariables.filter((name) => parsed[name] === undefined && fallback === null);
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name} is required`));
  const complete = { ...parsed };
  for (const name of relyingPartyVariables) {
    if (complete[name] === undefined) Object.assign(complete, { [name]: fallback![name] });
  }
  const config = complete as PasskeyConfig;
  const problems = config.PASSKEY_ORIGINS.flatMap((origin) => {
    const problem = originProblem(origin, config.PASSKEY_RP_ID);
    return problem ? [`PASSKEY_ORIGINS: ${origin} ${problem}`] : [];
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
