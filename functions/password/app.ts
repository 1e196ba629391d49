/**
 * The username/password function: register, log in, change password.
 *
 * This is where a password login happens: `login` below verifies the password against the hash
 * Appwrite stores on the user, then mints a token the client exchanges for a session.
 *
 * @module
 */
import { z } from 'zod';
import { KitError } from '../../shared/errors.js';
import { createFunctionApp, jsonBody } from '../../shared/http.js';
import { argon2Parameters, DUMMY_ARGON2ID_HASH, isCheaperThanDummy } from '../../shared/passwords/verifier.js';
import type { Platform } from '../../shared/platform.js';
import { createRateLimitGuard, type LimitCheck } from '../../shared/rate-limit/guard.js';
import { accountKey, clientIpKey } from '../../shared/rate-limit/keys.js';
import type { RateLimitRule } from '../../shared/rate-limit/store.js';
import { PasswordPolicyError, UserAlreadyExistsError, type UserRecord } from '../../shared/users.js';
import type { PasswordConfig } from './config.js';
import { userIdForUsername, usernameSchema } from './username.js';

/** Shortest password in characters, longest in bytes of UTF-8 (NIST 800-63B / ASVS: at least 8, allow 64+). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX_BYTES = 256;

/**
 * A password as typed. NFKC-normalised (NIST 800-63B 5.1.1.2) so the same password typed on two
 * keyboards matches; otherwise verified exactly: no trimming, no truncation, no composition rules.
 * The ceiling is in bytes because Appwrite counts bytes (PHP `strlen`): 256 ASCII characters, or
 * 85 in a script of three-byte characters.
 */
const passwordSchema = z
  .string()
  .max(PASSWORD_MAX_BYTES * 4)
  .transform((value) => value.normalize('NFKC'))
  .refine((value) => [...value].length >= PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .refine(
    (value) => new TextEncoder().encode(value).byteLength <= PASSWORD_MAX_BYTES,
    `must be at most ${PASSWORD_MAX_BYTES} bytes of UTF-8 (256 plain letters; fewer accented or non-Latin ones)`,
  );

const registerSchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  name: z.string().trim().min(1).max(128).optional(),
});

const loginSchema = z.object({ username: usernameSchema, password: passwordSchema });

const changeSchema = z.object({
  username: usernameSchema,
  currentPassword: passwordSchema,
  newPassword: passwordSchema,
});

/** The one answer for every failed login, so no response tells an unknown user from a wrong password. */
const invalidCredentials = () => new KitError('invalid_credentials', 'Invalid username or password.');

/**
 * Builds the password function's app.
 *
 * @example
 * ```ts
 * const app = createPasswordApp(parseConfig(passwordConfigSchema, env), platform);
 * const res = await app.request('/login', { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ username: 'alice', password: 'correct horse battery' }) }, { clientIp: '203.0.113.7' });
 * ```
 */
export function createPasswordApp(config: PasswordConfig, platform: Platform) {
  const { users, passwordVerifier, logger } = platform;
  const guard = createRateLimitGuard({ store: platform.rateLimitStore, clock: platform.clock, logger });
  const byIp = (scope: string, clientIp: string | null | undefined, rules: readonly RateLimitRule[]): LimitCheck => ({
    scope,
    subject: clientIpKey(clientIp),
    rules,
  });
  // Keyed on the typed username, never on whether the account exists, so limits cannot enumerate
  // users. Two checks: the delays a success clears, and the cap it does not.
  const byAccount = async (username: string) => {
    const subject = await accountKey('username', username);
    const delays: LimitCheck = { scope: 'password.account', subject, rules: config.PASSWORD_LIMIT_ACCOUNT };
    const cap: LimitCheck = { scope: 'password.account-cap', subject, rules: config.PASSWORD_LIMIT_ACCOUNT_CAP };
    return { delays, cap };
  };

  /**
   * Resolves the user behind a username and password, or throws `invalid_credentials`.
   * Every path costs at least the dummy verification, so unknown, blocked, password-less and
   * old-hash accounts take about as long as a wrong password.
   */
  async function authenticate(username: string, password: string): Promise<UserRecord> {
    const user = await users.get(await userIdForUsername(username));
    const parameters = user?.passwordHash ? argon2Parameters(user.passwordHash) : null;
    const storedHash = parameters ? user!.passwordHash! : null;
    // A blocked user's own hash is checked too, so blocking shows in neither the answer nor its timing.
    const matches = await passwordVerifier.verify(storedHash ?? DUMMY_ARGON2ID_HASH, password);
    // A hash from an older Appwrite (m=2048) answers in a millisecond: pad it to the dummy's cost.
    if (parameters !== null && isCheaperThanDummy(parameters)) await passwordVerifier.verify(DUMMY_ARGON2ID_HASH, password);
    if (user?.passwordHash && !storedHash) {
      logger.warn('unsupported_password_hash', { userId: user.id, algorithm: user.hashAlgorithm });
    }
    if (!user || !storedHash || !matches || !user.enabled) throw invalidCredentials();
    return user;
  }

  /**
   * Ends every session after a password change, retrying once. The password is already changed by
   * then, so a failure must not look like an ordinary error the client retries with the old password:
   * it gets its own type and says what to do.
   */
  async function revokeSessions(userId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await users.deleteSessions(userId);
      } catch (error) {
        if (attempt < 2) continue;
        logger.error('sessions_not_revoked', { userId, error: error instanceof KitError ? error.type : 'unknown' });
        throw new KitError(
          'sessions_not_revoked',
          'The password was changed, but other sessions could not be signed out. Change it again with the new password to retry.',
        );
      }
    }
  }

  const app = createFunctionApp({ logger, corsOrigins: config.CORS_ALLOWED_ORIGINS });

  app.post('/register', jsonBody(registerSchema), async (c) => {
    const { username, password, name } = c.req.valid('json');
    await guard.enforce([
      byIp('password.register.ip', c.env?.clientIp, config.PASSWORD_LIMIT_REGISTER_IP),
      { scope: 'password.register.all', subject: 'all', rules: config.PASSWORD_LIMIT_REGISTER_ALL },
    ]);
    const userId = await userIdForUsername(username);
    try {
      await users.create({ userId, password, name: name ?? username });
    } catch (error) {
      if (error instanceof UserAlreadyExistsError) throw new KitError('username_taken', 'This username is taken.');
      if (error instanceof PasswordPolicyError) throw new KitError('password_rejected', error.message);
      throw error;
    }
    logger.info('user_registered', { userId });
    return c.json({ userId }, 201);
  });

  app.post('/login', jsonBody(loginSchema), async (c) => {
    const { username, password } = c.req.valid('json');
    const account = await byAccount(username);
    // Before any argon2 work: a throttled request costs a counter increment, not 64 MiB of hashing.
    await guard.enforce([byIp('password.login.ip', c.env?.clientIp, config.PASSWORD_LIMIT_LOGIN_IP), account.delays, account.cap]);
    const user = await authenticate(username, password);
    await guard.clear([account.delays]);
    const token = await users.createToken(user.id, {
      length: config.PASSWORD_TOKEN_LENGTH,
      expire: config.PASSWORD_TOKEN_EXPIRE,
    });
    logger.info('login_succeeded', { userId: user.id });
    return c.json({ userId: token.userId, secret: token.secret, expire: token.expire });
  });

  app.post('/change', jsonBody(changeSchema), async (c) => {
    const { username, currentPassword, newPassword } = c.req.valid('json');
    const account = await byAccount(username);
    await guard.enforce([byIp('password.change.ip', c.env?.clientIp, config.PASSWORD_LIMIT_CHANGE_IP), account.delays, account.cap]);
    const user = await authenticate(username, currentPassword);
    await guard.clear([account.delays]);
    try {
      await users.updatePassword(user.id, newPassword);
    } catch (error) {
      if (error instanceof PasswordPolicyError) throw new KitError('password_rejected', error.message);
      throw error;
    }
    if (config.PASSWORD_CHANGE_REVOKES_SESSIONS) await revokeSessions(user.id);
    logger.info('password_changed', { userId: user.id });
    return c.body(null, 204);
  });

  return app;
}
