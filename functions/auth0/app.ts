/**
 * The auth0 function: signs users into Appwrite with a token from Auth0 or any OpenID Connect
 * issuer (or your own backend). Apps that hold a token exchange it (`/exchange`); web apps without
 * one run the authorization-code flow through this function (`/login`, `/callback`); the issuer
 * ends a user's sessions with a back-channel logout (`/backchannel-logout`).
 *
 * Verification is the OIDC port's (`shared/oidc`); the user is keyed on `(iss, sub)` alone
 * (`account.ts`); the token is minted by the shared sign-in pipeline.
 *
 * @module
 */
import type { Context } from 'hono';
import type { Clock } from '../../shared/clock.js';
import { ConfigError } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
import { createFunctionApp, type KitEnv } from '../../shared/http.js';
import type { Logger } from '../../shared/log.js';
import type { OidcClaims, OidcVerifier } from '../../shared/oidc/index.js';
import { ONCE_MAX_TTL_MS, onceKey, type OnceStore } from '../../shared/once/store.js';
import type { OutboundFetch } from '../../shared/ports.js';
import { perAccount, perClientIp } from '../../shared/rate-limit/checks.js';
import { createRateLimitGuard } from '../../shared/rate-limit/guard.js';
import type { RateLimitStore } from '../../shared/rate-limit/store.js';
import { serveRoutes } from '../../shared/routes.js';
import { createSignIn } from '../../shared/sign-in/pipeline.js';
import { userIdForOidcSubject } from '../../shared/sign-in/user-id.js';
import type { UserRecord, UsersDirectory } from '../../shared/users.js';
import { createAccountResolver } from './account.js';
import { redeemCode, startAuthorization } from './authorization.js';
import type { Auth0Config, RedirectFlowConfig } from './config.js';
import { auth0Errors } from './errors.js';
import { createFlowCookie, sameState, type FlowCookie } from './flow-cookie.js';
import { isAllowedRedirect, withParams } from './redirects.js';
import { auth0Routes } from './routes.js';

/** The ports the auth0 function uses; `index.ts` names their providers. */
export interface Auth0Ports {
  users: UsersDirectory;
  rateLimitStore: RateLimitStore;
  /** Replay records: one-time exchange tokens, logout tokens, finished redirect flows. */
  once: OnceStore;
  oidc: OidcVerifier;
  /** For the token endpoint of the redirect flow. */
  fetch: OutboundFetch;
  logger: Logger;
  clock: Clock;
}

/**
 * The verifier's largest clock tolerance (`AUTH0_CLOCK_TOLERANCE_SECONDS` is at most 60): a
 * replay record kept this long past `exp` outlives every chance of the token being accepted.
 */
const LONGEST_TOLERANCE_MS = 60_000;

/** An OAuth error code as the issuer sent it back, if it looks like one, for the log. */
const oauthErrorCode = (value: string) => (/^[a-z_]{1,64}$/.test(value) ? value : 'other');

/**
 * The token of an `/exchange` request: from `Authorization: Bearer`, or the JSON field `token`.
 * Both at once is refused (RFC 6750 §2: a client uses one method per request), so no proxy's
 * header or stray field decides which token is checked.
 */
function presentedToken(c: Context<KitEnv>, bodyToken: string | undefined): string {
  const header = c.req.header('authorization');
  if (header !== undefined && bodyToken !== undefined) {
    throw new KitError('invalid_request', 'Send the token either as Authorization: Bearer or as the JSON field token, not both.');
  }
  if (bodyToken !== undefined) return bodyToken;
  if (header === undefined) throw new KitError('invalid_request', 'Send the token as Authorization: Bearer <token>, or as the JSON field token.');
  const bearer = /^Bearer +(\S+) *$/i.exec(header)?.[1];
  if (bearer === undefined) throw new KitError('invalid_request', 'The Authorization header must be Bearer <token>.');
  return bearer;
}

/**
 * Builds the auth0 function's app.
 *
 * @example
 * ```ts
 * const app = createAuth0App(parseConfig(auth0ConfigSchema, env), ports);
 * const res = await app.request('/exchange', { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } }, { clientIp: '203.0.113.7' });
 * ```
 */
export function createAuth0App(config: Auth0Config, ports: Auth0Ports) {
  const { users, oidc, once, logger, clock } = ports;
  const guard = createRateLimitGuard({ store: ports.rateLimitStore, clock, logger });
  const signIn = createSignIn({ users, logger, clock, rateLimits: ports.rateLimitStore });
  const token = { length: config.AUTH0_TOKEN_LENGTH, expire: config.AUTH0_TOKEN_EXPIRE };
  const accountFor = createAccountResolver({
    users,
    logger,
    mapping: {
      rolesClaim: config.AUTH0_ROLES_CLAIM,
      labelPrefix: config.AUTH0_LABEL_PREFIX,
      prefsClaims: config.AUTH0_PREFS_CLAIMS,
      prefsKey: config.AUTH0_PREFS_KEY,
    },
  });
  const flow = config.redirectFlow;
  const flowCookie = flow ? createFlowCookie({ secret: flow.cookieSecret, secure: new URL(flow.callbackUrl).protocol === 'https:', clock }) : null;

  /** The redirect flow's settings and cookie, or 403 `redirect_flow_disabled`. */
  function redirectFlow(): { flow: RedirectFlowConfig; cookie: FlowCookie } {
    if (!flow || !flowCookie) throw auth0Errors.create('redirect_flow_disabled');
    return { flow, cookie: flowCookie };
  }
  const allowed = (url: string) => flow !== null && isAllowedRedirect(url, flow.redirectOrigins);

  /** Until when a replay record for a token must last: past every instant the verifier could still accept it. */
  const recordUntil = (exp: number | undefined) => {
    const now = clock.now();
    return Math.min(Math.max(Math.floor((exp ?? 0) * 1000) + LONGEST_TOLERANCE_MS, now), now + ONCE_MAX_TTL_MS);
  };

  /** Refuses a one-time token's second use (`AUTH0_ONE_TIME_TOKENS`); such a token must name itself with `jti`. */
  async function spendOnce(claims: OidcClaims, userId: string): Promise<void> {
    if (!config.AUTH0_ONE_TIME_TOKENS) return;
    if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > 256) {
      throw new KitError('invalid_token', 'The token has no "jti" claim, which one-time tokens need.');
    }
    if (await once.claim(await onceKey('auth0.exchange-jti', claims.jti), recordUntil(claims.exp))) return;
    logger.warn('token_replayed', { userId });
    throw auth0Errors.create('token_replayed');
  }

  /** The user behind verified claims, after the per-user limit; labels and prefs updated. */
  async function verifiedUser(c: Context<KitEnv>, claims: OidcClaims, options: { oneTime: boolean }): Promise<UserRecord> {
    const userId = await userIdForOidcSubject(claims.iss, claims.sub);
    await guard.enforce([await perAccount('auth0.subject', 'user', userId, config.AUTH0_LIMIT_SUBJECT)]);
    if (options.oneTime) await spendOnce(claims, userId);
    return accountFor(userId, claims, c.req.raw.signal);
  }

  const app = createFunctionApp({ logger, corsOrigins: config.CORS_ALLOWED_ORIGINS });
  return serveRoutes(app, auth0Routes, {
    exchange: (c, { body }) => {
      const presented = presentedToken(c, body.token);
      return signIn(c, {
        guards: [perClientIp('auth0.exchange.ip', c.env?.clientIp, config.AUTH0_LIMIT_EXCHANGE_IP)],
        prove: async () => ({ user: await verifiedUser(c, await oidc.verify(presented, oidc.exchangeKind), { oneTime: true }) }),
        token,
        deliver: 'response',
      });
    },

    login: async (c, { query: { success, failure } }) => {
      const { flow: settings, cookie } = redirectFlow();
      if (!allowed(success) || !allowed(failure)) {
        logger.warn('redirect_refused', { route: 'login' });
        throw auth0Errors.create('redirect_not_allowed');
      }
      await guard.enforce([perClientIp('auth0.login.ip', c.env?.clientIp, config.AUTH0_LIMIT_REDIRECT_IP)]);
      const { authorization_endpoint } = await oidc.metadata();
      const { url, state, nonce, verifier } = await startAuthorization(authorization_endpoint, settings);
      c.header('Set-Cookie', await cookie.seal({ state, nonce, verifier, success, failure }));
      return c.redirect(url, 302);
    },

    callback: async (c, { query }) => {
      const { flow: settings, cookie } = redirectFlow();
      const opened = await cookie.open(c);
      // Whatever happens next, this flow is over: every answer removes its cookie.
      const clearCookie = { 'Set-Cookie': cookie.clear };
      // Only URLs this deployment wrote, and still allows, are ever redirected to.
      if (opened.status === 'invalid' || !allowed(opened.flow.success) || !allowed(opened.flow.failure)) {
        logger.warn('flow_refused', { reason: opened.status === 'invalid' ? 'no_valid_cookie' : 'origin_not_allowed' });
        throw auth0Errors.create('flow_invalid', undefined, clearCookie);
      }
      const started = opened.flow;
      c.header('Set-Cookie', cookie.clear);
      // The success URL holds a secret: the next page must not pass it on as a Referer.
      c.header('Referrer-Policy', 'no-referrer');
      const fail = (type: string) => c.redirect(withParams(started.failure, { error: type }), 302);
      if (opened.status === 'expired') {
        logger.warn('flow_refused', { reason: 'expired' });
        return fail('flow_expired');
      }
      try {
        return await signIn(c, {
          guards: [perClientIp('auth0.callback.ip', c.env?.clientIp, config.AUTH0_LIMIT_REDIRECT_IP)],
          prove: async () => {
            if (!(await sameState(query.state ?? '', started.state))) {
              logger.warn('flow_refused', { reason: 'state_mismatch' });
              throw auth0Errors.create('flow_invalid');
            }
            if (query.error !== undefined) {
              logger.info('authorization_denied', { error: oauthErrorCode(query.error) });
              throw auth0Errors.create('authorization_denied');
            }
            if (!query.code) throw new KitError('invalid_request', 'The identity provider sent no authorization code.');
            // One callback per flow, even where an issuer would take a code twice.
            if (!(await once.claim(await onceKey('auth0.flow-state', started.state), opened.expiresAt))) {
              logger.warn('flow_refused', { reason: 'replayed' });
              throw auth0Errors.create('flow_invalid');
            }
            const { token_endpoint } = await oidc.metadata();
            const idToken = await redeemCode({ fetch: ports.fetch, logger, tokenEndpoint: token_endpoint, flow: settings, code: query.code, verifier: started.verifier });
            const claims = await oidc.verify(idToken, 'id', { nonce: started.nonce });
            return { user: await verifiedUser(c, claims, { oneTime: false }) };
          },
          token,
          deliver: { redirect: (issued) => withParams(started.success, { userId: issued.userId, secret: issued.secret }) },
        });
      } catch (error) {
        return fail(failureType(error, logger));
      }
    },

    backchannelLogout: async (c, { body }) => {
      await guard.enforce([perClientIp('auth0.logout.ip', c.env?.clientIp, config.AUTH0_LIMIT_LOGOUT_IP)]);
      let claims: OidcClaims;
      try {
        claims = await oidc.verify(body.logout_token, 'logout');
      } catch (error) {
        // Back-Channel Logout §2.8: an invalid logout request is a 400.
        if (error instanceof KitError && error.type === 'invalid_token') throw auth0Errors.create('logout_token_invalid', error.message);
        throw error;
      }
      const userId = await userIdForOidcSubject(claims.iss, claims.sub);
      // The verifier requires a jti on logout tokens.
      if (!(await once.claim(await onceKey('oidc.logout-jti', String(claims.jti)), recordUntil(claims.exp)))) {
        logger.warn('logout_token_replayed', { userId });
        throw auth0Errors.create('logout_token_invalid', 'This logout token was already used.');
      }
      await users.deleteSessions(userId);
      logger.info('backchannel_logout', { userId });
      return c.body(null, 200);
    },
  });
}

/** The `?error=` of a failed callback: a kit error's own type; anything else logged, as the kit's error handler would. */
function failureType(error: unknown, logger: Logger): string {
  if (error instanceof KitError) return error.type;
  if (error instanceof ConfigError) {
    logger.error('config_invalid', { problems: error.problems.join('; ') });
    return 'config_invalid';
  }
  logger.error('unhandled_error', { route: 'callback', error: error instanceof Error ? error.name : typeof error });
  return 'internal_error';
}
