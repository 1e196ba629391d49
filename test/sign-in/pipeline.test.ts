/**
 * `createSignIn` on a tiny function app (`createFunctionApp`), its ports talking to the embedded
 * Appwrite over loopback: guards before proving, the secret in a 200 answer or only in an
 * Appwrite Messaging email / SMS (read back from the double's outbox) with a 202 that never holds
 * it, and every way out-of-band delivery fails closed. Every log line of every test is kept and
 * searched for every secret Appwrite issued.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import type { AppwriteConnection } from '../../shared/config.js';
import { createFunctionApp, jsonBody } from '../../shared/http.js';
import { perClientIp } from '../../shared/rate-limit/checks.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { createMessagingDelivery, defaultMessageText, type Delivery, type MessageText } from '../../shared/sign-in/delivery.js';
import { createSignIn, type Identity, type SignInSteps } from '../../shared/sign-in/pipeline.js';
import { deriveUserId, userIdForPhone } from '../../shared/sign-in/user-id.js';
import { READ_ONLY_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { captureLogs, connectionTo, expectNoSecretIn, openSession, recordingSecrets, unreachableConnection } from './helpers.js';

let dev: RunningDevAppwrite;
/** Every log line of the whole file: users, messaging, guard, pipeline and app all write here. */
const capture = captureLogs();
/** Every secret Appwrite issued in this file, whatever became of it. */
const secrets: string[] = [];

beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
/** Where this test's lines start, so a leak fails the test that caused it and no later one. */
let firstLine = 0;
beforeEach(() => {
  dev.reset();
  firstLine = capture.lines.length;
});
afterEach(() => expectNoSecretIn(capture.lines.slice(firstLine), secrets));

const TOKEN = { length: 64, expire: 600 } as const;
const CLIENT_IP = '203.0.113.7';

/** Who the test request says it is; `prove` turns it into an identity without checking anything. */
const proofSchema = z.object({ email: z.string().optional(), phone: z.string().optional(), userId: z.string().optional() });

async function identityOf(proof: z.output<typeof proofSchema>): Promise<Identity> {
  if (proof.email) return { userId: await deriveUserId('t', 'test-email', proof.email), profile: { email: proof.email } };
  if (proof.phone) return { userId: await userIdForPhone(proof.phone), profile: { phone: proof.phone } };
  if (proof.userId) return { userId: proof.userId };
  throw new Error('the test sent no proof');
}

/** Delivery through Appwrite Messaging on the double, with a key of the test's choosing. */
function messagingDelivery(connection: AppwriteConnection = connectionTo(dev)): Delivery {
  return createMessagingDelivery(connection, capture.logger, { now: () => dev.clock.now() });
}

/**
 * A one-route function app (`POST /sign-in`) running the pipeline with ports on the double: two
 * sign-ins a minute per client IP, and a `prove` that counts its calls.
 */
function signInApp(options: { deliver: SignInSteps['deliver']; delivery?: Delivery; text?: MessageText }) {
  const users = recordingSecrets(createAppwriteUsers(connectionTo(dev), capture.logger), secrets);
  const signIn = createSignIn({
    users,
    logger: capture.logger,
    clock: dev.clock,
    rateLimits: createMemoryStore({ clock: dev.clock }),
    delivery: options.delivery,
  });
  const app = createFunctionApp({ logger: capture.logger });
  const counts = { prove: 0 };
  app.post('/sign-in', jsonBody(proofSchema), (c) =>
    signIn(c, {
      guards: [perClientIp('test.sign-in.ip', c.env?.clientIp, [{ limit: 2, windowSeconds: 60 }])],
      prove: () => {
        counts.prove += 1;
        return identityOf(c.req.valid('json'));
      },
      token: TOKEN,
      deliver: options.deliver,
      text: options.text,
    }),
  );
  const call = (proof: z.input<typeof proofSchema>, clientIp: string = CLIENT_IP) =>
    app.request('/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proof) }, { clientIp });
  return { call, counts };
}

/** The status, raw body text and headers of an answer, read once. */
async function read(response: Response) {
  const text = await response.text();
  return { status: response.status, text, headers: [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n') };
}

/** Fails if the answer holds any secret issued so far, in its body or its headers. */
function expectNoSecretInAnswer(answer: { text: string; headers: string }): void {
  for (const secret of secrets) {
    expect(answer.text.includes(secret), `secret in body ${answer.text}`).toBe(false);
    expect(answer.headers.includes(secret), 'secret in headers').toBe(false);
  }
}

describe('guards', () => {
  it('run before prove: a throttled request is never proved, gets no user and no token', async () => {
    const { call, counts } = signInApp({ deliver: 'response' });

    expect((await call({ email: 'dave@example.com' })).status).toBe(200);
    expect((await call({ email: 'dave@example.com' })).status).toBe(200);
    const issued = secrets.length;
    const throttled = await call({ email: 'erin@example.com' });

    expect(throttled.status).toBe(429);
    expect(await throttled.json()).toMatchObject({ type: 'rate_limited', code: 429 });
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(counts.prove).toBe(2);
    expect(secrets.length).toBe(issued);
    expect((await dev.users().list()).users.map((user) => user.email)).toEqual(['dave@example.com']);
    expect(capture.lines.at(-1)).toMatch(/^rate_limited scope="test\.sign-in\.ip"/);

    // Another client IP has its own allowance.
    expect((await call({ email: 'erin@example.com' }, '198.51.100.9')).status).toBe(200);
    expect(counts.prove).toBe(3);
  });
});

describe('the ports a sign-in needs', () => {
  /**
   * A one-route app whose sign-in has the given limits and, unless `rateLimits` is false, a rate
   * limits store; a programming error thrown by the pipeline is answered as its message, for the test to read.
   */
  function appWith(options: { rateLimits: boolean; guards?: boolean; clearOnSuccess?: boolean; prove?: () => Promise<Identity> }) {
    const check = perClientIp('test.sign-in.ip', CLIENT_IP, [{ limit: 5, windowSeconds: 60 }]);
    const counts = { prove: 0, lookups: 0 };
    const recorded = recordingSecrets(createAppwriteUsers(connectionTo(dev), capture.logger), secrets);
    const users = {
      ...recorded,
      get: (userId: string) => {
        counts.lookups += 1;
        return recorded.get(userId);
      },
    };
    const signIn = createSignIn({
      users,
      logger: capture.logger,
      clock: dev.clock,
      ...(options.rateLimits ? { rateLimits: createMemoryStore({ clock: dev.clock }) } : {}),
    });
    const app = createFunctionApp({ logger: capture.logger });
    app.post('/sign-in', async (c) => {
      try {
        return await signIn(c, {
          ...(options.guards ? { guards: [check] } : {}),
          ...(options.clearOnSuccess ? { clearOnSuccess: [check] } : {}),
          prove: () => {
            counts.prove += 1;
            return options.prove ? options.prove() : identityOf({ email: 'alice@example.com' });
          },
          token: TOKEN,
          deliver: 'response',
        });
      } catch (error) {
        if (error instanceof TypeError) return c.text(`${error.name}: ${error.message}`, 500);
        throw error;
      }
    });
    return { call: () => app.request('/sign-in', { method: 'POST' }), counts };
  }

  it('a sign-in without limits needs no rate limits store, and one with a store need not use it', async () => {
    expect((await appWith({ rateLimits: false }).call()).status).toBe(200);
    expect((await appWith({ rateLimits: true }).call()).status).toBe(200);
  });

  it.each([
    ['guards', { guards: true }],
    ['limits to clear on success', { clearOnSuccess: true }],
  ])('a sign-in with %s and no rate limits store is a programming error, found before proving anyone', async (_what, limits) => {
    const { call, counts } = appWith({ rateLimits: false, ...limits });
    const response = await call();
    expect(await response.text()).toBe('TypeError: This sign-in has limits but the function did not ask for the rateLimits port.');
    expect(counts.prove).toBe(0);
    expect(dev.store.users.size).toBe(0);
  });

  it('an identity that is already a user record (a password login) is neither looked up nor created', async () => {
    await dev.users().create({ userId: 'known', email: 'known@example.com' });
    const known = await createAppwriteUsers(connectionTo(dev), capture.logger).get('known');
    const before = capture.lines.length;
    const { call, counts } = appWith({ rateLimits: true, prove: async () => ({ user: known! }) });

    const response = await call();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ userId: 'known', secret: secrets.at(-1) });
    expect(counts.lookups).toBe(0);
    expect(capture.lines.slice(before)).toEqual([expect.stringMatching(/^token_issued userId="known" /), 'login_succeeded userId="known" delivery="response"']);
    expect(dev.store.users.size).toBe(1);
  });
});

describe("deliver: 'response'", () => {
  it('answers 200 { userId, secret, expire }, not cached, and the secret opens a session', async () => {
    const { call } = signInApp({ deliver: 'response' });
    const response = await call({ email: 'alice@example.com' });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { userId: string; secret: string; expire: string };
    expect(Object.keys(body).sort()).toEqual(['expire', 'secret', 'userId']);
    expect(body.userId).toBe(await deriveUserId('t', 'test-email', 'alice@example.com'));
    expect(body.secret).toBe(secrets.at(-1));
    expect(body.secret).toHaveLength(TOKEN.length);
    expect(Date.parse(body.expire)).toBe(dev.clock.now() + TOKEN.expire * 1000);
    expect(capture.lines).toContain(`login_succeeded userId="${body.userId}" delivery="response"`);

    expect(await openSession(dev, body.userId, body.secret)).toBe(body.userId);
  });

  it('refuses a blocked user with 403 user_blocked and issues nothing', async () => {
    const userId = await deriveUserId('t', 'test-email', 'blocked@example.com');
    await dev.users().create({ userId, email: 'blocked@example.com' });
    await dev.users().updateStatus({ userId, status: false });
    const { call } = signInApp({ deliver: 'response' });

    const response = await call({ email: 'blocked@example.com' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ type: 'user_blocked', code: 403 });
    expect(dev.store.tokensOf(userId)).toEqual([]);
  });

  it('answers 409 account_conflict when another user holds the email, and creates no one', async () => {
    await dev.users().create({ userId: 'someone-else', email: 'taken@example.com' });
    const { call } = signInApp({ deliver: 'response' });

    const response = await call({ email: 'taken@example.com' });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ type: 'account_conflict', code: 409 });
    expect((await dev.users().list()).users.map((user) => user.$id)).toEqual(['someone-else']);
    expect(dev.store.tokens.size).toBe(0);
  });
});

describe('deliver: a redirect', () => {
  it('answers 302 to the URL built from the token, not cached, whose secret opens a session; a blocked user gets no redirect', async () => {
    const { call } = signInApp({
      deliver: { redirect: (token) => `https://app.example.com/done?userId=${token.userId}&secret=${token.secret}` },
    });
    const response = await call({ email: 'rita@example.com' });

    expect(response.status).toBe(302);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('');
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://app.example.com/done');
    const userId = location.searchParams.get('userId')!;
    expect(userId).toBe(await deriveUserId('t', 'test-email', 'rita@example.com'));
    expect(location.searchParams.get('secret')).toBe(secrets.at(-1));
    expect(capture.lines).toContain(`login_succeeded userId="${userId}" delivery="redirect"`);
    expect(await openSession(dev, userId, secrets.at(-1)!)).toBe(userId);

    await dev.users().updateStatus({ userId, status: false });
    const blocked = await call({ email: 'rita@example.com' });
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get('location')).toBeNull();
  });
});

describe('out of band through Appwrite Messaging', () => {
  it("deliver: 'email' answers 202 { userId, expire } and emails the secret, which opens a session", async () => {
    const { call } = signInApp({ deliver: 'email', delivery: messagingDelivery() });
    const answer = await read(await call({ email: 'alice@example.com' }));

    expect(answer.status).toBe(202);
    const body = JSON.parse(answer.text) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['expire', 'userId']);
    const userId = await deriveUserId('t', 'test-email', 'alice@example.com');
    expect(body.userId).toBe(userId);
    expect(Date.parse(body.expire!)).toBe(dev.clock.now() + TOKEN.expire * 1000);
    expect(answer.headers).toMatch(/cache-control: no-store/);
    expectNoSecretInAnswer(answer);

    const secret = secrets.at(-1)!;
    const outbox = dev.store.outbox.list();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ channel: 'email', userId, to: 'alice@example.com', subject: defaultMessageText.subject, html: false });
    expect(outbox[0]!.content).toContain(secret);
    expect(outbox[0]!.content).toBe(`Your sign-in code is ${secret}. It expires in 10 minutes. If you did not ask for it, ignore this message.`);
    expect(capture.lines).toContain(`code_sent channel="email" userId="${userId}"`);

    expect(await openSession(dev, userId, secret)).toBe(userId);
  });

  it("deliver: 'sms' answers 202 { userId, expire } and texts the secret to the phone, which opens a session", async () => {
    const { call } = signInApp({ deliver: 'sms', delivery: messagingDelivery() });
    const answer = await read(await call({ phone: '+14155550123' }));

    expect(answer.status).toBe(202);
    const body = JSON.parse(answer.text) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['expire', 'userId']);
    const userId = await userIdForPhone('+14155550123');
    expect(body.userId).toBe(userId);
    expectNoSecretInAnswer(answer);

    const secret = secrets.at(-1)!;
    const outbox = dev.store.outbox.list();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ channel: 'sms', userId, to: '+14155550123' });
    expect(outbox[0]!.content).toContain(secret);
    expect(capture.lines).toContain(`code_sent channel="sms" userId="${userId}"`);

    expect(await openSession(dev, userId, secret)).toBe(userId);
  });

  it('steps.text words this one message instead of the channel default, {code} and {minutes} filled in', async () => {
    const text = { subject: 'Ihr Anmeldecode', body: 'Code {code}, gültig {minutes} Minuten; {code} noch einmal.' };
    const { call } = signInApp({ deliver: 'email', delivery: messagingDelivery(), text });
    expect((await call({ email: 'alice@example.com' })).status).toBe(202);

    const secret = secrets.at(-1)!;
    const [entry] = dev.store.outbox.list();
    expect(entry).toMatchObject({ channel: 'email', subject: 'Ihr Anmeldecode' });
    expect(entry!.content).toBe(`Code ${secret}, gültig 10 Minuten; ${secret} noch einmal.`);
  });

  it('a second sign-in sends a second code; each answer is 202 without either secret', async () => {
    const { call } = signInApp({ deliver: 'email', delivery: messagingDelivery() });
    const first = await read(await call({ email: 'alice@example.com' }));
    const second = await read(await call({ email: 'alice@example.com' }));

    expect([first.status, second.status]).toEqual([202, 202]);
    expectNoSecretInAnswer(first);
    expectNoSecretInAnswer(second);
    expect(dev.store.outbox.list().map((entry) => entry.content.includes(secrets.at(-2)!) || entry.content.includes(secrets.at(-1)!))).toEqual([
      true,
      true,
    ]);
  });
});

describe('out-of-band delivery fails closed with 503 delivery_unavailable', () => {
  /** Runs one sign-in, asserts the 503 without a secret, and that nothing was sent. */
  async function expectUnavailable(response: Response): Promise<{ message: string }> {
    const answer = await read(response);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({ type: 'delivery_unavailable', code: 503, message: expect.any(String) });
    expectNoSecretInAnswer(answer);
    expect(dev.store.outbox.list()).toEqual([]);
    expect([...dev.store.messages.values()].filter((message) => message.status === 'sent')).toEqual([]);
    return JSON.parse(answer.text) as { message: string };
  }

  it('for a user without an email address, before any token is minted', async () => {
    await dev.users().create({ userId: 'no-email', phone: '+14155550100' });
    const { call } = signInApp({ deliver: 'email', delivery: messagingDelivery() });
    const issuedBefore = secrets.length;

    await expectUnavailable(await call({ userId: 'no-email' }));
    expect(dev.store.messages.size).toBe(0);
    expect(secrets.length, 'a token was minted that nobody could receive').toBe(issuedBefore);
    expect(capture.lines).toContain('delivery_failed channel="email" userId="no-email" reason="no_address"');
  });

  it('for a user without a phone number, before any token is minted', async () => {
    await dev.users().create({ userId: 'no-phone', email: 'nophone@example.com' });
    const { call } = signInApp({ deliver: 'sms', delivery: messagingDelivery() });
    const issuedBefore = secrets.length;

    await expectUnavailable(await call({ userId: 'no-phone' }));
    expect(dev.store.messages.size).toBe(0);
    expect(secrets.length, 'a token was minted that nobody could receive').toBe(issuedBefore);
  });

  it('for a channel the function did not configure, before counting, proving or creating anyone', async () => {
    const issuedBefore = secrets.length;
    const noDelivery = signInApp({ deliver: 'email' });
    const refusal = await expectUnavailable(await noDelivery.call({ email: 'alice@example.com' }));
    expect(refusal.message).toBe('The code could not be sent. Try again later.');

    const noVoice = signInApp({ deliver: 'voice', delivery: messagingDelivery() });
    await expectUnavailable(await noVoice.call({ email: 'bob@example.com' }));
    expect(noDelivery.counts.prove + noVoice.counts.prove).toBe(0);
    expect((await dev.users().list()).total).toBe(0);
    expect(secrets.length).toBe(issuedBefore);
    expect(capture.lines.at(-1)).toBe('delivery_failed channel="voice" reason="channel_not_configured"');
  });

  it('for a Messaging key without messages.write', async () => {
    const { call } = signInApp({ deliver: 'email', delivery: messagingDelivery(connectionTo(dev, READ_ONLY_KEY)) });

    const refusal = await expectUnavailable(await call({ email: 'alice@example.com' }));
    // The client learns only that sending failed and that a retry may help, not why.
    expect(refusal.message).toBe('The code could not be sent. Try again later.');
    expect(dev.store.messages.size).toBe(0);
    const userId = await deriveUserId('t', 'test-email', 'alice@example.com');
    expect(capture.lines).toContain(`delivery_failed channel="email" userId="${userId}" reason="appwrite_rejected"`);
  });

  it('when Messaging cannot be reached', async () => {
    const { call } = signInApp({ deliver: 'sms', delivery: messagingDelivery(unreachableConnection) });

    const refusal = await expectUnavailable(await call({ phone: '+14155550123' }));
    expect(refusal.message).toBe('The code could not be sent. Try again later.');
    expect(capture.lines.some((line) => line.startsWith('appwrite_call_failed operation="messaging.createSMS" reason="unreachable"'))).toBe(true);
  });
});

describe('secrets and logs', () => {
  it('every flow of this file logged, and no line held a secret (checked after each test)', () => {
    // This runs last in the file: by now every flow above has issued secrets and written lines.
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    expect(capture.lines.filter((line) => line.startsWith('token_issued')).length).toBe(secrets.length);
    expectNoSecretIn(capture.lines, secrets);
  });
});
