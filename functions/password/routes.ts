/**
 * The password function's routes as data: what each accepts, answers and fails with. `app.ts`
 * serves them; the OpenAPI document describes them.
 *
 * @module
 */
import { z } from 'zod';
import { defineRoutes } from '../../shared/routes.js';
import { tokenAnswerSchema } from '../../shared/sign-in/delivery.js';
import { usernameSchema } from './username.js';

/** Shortest password in characters, longest in bytes of UTF-8 (NIST 800-63B / ASVS: at least 8, allow 64+). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX_BYTES = 256;

/**
 * A password as typed. NFKC-normalised (NIST 800-63B 5.1.1.2) so the same password typed on two
 * keyboards matches; otherwise verified exactly: no trimming, no truncation, no composition rules.
 * The ceiling is in bytes because Appwrite counts bytes (PHP `strlen`): 256 ASCII characters, or
 * 85 in a script of three-byte characters.
 */
export const passwordSchema = z
  .string()
  .max(PASSWORD_MAX_BYTES * 4)
  .transform((value) => value.normalize('NFKC'))
  .refine((value) => [...value].length >= PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .refine(
    (value) => new TextEncoder().encode(value).byteLength <= PASSWORD_MAX_BYTES,
    `must be at most ${PASSWORD_MAX_BYTES} bytes of UTF-8 (256 plain letters; fewer accented or non-Latin ones)`,
  )
  .describe(`${PASSWORD_MIN} characters to ${PASSWORD_MAX_BYTES} bytes of UTF-8, NFKC-normalised.`);

/**
 * @example
 * ```ts
 * serveRoutes(app, passwordRoutes, { register, login, change });
 * ```
 */
export const passwordRoutes = defineRoutes({
  register: {
    method: 'post',
    path: '/register',
    summary: 'Create a user with a username and password.',
    description: 'The user ID is derived from the normalised username, so one name is one user. No token: log in next.',
    body: z.object({
      username: usernameSchema,
      password: passwordSchema,
      name: z.string().trim().min(1).max(128).optional().describe('Display name; the username when omitted.'),
    }),
    answers: { 201: { description: 'The user was created.', schema: z.object({ userId: z.string() }) } },
    errors: ['username_taken', 'password_rejected', 'rate_limited', 'rate_limiter_unavailable', 'appwrite_error', 'appwrite_unavailable'],
  },
  login: {
    method: 'post',
    path: '/login',
    summary: 'Verify a username and password; answer a token secret to exchange for a session.',
    body: z.object({ username: usernameSchema, password: passwordSchema }),
    answers: { 200: { description: 'Exchange at once with account.createSession({ userId, secret }).', schema: tokenAnswerSchema } },
    errors: ['invalid_credentials', 'user_blocked', 'rate_limited', 'rate_limiter_unavailable', 'server_busy', 'appwrite_error', 'appwrite_unavailable'],
  },
  change: {
    method: 'post',
    path: '/change',
    summary: 'Change the password, given the current one; ends every session unless configured otherwise.',
    body: z.object({ username: usernameSchema, currentPassword: passwordSchema, newPassword: passwordSchema }),
    answers: { 204: { description: 'The password was changed.' } },
    errors: [
      'invalid_credentials',
      'password_rejected',
      'sessions_not_revoked',
      'rate_limited',
      'rate_limiter_unavailable',
      'server_busy',
      'appwrite_error',
      'appwrite_unavailable',
    ],
  },
});
