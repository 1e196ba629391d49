/**
 * The password function's routes as data: what each accepts, answers and fails with. `app.ts`
 * serves them; the OpenAPI document describes them.
 *
 * @module
 */
import * as z from 'zod';
import { captchaTokenSchema } from '../../shared/captcha/index.js';
import { defineRoutes } from '../../shared/routes.js';
import { tokenAnswerSchema } from '../../shared/sign-in/delivery.js';
import { passwordSchema } from './password.js';
import { usernameSchema } from './username.js';

const captchaToken = captchaTokenSchema.describe(
  "The captcha widget's token, when the deployment asks for one (PASSWORD_CAPTCHA_ON_REGISTER, PASSWORD_CAPTCHA_AFTER_FAILURES); or send it in the X-Captcha-Token header.",
);

/** What only a deployment that requires a captcha answers. */
const captchaErrors = ['captcha_invalid', 'captcha_unavailable'] as const;

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
      captchaToken,
    }),
    answers: { 201: { description: 'The user was created.', schema: z.object({ userId: z.string() }) } },
    errors: ['username_taken', 'password_rejected', 'rate_limited', 'rate_limiter_unavailable', ...captchaErrors, 'appwrite_error', 'appwrite_unavailable'],
  },
  login: {
    method: 'post',
    path: '/login',
    summary: 'Verify a username and password; answer a token secret to exchange for a session.',
    body: z.object({ username: usernameSchema, password: passwordSchema, captchaToken }),
    answers: { 200: { description: 'Exchange at once with account.createSession({ userId, secret }).', schema: tokenAnswerSchema } },
    errors: [
      'invalid_credentials',
      'user_blocked',
      'rate_limited',
      'rate_limiter_unavailable',
      ...captchaErrors,
      'server_busy',
      'appwrite_error',
      'appwrite_unavailable',
    ],
  },
  change: {
    method: 'post',
    path: '/change',
    summary: 'Change the password, given the current one; ends every session unless configured otherwise.',
    body: z.object({ username: usernameSchema, currentPassword: passwordSchema, newPassword: passwordSchema, captchaToken }),
    answers: { 204: { description: 'The password was changed.' } },
    errors: [
      'invalid_credentials',
      'password_rejected',
      'sessions_not_revoked',
      'rate_limited',
      'rate_limiter_unavailable',
      ...captchaErrors,
      'server_busy',
      'appwrite_error',
      'appwrite_unavailable',
    ],
  },
});
