/**
 * The username/password function: register, log in, change password.
 *
 * This is where a password login happens: `authenticate` below verifies the password against the
 * hash Appwrite stores on the user; the shared sign-in pipeline then mints the token the client
 * exchanges for a session.
 *
 * @module
 */
import type { Context } from 'hono';
import type { AuditReferences } from '../../shared/audit.js';
import { captchaTokenFrom, type CaptchaVerifier } from '../../shared/captcha/index.js';
import type { Clock } from '../../shared/clock.js';
import { ConfigError } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
import { createFunctionApp, type KitEnv } from '../../shared/http.js';
import type { Logger, LogFields } from '../../shared/log.js';
import { argon2Parameters, DUMMY_ARGON2ID_HASH, isCheaperThanDummy, type PasswordVerifier } from '../../shared/passwords/verifier.js';
import { perAccount, perClientIp } from '../../shared/rate-limit/checks.js';
import { createRateLimitGuard, type LimitCheck } from '../../shared/rate-limit/guard.js';
import { clientIpKey } from '../../shared/rate-limit/keys.js';
import type { RateLimitStore } from '../../shared/rate-limit/store.js';
import { serveRoutes } from '../../shared/routes.js';
import { createSignIn } from '../../shared/sign-in/pipeline.js';
import { PasswordPolicyError, type UserRecord, type UsersDirectory } from '../../shared/users.js';
import type { PasswordConfig } from './config.js';
import { passwordErrors } from './errors.js';
import { passwordForms, type Password } from './password.js';
import { passwordRoutes } from './routes.js';
import { createSignUp } from './sign-up.js';
import { userIdForUsername } from './username.js';

/** The ports the password function uses; `index.ts` names their providers. */
export interface PasswordPorts {
  users: UsersDirectory;
  passwordVerifier: PasswordVerifier;
  rateLimitStore: RateLimitStore;
  audit: AuditReferences;
  /** Asked only when PASSWORD_CAPTCHA_ON_REGISTER or PASSWORD_CAPTCHA_AFTER_FAILURES is on. */
  captcha: CaptchaVerifier;
  logger: Logger;
  clock: Clock;
}

/** The options that need a captcha provider, as their variable names. */
function captchaOptionsOn(config: PasswordConfig): string[] {
  return [
    ...(config.PASSWORD_CAPTCHA_ON_REGISTER ? ['PASSWORD_CAPTCHA_ON_REGISTER'] : []),
    ...(config.PASSWORD_CAPTCHA_AFTER_FAILURES > 0 ? ['PASSWORD_CAPTCHA_AFTER_FAILURES'] : []),
  ];
}

/**
 * Builds the password function's app. Throws a `ConfigError` when a captcha option is on and no
 * captcha provider is configured.
 *
 * @example
 * ```ts
 * const app = createPasswordApp(parseConfig(passwordConfigSchema, env), ports);
 * const res = await app.request('/login', { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ username: 'alice', password: 'correct horse battery' }) }, { clientIp: '203.0.113.7' });
 * ```
 */
export function createPasswordApp(config: PasswordConfig, ports: PasswordPorts) {
  const { users, passwordVerifier, logger, audit, captcha } = ports;
  if (captcha.provider === null) {
    const needy = captchaOptionsOn(config);
    if (needy.length > 0) {
      throw new ConfigError(
        needy.map((name) => `${name} needs a captcha: set CAPTCHA_PROVIDER (turnstile, hcaptcha, recaptcha-v2 or recaptcha-v3; development only with npm start)`),
      );
    }
  }
  const guard = createRateLimitGuard({ store: ports.rateLimitStore, clock: ports.clock, logger });
  const signIn = createSignIn({ users, logger, clock: ports.clock, rateLimits: ports.rateLimitStore });
  const signUp = createSignUp({ users, store: ports.rateLimitStore, guard, logger, budget: config.PASSWORD_LIMIT_REGISTER_ALL });
  const token = { length: config.PASSWORD_TOKEN_LENGTH, expire: config.PASSWORD_TOKEN_EXPIRE };

  /**
   * Who an attempt is about, for the audit lines (a failed login, a refusal by a limit): the typed
   * username as a keyed reference, known or not, and the client's rate-limit bucket.
   */
  const attemptOf = async (clientIp: string | null | undefined, username: string): Promise<LogFields> => ({
    account: await audit.account('username', username),
    ip: clientIpKey(clientIp),
  });
  const logged = (attempt: LogFields, checks: LimitCheck[]): LimitCheck[] => checks.map((check) => ({ ...check, logFields: attempt }));

  // Keyed on the typed username, never on whether the account exists, so limits cannot enumerate
  // users. The delays a success clears, the cap it does not, and the attempts past which a captcha
  // is required (cleared by a success too), when that option is on.
  const captchaAfter = config.PASSWORD_CAPTCHA_AFTER_FAILURES;
  const byAccount = async (username: string) => ({
    delays: await perAccount('password.account', 'username', username, config.PASSWORD_LIMIT_ACCOUNT),
    cap: await perAccount('password.account-cap', 'username', username, config.PASSWORD_LIMIT_ACCOUNT_CAP),
    failures: captchaAfter > 0 ? await perAccount('password.captcha-after', 'username', username, [{ limit: captchaAfter, windowSeconds: 3600 }]) : null,
  });
  const clearedBySuccess = (account: Awaited<ReturnType<typeof byAccount>>) => (account.failures ? [account.delays, account.failures] : [account.delays]);

  /** Resolves when the request carries a valid captcha token (JSON field or header); throws 403 or 503 otherwise. */
  const verifyHuman = (c: Context<KitEnv>, bodyToken: string | undefined) =>
    captcha.verify(captchaTokenFrom(c, bodyToken), { clientIp: c.env?.clientIp ?? null });

  /**
   * Counts this attempt against the account's captcha threshold and, past it, requires a captcha.
   * The count follows the typed name, known or not, so being asked for one says nothing about the
   * account. After the limits (a vendor call costs), before any argon2 work.
   */
  async function requireCaptchaPastFailures(c: Context<KitEnv>, failures: LimitCheck | null, bodyToken: string | undefined, attempt: LogFields) {
    if (failures === null || (await guard.within(failures))) return;
    try {
      await verifyHuman(c, bodyToken);
    } catch (error) {
      if (error instanceof KitError && error.type === 'captcha_invalid') logger.warn('captcha_required', attempt);
      throw error;
    }
  }

  /**
   * Resolves the user behind a username and password, or logs the failure and throws
   * `invalid_credentials`. Every path costs the dummy verification once per form of the password
   * (`passwordForms`: NFKC, and as typed when that differs), so unknown, blocked, password-less and
   * old-hash accounts take about as long as a wrong password.
   */
  async function authenticate(username: string, password: Password, attempt: LogFields): Promise<UserRecord> {
    const user = await users.get(await userIdForUsername(username));
    const parameters = user?.passwordHash ? argon2Parameters(user.passwordHash) : null;
    const storedHash = parameters ? user!.passwordHash! : null;
    let matches = false;
    // Every form, even after a match: the count of verifications depends on what was typed only.
    for (const form of passwordForms(password)) {
      // A blocked user's own hash is checked too, so blocking shows in neither the answer nor its timing.
      if (await passwordVerifier.verify(storedHash ?? DUMMY_ARGON2ID_HASH, form)) matches = true;
      // A hash from an older Appwrite (m=2048) answers in a millisecond: pad it to the dummy's cost.
      if (parameters !== null && isCheaperThanDummy(parameters)) await passwordVerifier.verify(DUMMY_ARGON2ID_HASH, form);
    }
    if (user?.passwordHash && !storedHash) {
      logger.warn('unsupported_password_hash', { userId: user.id, algorithm: user.hashAlgorithm });
    }
    if (!user || !storedHash || !matches || !user.enabled) {
      logger.warn('login_failed', attempt);
      throw passwordErrors.create('invalid_credentials');
    }
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
        throw passwordErrors.create('sessions_not_revoked');
      }
    }
  }

  const app = createFunctionApp({ logger, corsOrigins: config.CORS_ALLOWED_ORIGINS });
  return serveRoutes(app, passwordRoutes, {
    register: async (c, { body: { username, password, name, captchaToken } }) => {
      const attempt = await attemptOf(c.env?.clientIp, username);
      // Every attempt, duplicates included, counts against its address; the budget across everyone
      // counts only created users (sign-up.ts).
      await guard.enforce(logged(attempt, [perClientIp('password.register.ip', c.env?.clientIp, config.PASSWORD_LIMIT_REGISTER_IP)]));
      // Before anything is counted across everyone or created: a bot without a captcha spends nothing.
      if (config.PASSWORD_CAPTCHA_ON_REGISTER) await verifyHuman(c, captchaToken);
      const userId = await userIdForUsername(username);
      await signUp(username, { userId, password: password.nfkc, name: name ?? username }, attempt);
      logger.info('user_registered', { userId });
      return c.json({ userId }, 201);
    },

    login: async (c, { body: { username, password, captchaToken } }) => {
      const account = await byAccount(username);
      const attempt = await attemptOf(c.env?.clientIp, username);
      return signIn(c, {
        // Before any argon2 work: a throttled request costs a counter increment, not 64 MiB of hashing.
        guards: logged(attempt, [perClientIp('password.login.ip', c.env?.clientIp, config.PASSWORD_LIMIT_LOGIN_IP), account.delays, account.cap]),
        prove: async () => {
          await requireCaptchaPastFailures(c, account.failures, captchaToken, { route: 'login', ...attempt });
          return { user: await authenticate(username, password, { route: 'login', ...attempt }) };
        },
        clearOnSuccess: clearedBySuccess(account),
        token,
        deliver: 'response',
      });
    },

    change: async (c, { body: { username, currentPassword, newPassword, captchaToken } }) => {
      const account = await byAccount(username);
      const attempt = await attemptOf(c.env?.clientIp, username);
      await guard.enforce(logged(attempt, [perClientIp('password.change.ip', c.env?.clientIp, config.PASSWORD_LIMIT_CHANGE_IP), account.delays, account.cap]));
      await requireCaptchaPastFailures(c, account.failures, captchaToken, { route: 'change', ...attempt });
      const user = await authenticate(username, currentPassword, { route: 'change', ...attempt });
      await guard.clear(clearedBySuccess(account));
      try {
        // The kit stores the NFKC form, so the same password typed on another keyboard matches.
        await users.updatePassword(user.id, newPassword.nfkc);
      } catch (error) {
        if (error instanceof PasswordPolicyError) throw passwordErrors.create('password_rejected', error.message);
        throw error;
      }
      if (config.PASSWORD_CHANGE_REVOKES_SESSIONS) await revokeSessions(user.id);
      logger.info('password_changed', { userId: user.id });
      return c.body(null, 204);
    },
  });
}
