/**
 * Configuration from environment variables, validated once with zod.
 *
 * A bad variable produces an error that names the variable and the rule it broke, never its value:
 * values can be secrets.
 *
 * @module
 */
import * as z from 'zod';
import { corsOriginsProblems } from './cors.js';
import { KitError } from './errors.js';
import { describeIssues } from './validation.js';

/** Environment variables as every runtime hands them over: strings or nothing. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Thrown when configuration is missing or invalid. The message lists the variables at fault and
 * is safe to log: it never contains their values.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }

  /** The client-facing form: names no variable, so a caller learns nothing about the deployment. */
  toKitError(): KitError {
    return new KitError('config_invalid', 'The function is not configured correctly. See its logs.');
  }
}

/**
 * Parses `env` with a zod object schema whose keys are variable names.
 * Empty strings count as unset, so `FOO=` in a dotenv file falls back to the default.
 *
 * @example
 * ```ts
 * const schema = z.object({ PORT: z.coerce.number().int().default(3000) });
 * const { PORT } = parseConfig(schema, process.env);
 * ```
 */
export function parseConfig<Schema extends z.ZodType>(schema: Schema, env: EnvSource): z.output<Schema> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  // reportInput: a value of the wrong kind (`TTL=1.5`) reads as "must be a whole number", not as
  // missing; describeIssues only looks at the input, never quotes it.
  const result = schema.safeParse(cleaned, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(describeIssues(result.error.issues));
}

/**
 * An integer variable with bounds and a default.
 *
 * @example
 * ```ts
 * z.object({ TOKEN_EXPIRE: envInt({ min: 60, max: 31536000, default: 60 }) });
 * ```
 */
export function envInt(options: { min: number; max: number; default: number }) {
  // A word or a fraction is described by describeIssues ("must be a number", "must be a whole number").
  return z.coerce
    .number()
    .int()
    .min(options.min, `must be at least ${options.min}`)
    .max(options.max, `must be at most ${options.max}`)
    .default(options.default);
}

/**
 * A boolean variable: `true`/`false`/`1`/`0`/`yes`/`no`, case-insensitive.
 *
 * @example
 * ```ts
 * z.object({ TRUST_PROXY: envBool(false) });
 * ```
 */
export function envBool(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'TRUE', 'FALSE', 'True', 'False', 'YES', 'NO'], {
      error: 'must be true or false',
    })
    .transform((value) => ['true', '1', 'yes'].includes(value.toLowerCase()))
    .default(defaultValue);
}

/** The variables that say which Appwrite project to talk to. */
export const appwriteConnectionSchema = z.object({
  APPWRITE_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL ending in /v1' })
    .refine((url) => URL.canParse(url) && /\/v1\/?$/.test(new URL(url).pathname), 'must end in /v1, e.g. https://cloud.appwrite.io/v1')
    .transform((url) => url.replace(/\/$/, '')),
  APPWRITE_PROJECT_ID: z.string().min(1),
  APPWRITE_API_KEY: z.string().min(1),
  APPWRITE_TIMEOUT_MS: envInt({ min: 100, max: 60_000, default: 10_000 }),
});

/** Where and how to reach Appwrite. */
export type AppwriteConnection = z.output<typeof appwriteConnectionSchema>;

/**
 * `CORS_ALLOWED_ORIGINS`: the web pages that may call a function, comma-separated, or `*` (the
 * default: no cookies or ambient credentials ride on the kit's requests). Each entry is an origin as
 * browsers send it (`https://app.example.com`, `http://localhost:5173`) or a one-label subdomain
 * wildcard (`https://*.example.com`); the rules are in `shared/cors.ts`. A bad entry is refused, never
 * normalised: a trailing slash, a path, upper case, a default port or `null` each fail the function's
 * config, naming the variable and the entry's position (npm start refuses to start). Each function
 * reads its own `CORS_ALLOWED_ORIGINS`.
 *
 * @example
 * ```ts
 * z.object({ CORS_ALLOWED_ORIGINS: envCorsOrigins() });
 * ```
 */
export function envCorsOrigins() {
  return z
    .string()
    .default('*')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .superRefine((origins, context) => {
      for (const message of corsOriginsProblems(origins)) context.addIssue({ code: 'custom', message });
    });
}
