/**
 * The sign-in pipeline every function shares:
 * `guards → prove → (clear limits ∥ resolve the Appwrite user → users.createToken) → deliver`,
 * stopping before any step that changes state once the request is abandoned (`shared/deadline.ts`).
 *
 * A function writes only `prove`: how this request shows who the user is. The rest is here, the
 * same for every function, so none of them builds rate-limit keys, calls `createToken` or shapes
 * the answer itself.
 *
 * @module
 */
import type { Context } from 'hono';
import type { Clock } from '../clock.js';
import { throwIfAbandoned } from '../deadline.js';
import { KitError } from '../errors.js';
import type { KitEnv } from '../http.js';
import type { Logger } from '../log.js';
import { createRateLimitGuard, type LimitCheck } from '../rate-limit/guard.js';
import type { RateLimitStore } from '../rate-limit/store.js';
import type { IssuedToken, NewUser, UserRecord, UsersDirectory } from '../users.js';
import type { Delivery, MessageText, OutOfBandChannel } from './delivery.js';
import { getOrCreateUser } from './resolve.js';
import { issueToken, type TokenSettings } from './token.js';

/**
 * A browser flow's delivery: a 302 to the URL this builds from the token, with `userId` and
 * `secret` in its query, as Appwrite's own `createOAuth2Token` sends them to its success URL.
 */
export interface RedirectDelivery {
  redirect(token: IssuedToken): string;
}

/** Who `prove` found: a user it already holds, or a subject to find or create by ID. */
export type Identity = { user: UserRecord } | { userId: string; profile?: Omit<NewUser, 'userId'> };

/** One sign-in, as a route describes it. */
export interface SignInSteps {
  /** Limits consumed, in order, before `prove` runs: a throttled request costs no proving work. */
  guards?: readonly LimitCheck[];
  /** Shows who the user is, or throws the function's own error. */
  prove(): Promise<Identity>;
  /**
   * Limits forgotten once `prove` succeeded (an account's failure delays, so the owner is not held
   * back by someone else's guesses), while the token is minted; a failed clear fails the sign-in.
   * Never for an abandoned request.
   */
  clearOnSuccess?: readonly LimitCheck[];
  token: TokenSettings;
  /**
   * `response`: the secret in the answer (200). A {@link RedirectDelivery}: a 302 carrying it to a
   * URL the function checked. Otherwise sent out of band, and the answer (202) never holds it.
   */
  deliver: 'response' | RedirectDelivery | OutOfBandChannel;
  /** Out of band only: the words of this message (e.g. in the user's language) instead of the channel's own. */
  text?: MessageText;
}

/** The ports the pipeline uses; a function passes its own. */
export interface SignInPorts {
  users: UsersDirectory;
  logger: Logger;
  clock: Clock;
  /** Needed when a sign-in has guards or limits to clear. */
  rateLimits?: RateLimitStore;
  /** Needed for out-of-band channels. */
  delivery?: Delivery;
}

/**
 * Creates the sign-in runner for a function's ports.
 *
 * Once the request is abandoned (`c.req.raw.signal` aborted: on Appwrite Functions the execution's
 * budget ran out and the client got 503; on Node the client went away) the runner stops before its
 * next step that changes state: clearing limits, resolving (maybe creating) the user, minting the
 * token, delivering it. Nothing then counts as a success the client never saw.
 *
 * @example
 * ```ts
 * const signIn = createSignIn({ users, logger, clock, rateLimits });
 * app.post('/login', jsonBody(loginSchema), (c) =>
 *   signIn(c, { guards: [byIp], prove: async () => ({ user: await authenticate(c.req.valid('json')) }),
 *     token: { length: 64, expire: 60 }, deliver: 'response' }));
 * ```
 */
export function createSignIn(ports: SignInPorts) {
  const guard = ports.rateLimits ? createRateLimitGuard({ store: ports.rateLimits, clock: ports.clock, logger: ports.logger }) : null;

  return async function signIn(c: Context<KitEnv>, steps: SignInSteps): Promise<Response> {
    // A channel nobody configured fails before any counting, proving or user creation.
    const outOfBand = typeof steps.deliver === 'string' && steps.deliver !== 'response' ? steps.deliver : null;
    // Stryker disable next-line ConditionalExpression: looking a null channel up finds none either
    const channel = outOfBand === null ? null : ports.delivery?.[outOfBand];
    if (outOfBand !== null && !channel) {
      ports.logger.error('delivery_failed', { channel: outOfBand, reason: 'channel_not_configured' });
      throw new KitError('delivery_unavailable', 'The code could not be sent. Try again later.');
    }
    if ((steps.guards?.length || steps.clearOnSuccess?.length) && !guard) {
      throw new TypeError('This sign-in has limits but the function did not ask for the rateLimits port.');
    }
    const stopIfAbandoned = (step: string) => throwIfAbandoned(c.req.raw.signal, step, ports.logger);
    if (steps.guards?.length) {
      stopIfAbandoned('guards');
      await guard!.enforce(steps.guards);
    }
    const identity = await steps.prove();
    // Started here and awaited with the token: the clear and resolving the user, then minting its
    // token, are independent round trips, so a login waits for the longer of the two, not both.
    let cleared: Promise<{ failure: unknown } | void> | null = null;
    if (steps.clearOnSuccess?.length) {
      stopIfAbandoned('clear_limits');
      cleared = guard!.clear(steps.clearOnSuccess).catch((failure: unknown) => ({ failure }));
    }
    let user: UserRecord;
    if ('user' in identity) {
      user = identity.user;
    } else {
      stopIfAbandoned('resolve_user');
      user = (await getOrCreateUser(ports.users, identity.userId, identity.profile)).user;
    }
    // Before minting: a token for a user the channel cannot reach would only sit in Appwrite.
    channel?.assertReachable(user);
    stopIfAbandoned('create_token');
    const token = await issueToken(ports, user, steps.token);
    // A clear that failed fails the sign-in, as it would have before the token: the limiter is unavailable.
    const clearing = await cleared;
    if (clearing) throw clearing.failure;
    // The token may exist now, but it reaches no one who is not waiting for it.
    stopIfAbandoned('deliver');
    if (typeof steps.deliver === 'object') {
      ports.logger.info('login_succeeded', { userId: user.id, delivery: 'redirect' });
      return c.redirect(steps.deliver.redirect(token), 302);
    }
    if (!channel) {
      ports.logger.info('login_succeeded', { userId: user.id, delivery: 'response' });
      return c.json({ userId: token.userId, secret: token.secret, expire: token.expire }, 200);
    }
    await channel.send(user, token, steps.text);
    return c.json({ userId: token.userId, expire: token.expire }, 202);
  };
}
