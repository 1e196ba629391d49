/**
 * In-process stand-ins for what a sign-in calls outside the kit, for benchmarks that measure the
 * kit's own CPU: the Appwrite users directory and Messaging (in memory), and vendors answering
 * `fetch` with their documented success bodies, built in this process without a socket.
 *
 * Never for tests of behaviour: those use the embedded Appwrite and the loopback vendor fakes.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Delivery, DeliveryChannel } from '../shared/sign-in/delivery.js';
import { UserAlreadyExistsError, type IssuedToken, type NewUser, type UserRecord, type UsersDirectory } from '../shared/users.js';

/**
 * A users directory in a `Map`, keeping Appwrite's uniqueness rules (ID, email, phone).
 *
 * @example
 * ```ts
 * const users = createMemoryUsers();
 * await users.create({ userId: 'u1', email: 'a@example.com' });
 * ```
 */
export function createMemoryUsers(): UsersDirectory {
  const byId = new Map<string, UserRecord>();
  const find = (match: (user: UserRecord) => boolean) => [...byId.values()].find(match) ?? null;
  const existing = (userId: string) => {
    const user = byId.get(userId);
    if (!user) throw new Error(`no user ${userId}`);
    return user;
  };
  return {
    get: async (userId) => byId.get(userId) ?? null,
    findByEmail: async (email) => find((user) => user.email === email),
    findByPhone: async (phone) => find((user) => user.phone === phone),
    async create(user: NewUser) {
      if (byId.has(user.userId) || (user.email && find((u) => u.email === user.email)) || (user.phone && find((u) => u.phone === user.phone))) {
        throw new UserAlreadyExistsError(user.userId);
      }
      const record: UserRecord = {
        id: user.userId,
        name: user.name ?? '',
        enabled: true,
        passwordHash: null,
        hashAlgorithm: null,
        email: user.email ?? '',
        phone: user.phone ?? '',
        phoneVerified: false,
        labels: [],
        prefs: {},
      };
      byId.set(user.userId, record);
      return record;
    },
    updatePassword: async () => {
      throw new Error('not used by the benchmark');
    },
    markPhoneVerified: async (userId) => void (existing(userId).phoneVerified = true),
    updateLabels: async (userId, labels) => void (existing(userId).labels = [...labels]),
    updatePrefs: async (userId, prefs) => void (existing(userId).prefs = prefs),
    deleteSessions: async () => {},
    createToken: async (userId, { length, expire }): Promise<IssuedToken> => ({
      userId,
      secret: randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length),
      expire: new Date(Date.now() + expire * 1000).toISOString(),
    }),
  };
}

/**
 * Email and SMS channels that accept every message, as Appwrite Messaging would.
 *
 * @example
 * ```ts
 * const delivery = createAcceptingDelivery();
 * ```
 */
export function createAcceptingDelivery(): Delivery {
  const channel: DeliveryChannel = { assertReachable: () => {}, send: async () => {} };
  return { email: channel, sms: channel };
}

/** How an in-process vendor answers one request. */
export type VendorRoute = (request: Request) => Response | Promise<Response>;

/**
 * A `fetch` that answers from `routes` (keyed by `origin + pathname`) without a socket; anything
 * else is a network error, as a vendor that is not there.
 *
 * @example
 * ```ts
 * const fetch = inProcessFetch({ 'https://challenges.cloudflare.com/turnstile/v0/siteverify': () => Response.json({ success: true }) });
 * ```
 */
export function inProcessFetch(routes: Record<string, VendorRoute>): typeof globalThis.fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const route = routes[url.origin + url.pathname];
    if (!route) throw new TypeError(`fetch failed: nothing in-process at ${url.origin}${url.pathname}`);
    return route(request);
  };
}
