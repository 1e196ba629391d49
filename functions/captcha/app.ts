/**
 * The captcha function: passwordless sign-in for humans. A solved captcha buys one sign-in code by
 * email or SMS (or, when enabled, a guest user); receiving the code is what proves the address.
 *
 * Appwrite's own email and phone OTP have no captcha, so bots use them to create accounts and send
 * mail at the project's expense. Here every request passes rate limits, then a captcha, before any
 * user is created or any message sent.
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
import { perAccount, perClientIp } from '../../shared/rate-limit/checks.js';
import { createRateLimitGuard } from '../../shared/rate-limit/guard.js';
import type { AccountKind } from '../../shared/rate-limit/keys.js';
import type { RateLimitRule, RateLimitStore } from '../../shared/rate-limit/store.js';
import { serveRoutes } from '../../shared/routes.js';
import type { Delivery } from '../../shared/sign-in/delivery.js';
import { createSignIn } from '../../shared/sign-in/pipeline.js';
import { getOrCreateUser } from '../../shared/sign-in/resolve.js';
import { userIdForPhone } from '../../shared/sign-in/user-id.js';
import type { NewUser, UserRecord, UsersDirectory } from '../../shared/users.js';
import type { CaptchaFunctionConfig } from './config.js';
import { captchaErrors } from './errors.js';
import { newGuestUserId, userIdForEmail } from './identities.js';
import { codeMessage } from './messages.js';
import { captchaRoutes } from './routes.js';

/** The ports the captcha function uses; `index.ts` names their providers. */
export interface CaptchaFunctionPorts {
  users: UsersDirectory;
  rateLimitStore: RateLimitStore;
  delivery: Delivery;
  captcha: CaptchaVerifier;
  logger: Logger;
  clock: Clock;
}

/** A guest's secret travels in the answer and is exchanged at once, like the password function's. */
const GUEST_TOKEN = { length: 64, expire: 60 } as const;

/** How email and SMS differ; everything else about sending a code is the same. */
interface CodeChannel {
  ipRules: readonly RateLimitRule[];
  addressKind: AccountKind;
  addressRules: readonly RateLimitRule[];
  find(address: string): Promise<UserRecord | null>;
  /** The ID a first sign-in creates the user under. */
  userIdFor(address: string): Promise<string>;
  profile(address: string): Omit<NewUser, 'userId'>;
  /** The user's address on this channel, as the request spells it (normalised). */
  addressOf(user: UserRecord): string;
}

/**
 * Builds the captcha function's app. Refuses to build without a captcha provider: this function
 * exists to put a captcha in front of sign-in, and without one it would be an open mail relay.
 *
 * @example
 * ```ts
 * const app = createCaptchaApp(parseConfig(captchaFunctionConfigSchema, env), ports);
 * const res = await app.request('/email', { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ email: 'alice@example.com', captchaToken }) }, { clientIp: '203.0.113.7' });
 * ```
 */
export function createCaptchaApp(config: CaptchaFunctionConfig, ports: CaptchaFunctionPorts) {
  const { users, captcha, logger } = ports;
  if (captcha.provider === null) {
    throw new ConfigError([
      'CAPTCHA_PROVIDER is required by the captcha function: set turnstile, hcaptcha, recaptcha-v2 or recaptcha-v3 (development only with npm start)',
    ]);
  }
  const guard = createRateLimitGuard({ store: ports.rateLimitStore, clock: ports.clock, logger });
  const signIn = createSignIn({ users, logger, clock: ports.clock, rateLimits: ports.rateLimitStore, delivery: ports.delivery });
  const code = { length: config.CAPTCHA_TOKEN_LENGTH, expire: config.CAPTCHA_TOKEN_EXPIRE };

  const channels: Record<'email' | 'sms', CodeChannel> = {
    email: {
      ipRules: config.CAPTCHA_LIMIT_EMAIL_IP,
      addressKind: 'email',
      addressRules: config.CAPTCHA_LIMIT_EMAIL,
      find: (email) => users.findByEmail(email),
      userIdFor: userIdForEmail,
      profile: (email) => ({ email }),
      addressOf: (user) => user.email.toLowerCase(),
    },
    sms: {
      ipRules: config.CAPTCHA_LIMIT_SMS_IP,
      addressKind: 'phone',
      addressRules: config.CAPTCHA_LIMIT_PHONE,
      find: (phone) => users.findByPhone(phone),
      userIdFor: userIdForPhone,
      profile: (phone) => ({ phone }),
      addressOf: (user) => user.phone,
    },
  };

  const verifyHuman = (c: Context<KitEnv>, bodyToken: string | undefined) =>
    captcha.verify(captchaTokenFrom(c, bodyToken), { clientIp: c.env?.clientIp ?? null });

  /**
   * The user behind an address no user had at the lookup: created under the derived ID, or, if
   * another request gave the address to a user of another ID meanwhile, that user.
   */
  async function firstSignIn(channel: CodeChannel, address: string, userId: string): Promise<UserRecord> {
    try {
      return (await getOrCreateUser(users, userId, channel.profile(address))).user;
    } catch (error) {
      if (!(error instanceof KitError && error.type === 'account_conflict')) throw error;
      const holder = await channel.find(address);
      if (holder) return holder;
      throw error;
    }
  }

  async function sendCode(c: Context<KitEnv>, name: 'email' | 'sms', address: string, body: { captchaToken?: string; locale?: string }) {
    const channel = channels[name];
    // Every limit comes before the captcha (a vendor call the kit may pay for) and before any user
    // exists; the cheap ones before the lookup, so a flood costs counters, not Appwrite queries.
    await guard.enforce([
      perClientIp(`captcha.${name}.ip`, c.env?.clientIp, channel.ipRules),
      await perAccount(`captcha.${name}.address`, channel.addressKind, address, channel.addressRules),
    ]);
    // The user the address belongs to, else the one a first sign-in creates: the per-user limit
    // counts either, so email and SMS to one account share it.
    const known = await channel.find(address);
    const userId = known?.id ?? (await channel.userIdFor(address));
    return signIn(c, {
      guards: [await perAccount('captcha.user', 'user', userId, config.CAPTCHA_LIMIT_USER)],
      prove: async () => {
        await verifyHuman(c, body.captchaToken);
        const user = known ?? (await firstSignIn(channel, address, userId));
        // The code goes only to the address typed: never to another the account holds by now.
        if (channel.addressOf(user) !== address) {
          logger.warn('address_mismatch', { channel: name, userId: user.id });
          throw new KitError('account_conflict', 'This address cannot be used to sign in here.');
        }
        return { user };
      },
      token: code,
      deliver: name,
      text: codeMessage(name, body.locale),
    });
  }

  const app = createFunctionApp({ logger, corsOrigins: config.CORS_ALLOWED_ORIGINS });
  return serveRoutes(app, captchaRoutes, {
    email: (c, { body: { email, ...rest } }) => sendCode(c, 'email', email, rest),
    sms: (c, { body: { phone, ...rest } }) => sendCode(c, 'sms', phone, rest),
    guest: (c, { body: { captchaToken } }) => {
      if (!config.CAPTCHA_GUEST_ENABLED) throw captchaErrors.create('guest_disabled');
      return signIn(c, {
        guards: [perClientIp('captcha.guest.ip', c.env?.clientIp, config.CAPTCHA_LIMIT_GUEST_IP)],
        prove: async () => {
          await verifyHuman(c, captchaToken);
          // The pipeline creates it: a new user with no name, email or phone.
          return { userId: newGuestUserId() };
        },
        token: GUEST_TOKEN,
        deliver: 'response',
      });
    },
  });
}
