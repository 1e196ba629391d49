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
import type { StatusCallbackVerifier, TwilioVerify } from '../../shared/voice/index.js';
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
  /** Twilio Verify, `null` while `TWILIO_VERIFY_SERVICE_SID` is unset (needed when `PHONE_CALL_MODE=verify`). */
  verify: TwilioVerify | null;
  logger: Logger;
  clock: Clock;
}

/** Twilio Verify's default code lifetime; only Twilio Support changes it. */
const VERIFY_CODE_LIFETIME_MS = 10 * 60_000;

/** Final call statuses where nobody heard the code (twilio.com/docs/voice/api/call-resource). */
const failedCallStatuses = new Set(['busy', 'no-answer', 'failed', 'canceled']);

/**
 * Builds the phone-call function's app. Refuses to build (500 `config_invalid` on every route)
 * without a country allowlist, a voice provider (a Verify service with `PHONE_CALL_MODE=verify`), or, unless `PHONE_CALL_CAPTCHA=false`, a captcha.
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
  if (config.PHONE_CALL_MODE === 'voice' && !ports.delivery.voice) {
    problems.push('VOICE_PROVIDER is required by the phone-call function: set twilio (development only with npm start), or PHONE_CALL_MODE=verify');
  }
  if (config.PHONE_CALL_MODE === 'verify' && !ports.verify) problems.push('TWILIO_VERIFY_SERVICE_SID is required when PHONE_CALL_MODE is verify');
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
    const perUser = await perAccount('phone-call.user', 'user', userId, config.PHONE_CALL_LIMIT_USER);
    if (ports.verify && config.PHONE_CALL_MODE === 'verify') {
      // Twilio holds the code; the user is found or created, and a token minted, only once it is right (`/verify`).
      await guard.enforce([perUser]);
      if (config.PHONE_CALL_CAPTCHA) await captcha.verify(captchaTokenFrom(c, body.captchaToken), { clientIp: c.env?.clientIp ?? null });
      await ports.verify.start(number.e164, body.locale);
      return c.json({ userId, expire: new Date(ports.clock.now() + VERIFY_CODE_LIFETIME_MS).toISOString() }, 202);
    }
    return signIn(c, {
      guards: [perUser],
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

  /** Verify mode: Twilio checks the code; only a right one finds or creates the user and mints the token. */
  async function verify(c: Context<KitEnv>, body: { phone: string; code: string }) {
    const twilio = ports.verify;
    if (!twilio || config.PHONE_CALL_MODE !== 'verify') throw phoneCallErrors.create('mode_disabled');
    const number = callableNumber(body.phone, config.PHONE_CALL_COUNTRIES);
    return signIn(c, {
      guards: [
        perClientIp('phone-call.check-ip', c.env?.clientIp, config.PHONE_CALL_LIMIT_CHECK_IP),
        await perAccount('phone-call.check-number', 'phone', number.e164, config.PHONE_CALL_LIMIT_CHECK_NUMBER),
      ],
      prove: async () => {
        const result = await twilio.check(number.e164, body.code);
        if (result === 'expired') throw phoneCallErrors.create('code_expired');
        if (result !== 'approved') throw phoneCallErrors.create('code_invalid');
        const user = (await users.findByPhone(number.e164)) ?? (await firstSignIn(number.e164, await userIdForPhone(number.e164)));
        if (user.phone !== number.e164) {
          logger.warn('address_mismatch', { channel: 'voice', userId: user.id });
          throw new KitError('account_conflict', 'This number cannot be used to sign in here.');
        }
        // Twilio heard the code its call read out: this function has seen the number proven.
        if (!user.phoneVerified) {
          await users.markPhoneVerified(user.id);
          logger.info('phone_verified', { userId: user.id });
        }
        return { user };
      },
      // Handed straight to the client, which exchanges it at once.
      token: { length: 64, expire: 60 },
      deliver: 'response',
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
  return serveRoutes(app, phoneCallRoutes, {
    start: (c, { body }) => start(c, body),
    verify: (c, { body }) => verify(c, body),
    status: (c, { body }) => status(c, body),
  });
}
