/**
 * The sign-in pipeline stops once its request is abandoned (the request's signal aborted: on
 * Appwrite Functions, `REQUEST_TIMEOUT_MS` passed and the client already has its 503). It checks
 * before each step that changes state: clearing the limits a success clears, resolving (maybe
 * creating) the user, minting the token, delivering it. The ports here carry no signal of their
 * own, so what stops the work is the pipeline's own checks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { createFunctionApp, jsonBody } from '../../shared/http.js';
import { perClientIp } from '../../shared/rate-limit/checks.js';
import { createRateLimitGuard } from '../../shared/rate-limit/guard.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { createMessagingDelivery } from '../../shared/sign-in/delivery.js';
import { createSignIn, type SignInSteps } from '../../shared/sign-in/pipeline.js';
import { deriveUserId } from '../../shared/sign-in/user-id.js';
import { usersPort } from '../../shared/ports.js';
import { deliveryPort } from '../../shared/sign-in/delivery-port.js';
import type { UsersDirectory } from '../../shared/users.js';
import { startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { createTestPlatform } from '../helpers/platform.js';
import { captureLogs, connectionTo } from './helpers.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(() => dev.reset());

const EMAIL = 'alice@example.com';
/** One attempt a minute: still counted after a sign-in means the success did not clear it. */
const attempts = perClientIp('test.attempts', '203.0.113.7', [{ limit: 1, windowSeconds: 60 }]);

/**
 * Where the test abandons the request: before it arrives, inside `prove`, right after `users.get`,
 * or right after `users.createToken`.
 */
type AbortPoint = 'before' | 'prove' | 'users.get' | 'users.createToken' | 'never';

/** A sign-in that counts an attempt and, unless `clearOnSuccess` is false, clears it on success. */
function signInApp(deliver: SignInSteps['deliver'], abortAt: AbortPoint, { clearOnSuccess = true } = {}) {
  const { logger, lines } = captureLogs();
  const request = new AbortController();
  if (abortAt === 'before') request.abort();
  const abortHere = (point: AbortPoint) => {
    if (point === abortAt) request.abort();
  };
  const appwriteUsers = createAppwriteUsers(connectionTo(dev), logger);
  const users: UsersDirectory = {
    ...appwriteUsers,
    get: async (userId) => {
      const user = await appwriteUsers.get(userId);
      abortHere('users.get');
      return user;
    },
    createToken: async (userId, options) => {
      const token = await appwriteUsers.createToken(userId, options);
      abortHere('users.createToken');
      return token;
    },
  };
  const rateLimits = createMemoryStore({ clock: dev.clock });
  const signIn = createSignIn({
    users,
    logger,
    clock: dev.clock,
    rateLimits,
    delivery: createMessagingDelivery(connectionTo(dev), logger, { now: () => dev.clock.now() }),
  });
  const app = createFunctionApp({ logger });
  app.post('/sign-in', jsonBody(z.object({ email: z.string() })), (c) =>
    signIn(c, {
      guards: [attempts],
      clearOnSuccess: clearOnSuccess ? [attempts] : [],
      prove: async () => {
        abortHere('prove');
        const { email } = c.req.valid('json');
        return { userId: await deriveUserId('t', 'test-email', email), profile: { email } };
      },
      token: { length: 64, expire: 600 },
      deliver,
    }),
  );
  const guard = createRateLimitGuard({ store: rateLimits, clock: dev.clock, logger });
  return {
    lines,
    call: () =>
      app.request('/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: EMAIL }),
        signal: request.signal,
      }),
    /** Whether the attempt the sign-in consumed still counts. */
    stillCounted: () => guard.enforce([attempts]).then(() => false, (error: { type?: string }) => error.type === 'rate_limited'),
  };
}

const tokenCount = () => [...dev.store.tokens.values()].length;

describe('an abandoned sign-in', () => {
  it('abandoned before it arrived: counts no attempt, proves no one, mints and sends nothing', async () => {
    const { call, lines, stillCounted } = signInApp('email', 'before');
    await call();
    expect(await stillCounted()).toBe(false);
    expect(dev.store.users.size).toBe(0);
    expect(tokenCount()).toBe(0);
    expect(lines).toContain('request_abandoned step="guards"');
  });

  it('abandoned while proving, with no limit to clear: creates no user, mints and sends nothing', async () => {
    const { call, lines } = signInApp('email', 'prove', { clearOnSuccess: false });
    await call();
    expect(dev.store.users.size).toBe(0);
    expect(tokenCount()).toBe(0);
    expect(dev.store.outbox.list()).toEqual([]);
    expect(lines).toContain('request_abandoned step="resolve_user"');
  });

  it('abandoned while proving: clears no limit, creates no user, mints and sends nothing', async () => {
    const { call, lines, stillCounted } = signInApp('email', 'prove');
    await call();
    expect(await stillCounted()).toBe(true);
    expect(dev.store.users.size).toBe(0);
    expect(tokenCount()).toBe(0);
    expect(dev.store.outbox.list()).toEqual([]);
    expect(lines).toContain('request_abandoned step="clear_limits"');
  });

  it('abandoned while resolving the user: mints and sends nothing', async () => {
    const { call, lines } = signInApp('email', 'users.get');
    await call();
    expect(tokenCount()).toBe(0);
    expect(dev.store.outbox.list()).toEqual([]);
    expect(lines).toContain('request_abandoned step="create_token"');
  });

  it('abandoned while the token was being minted: sends nothing, logs no success', async () => {
    const { call, lines } = signInApp('email', 'users.createToken');
    await call();
    // The call was under way when the request was abandoned: Appwrite finished it.
    expect(tokenCount()).toBe(1);
    expect(dev.store.outbox.list()).toEqual([]);
    expect(lines).toContain('request_abandoned step="deliver"');
    expect(lines.join('\n')).not.toMatch(/code_sent/);
  });

  it("deliver: 'response', abandoned after minting: logs no success for an answer nobody reads", async () => {
    const { call, lines } = signInApp('response', 'users.createToken');
    await call();
    expect(lines).toContain('request_abandoned step="deliver"');
    expect(lines.join('\n')).not.toMatch(/login_succeeded/);
  });

  it('not abandoned: the same sign-in clears the limit, mints a token and sends it (the checks above can fail)', async () => {
    const { call, lines, stillCounted } = signInApp('email', 'never');
    expect((await call()).status).toBe(202);
    expect(await stillCounted()).toBe(false);
    expect(tokenCount()).toBe(1);
    expect(dev.store.outbox.list()).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/request_abandoned/);
  });
});

describe("the Appwrite ports, given the runtime's request signal", () => {
  it('start no call once it has aborted: no user read or created, no token, no message', async () => {
    const { logger, lines } = captureLogs();
    const runtime = { ...createTestPlatform({ connection: connectionTo(dev), logger }).runtime, signal: AbortSignal.abort() };
    const users = usersPort.create(runtime);
    const delivery = deliveryPort.create(runtime);
    const abandoned = { type: 'appwrite_unavailable' };

    await expect(users.get('someone')).rejects.toMatchObject(abandoned);
    await expect(users.create({ userId: 'someone', email: EMAIL })).rejects.toMatchObject(abandoned);
    const alice = await dev.users().create({ userId: 'alice', email: EMAIL });
    await expect(users.createToken(alice.$id, { length: 64, expire: 600 })).rejects.toMatchObject(abandoned);
    const record = { id: alice.$id, name: '', enabled: true, passwordHash: null, hashAlgorithm: null, email: EMAIL, phone: '', phoneVerified: false, labels: [], prefs: {} };
    const token = { userId: alice.$id, secret: 'x'.repeat(64), expire: new Date(dev.clock.now() + 600_000).toISOString() };
    await expect(delivery.email!.send(record, token)).rejects.toMatchObject({ type: 'delivery_unavailable' });

    expect([...dev.store.users.keys()]).toEqual(['alice']);
    expect(tokenCount()).toBe(0);
    expect(dev.store.outbox.list()).toEqual([]);
    expect(lines.filter((line) => line.startsWith('request_abandoned'))).toEqual([
      'request_abandoned step="users.get"',
      'request_abandoned step="users.create"',
      'request_abandoned step="users.createToken"',
      'request_abandoned step="messaging.createEmail"',
    ]);
  });
});
