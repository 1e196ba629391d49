/**
 * The phone-call function: proves possession of a phone number by calling it and reading a
 * sign-in code aloud, for users who cannot receive SMS (landlines, accessibility, some countries).
 * The Appwrite token is the code: Appwrite enforces its expiry, single use and attempt limit.
 *
 * Every call costs money and dialled numbers are what toll fraud (IRSF) abuses, so a request passes
 * the number checks, then every limit, then the captcha, before any user is created or call placed.
 *
 * @module
 */
import type { Context } from 'hono';
import { captchaTokenFrom, type CaptchaVerifier } from '../../shared/captcha/index.js';
import type { Clock } from '../../shared/clock.js';
import { ConfigError } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
import { createFunctionApp, type KitEnv } from '../../shared/http.js';
import type { Logger } from '../../shared/log.js';
import { acrossEveryone, perAccount, perClientIp } from '../../shared/rate-limit/checks.js';
import { createRateLimitGuard } from '../../shared/rate-limit/guard.js';
import type { RateLimitStore } from '../../shared/rate-limit/store.js';
import { serveRoutes } from '../../shared/routes.js';
import type { Delivery } from '../../shared/sign-in/delivery.js';
import { createSignIn } from '../../shared/sign-in/pipeline.js';
import { getOrCreateUser } from '../../shared/sign-in/resolve.js';
import { userIdForPhone } from '../../shared/sign-in/user-id.js';
import type { UserRecord, UsersDirectory } from '../../shared/users.js';
import type { StatusCallbackVerifier } from '../../shared/voice/index.js';
import type { PhoneCallConfig } from './config.js';
import { phoneCallErrors } from './errors.js';
import { callMessage } from './messages.js';
import { callableNumber } from './phone.js';
import { phoneCallRoutes } from './routes.js';

/** The ports the phone-call function uses; `index.ts` names their providers. */
export interface PhoneCallPorts {
  users: UsersDirectory;
  rateLimitStore: RateLimitStore;
  delivery: Delivery;
  captcha: CaptchaVerifier;
  /** `null` while `TWILIO_STATUS_CALLBACK_URL` is unset: `/status` refuses everything. */
  statusCallback: StatusCallbackVerifier | null;
  logger: Logger;
  clock: Clock;
}

/** Final call statuses where nobody heard the code (twilio.com/docs/voice/api/call-resource). */
const failedCallStatuses = new Set(['busy', 'no-answer', 'failed', 'canceled']);

/**
 * Builds the phone-call function's app. Refuses to build (500 `config_invalid` on every route)
 * without a country allowlist, a voice provider, or, unless `PHONE_CALL_CAPTCHA=false`, a captcha.
 *
 * @example
 * ```ts
 * const app = createPhoneCallApp(parseConfig(phoneCallConfigSchema, env), ports);
 * const res = await app.request('/start', { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ phone: '+14155550123', captchaToken }) }, { clientIp: '203.0.113.7' });
 * ```
 */
export function createPhoneCallApp(config: PhoneCallConfig, ports: PhoneCallPorts) {
  const { users, captcha, logger } = ports;
  const problems: string[] = [];
  if (config.PHONE_CALL_COUNTRIES.length === 0) {
    problems.push('PHONE_CALL_COUNTRIES is required by the phone-call function: list the countries it may call (ISO 3166-1 alpha-2, e.g. US,CA); none are open by default');
  }
  if (!ports.delivery.voice) problems.push('VOICE_PROVIDER is required by the phone-call function: set twilio (development only with npm start)');
  if (config.PHONE_CALL_CAPTCHA && captcha.provider === null) {
    problems.push('CAPTCHA_PROVIDER is required by the phone-call function unless PHONE_CALL_CAPTCHA=false: every call costs money');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const guard = createRateLimitGuard({ store: ports.rateLimitStore, clock: ports.clock, logger });
  const signIn = createSignIn({ users, logger, clock: ports.clock, rateLimits: ports.rateLimitStore, delivery: ports.delivery });
  const code = { length: config.PHONE_CALL_TOKEN_LENGTH, expire: config.PHONE_CALL_TOKEN_EXPIRE };

  /**
   * The user behind a number no user had at the lookup: created under the derived ID, or, if
   * another request gave the number to a user of another ID meanwhile, that user.
   */
  async function firstSignIn(phone: string, userId: string): Promise<UserRecord> {
    try {
      return (await getOrCreateUser(users, userId, { phone })).user;
    } catch (error) {
      if (!(error instanceof KitError && error.type === 'account_conflict')) throw error;
      const holder = await users.findByPhone(phone);
      if (holder) return holder;
      throw error;
    }
  }

  async function start(c: Context<KitEnv>, body: { phone: string; captchaToken?: string | undefined; locale?: string | undefined }) {
    const number = callableNumber(body.phone, config.PHONE_CALL_COUNTRIES);
    // Every limit before the captcha (a vendor call) and before any user or call; the narrow ones
    // first, so one client's flood is refused before it spends the country's or everyone's budget.
    await guard.enforce([
      perClientIp('phone-call.ip', c.env?.clientIp, config.PHONE_CALL_LIMIT_IP),
      await perAccount('phone-call.number', 'phone', number.e164, config.PHONE_CALL_LIMIT_NUMBER),
      await perAccount('phone-call.prefix', 'phone', number.prefix, config.PHONE_CALL_LIMIT_PREFIX),
      { scope: 'phone-call.country', subject: `country:${number.country}`, rules: config.PHONE_CALL_LIMIT_COUNTRY },
      acrossEveryone('phone-call.all', config.PHONE_CALL_LIMIT_TOTAL),
    ]);
    const known = await users.findByPhone(number.e164);
    const userId = known?.id ?? (await userIdForPhone(number.e164));
    return signIn(c, {
      guards: [await perAccount('phone-call.user', 'user', userId, config.PHONE_CALL_LIMIT_USER)],
      prove: async () => {
        if (config.PHONE_CALL_CAPTCHA) await captcha.verify(captchaTokenFrom(c, body.captchaToken), { clientIp: c.env?.clientIp ?? null });
        const user = known ?? (await firstSignIn(number.e164, userId));
        // The call goes only to the number typed: never to another the account holds by now.
        if (user.phone !== number.e164) {
          logger.warn('address_mismatch', { channel: 'voice', userId: user.id });
          throw new KitError('account_conflict', 'This number cannot be used to sign in here.');
        }
        return { user };
      },
      token: code,
      deliver: 'voice',
      text: callMessage(body.locale),
    });
  }

  /** Twilio's word on a call: only a call that never connected is worth an operator's look. */
  async function status(c: Context<KitEnv>, fields: Record<string, string>) {
    const verifier = ports.statusCallback;
    if (!verifier || !(await verifier.verify(fields, c.req.header('x-twilio-signature')))) {
      logger.warn('status_callback_refused', { reason: verifier ? 'signature' : 'not_configured' });
      throw phoneCallErrors.create('status_callback_invalid');
    }
    const callStatus = fields['CallStatus'] ?? null;
    const details = { callSid: fields['CallSid'] ?? null, status: callStatus, duration: fields['CallDuration'] ?? null };
    if (callStatus !== null && failedCallStatuses.has(callStatus)) logger.warn('call_failed', details);
    else logger.info('call_status', details);
    return c.body(null, 204);
  }

  const app = createFunctionApp({ logger, corsOrigins: config.CORS_ALLOWED_ORIGINS });
  return serveRoutes(app, phoneCallRoutes, { start: (c, { body }) => start(c, body), status: (c, { body }) => status(c, body) });
}
