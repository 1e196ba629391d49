/**
 * The captcha function end to end through `npm start`'s server with the development captcha: real
 * HTTP on loopback, the embedded Appwrite and its development outbox (read over HTTP, as a
 * developer would), and the real `appwrite` web SDK exchanging the code for a session. Every answer
 * is checked against the OpenAPI document, and every log line against every code issued.
 *
 * Client IPs come from `X-Forwarded-For` (one trusted proxy), so each test counts on its own IPs.
 */
import { Account, AppwriteException, Client } from 'appwrite';
import { Client as ServerClient, ID, Query, Users } from 'node-appwrite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userIdForEmail } from '../../functions/captcha/identities.js';
import { kitFunctions } from '../../functions/index.js';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { createLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { userIdForPhone } from '../../shared/sign-in/user-id.js';
import { freshBrowser } from '../helpers/browser.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { codeIn, type OutboxMessage } from './helpers.js';

/** Every line every server of this file logged. */
const lines: string[] = [];
const logger = createLogger((line) => void lines.push(line));
/** Every code read from an outbox: none may appear in a log line or an answer. */
const codes: string[] = [];
const servers: RunningNodeServer[] = [];

/** Limits far above what any test here reaches, for the tests that are not about limits. */
const roomy = {
  CAPTCHA_LIMIT_EMAIL_IP: '1000/86400',
  CAPTCHA_LIMIT_SMS_IP: '1000/86400',
  CAPTCHA_LIMIT_GUEST_IP: '1000/86400',
  CAPTCHA_LIMIT_EMAIL: '1000/86400',
  CAPTCHA_LIMIT_PHONE: '1000/86400',
  CAPTCHA_LIMIT_USER: '1000/86400',
};

async function start(env: Record<string, string> = {}): Promise<RunningNodeServer> {
  const server = await startNodeServer({
    env: { PORT: '0', TRUST_PROXY_HOPS: '1', CAPTCHA_PROVIDER: 'development', ...env },
    functions: kitFunctions,
    logger,
  });
  servers.push(server);
  return server;
}

let server: RunningNodeServer;
beforeAll(async () => {
  server = await start(roomy);
});
afterAll(async () => {
  await Promise.all(servers.map((running) => running.close()));
  delete (globalThis as { window?: unknown }).window;
});
afterEach(() => {
  for (const code of codes) expect(lines.filter((line) => line.includes(code)), `log lines holding the code ${code}`).toEqual([]);
});

// The document npm start serves: every answer below must be one it promises.
const document = openApiDocument(kitFunctions, { mounted: true });

let lastIp = 0;
/** A client IP no other test has used (TEST-NET-2 and -3, then 10/8). */
const freshIp = () => {
  lastIp += 1;
  return `10.${(lastIp >> 16) & 255}.${(lastIp >> 8) & 255}.${lastIp & 255}`;
};
let lastAddress = 0;
const freshEmail = (name = 'user') => `${name}${++lastAddress}-${Date.now().toString(36)}@example.com`;
const freshPhone = () => `+1415555${String(1000 + ++lastAddress).slice(-4)}`;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function post(target: RunningNodeServer, route: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${target.url}/captcha${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp(), ...headers },
    body: JSON.stringify(body),
  });
  await expectDocumentedAnswer(document, 'post', `/captcha${route}`, response);
  const text = await response.text();
  for (const code of codes) expect(text.includes(code), `a code in the answer ${text}`).toBe(false);
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as Record<string, unknown> };
}

const requestCode = (target: RunningNodeServer, email: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  post(target, '/email', { email, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN, ...extra }, headers);

async function outbox(target: RunningNodeServer): Promise<OutboxMessage[]> {
  const response = await fetch(`${target.url}/_dev/outbox`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { entries: OutboxMessage[] }).entries;
}

/** The messages sent to one address, oldest first; each code is remembered for the leak checks. */
async function messagesTo(target: RunningNodeServer, to: string): Promise<OutboxMessage[]> {
  const entries = (await outbox(target)).filter((entry) => entry.to === to);
  for (const entry of entries) {
    const { code } = codeIn(entry);
    if (!codes.includes(code)) codes.push(code);
  }
  return entries;
}

/** The code of the latest English message to an address. */
async function latestCode(target: RunningNodeServer, to: string): Promise<string> {
  const entries = await messagesTo(target, to);
  expect(entries.length, `no message to ${to}`).toBeGreaterThan(0);
  return codeIn(entries.at(-1)!).code;
}

function adminUsers(target: RunningNodeServer): Users {
  const { endpoint, projectId, apiKey } = target.appwrite;
  return new Users(new ServerClient().setEndpoint(endpoint).setProject(projectId).setKey(apiKey!));
}

const userCount = async (target: RunningNodeServer) => (await adminUsers(target).list({ queries: [Query.limit(1)] })).total;

/** Exchanges a code with the `appwrite` web SDK in a fresh browser; answers the signed-in account. */
async function signInWith(target: RunningNodeServer, userId: string, secret: string) {
  freshBrowser();
  const account = new Account(new Client().setEndpoint(target.appwrite.endpoint).setProject(target.appwrite.projectId));
  await account.createSession({ userId, secret });
  return account.get();
}

/** Headers as one comparable text, without `date` (and whatever else is named). */
const headerText = (headers: Headers, without: string[] = []) =>
  [...headers]
    .filter(([name]) => !['date', ...without].includes(name))
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');

describe('POST /captcha/email', () => {
  it('emails a code (only the code, no link) that opens a session with the web SDK; the answer is 202 { userId, expire }', async () => {
    const email = freshEmail('alice');
    const answer = await requestCode(server, email);

    expect(answer.status).toBe(202);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(answer.json).sort()).toEqual(['expire', 'userId']);
    const userId = await userIdForEmail(email);
    expect(answer.json['userId']).toBe(userId);
    const ttl = Date.parse(String(answer.json['expire'])) - Date.now();
    expect(ttl).toBeGreaterThan(800_000);
    expect(ttl).toBeLessThanOrEqual(900_000);

    const [message] = await messagesTo(server, email);
    expect(message).toMatchObject({ channel: 'email', userId, to: email });
    const { code, minutes } = codeIn(message!);
    expect(code).toMatch(/^[0-9a-f]{8}$/);
    expect(minutes).toBe(15);
    expect(message!.content).not.toMatch(/https?:|www\.|click/i);
    expect(answer.text).not.toContain(code);

    const account = await signInWith(server, userId, code);
    expect(account).toMatchObject({ $id: userId, email });

    freshBrowser();
    const replay = await new Account(new Client().setEndpoint(server.appwrite.endpoint).setProject(server.appwrite.projectId))
      .createSession({ userId, secret: code })
      .catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(AppwriteException);
    expect(replay).toMatchObject({ code: 401, type: 'user_invalid_token' });
  });

  it('answers a new and a known email alike: status, headers but the date, and body shape; byte length too for its own users', async () => {
    const email = freshEmail('bob');
    const first = await requestCode(server, email);
    const again = await requestCode(server, ` ${email.toUpperCase()} `);

    expect([first.status, again.status]).toEqual([202, 202]);
    expect(headerText(again.headers)).toBe(headerText(first.headers));
    expect(again.json['userId']).toBe(first.json['userId']);
    expect(again.text.length).toBe(first.text.length);
    expect(await userCount(server)).toBeGreaterThan(0);
    expect((await adminUsers(server).list({ queries: [Query.equal('email', [email])] })).total).toBe(1);
    expect(await messagesTo(server, email)).toHaveLength(2);

    // A user made elsewhere (another ID) who holds an email is that user: the code signs them in.
    const heldEmail = freshEmail('carol');
    const carol = await adminUsers(server).create({ userId: ID.unique(), email: heldEmail, name: 'Carol' });
    const held = await requestCode(server, heldEmail);
    expect(held.status).toBe(202);
    expect(headerText(held.headers, ['content-length'])).toBe(headerText(first.headers, ['content-length']));
    expect(Object.keys(held.json).sort()).toEqual(Object.keys(first.json).sort());
    expect(held.json['userId']).toBe(carol.$id);
    expect((await signInWith(server, carol.$id, await latestCode(server, heldEmail))).name).toBe('Carol');
  });

  it('refuses a wrong or missing captcha with 403 captcha_invalid: nothing sent, no user created', async () => {
    const email = freshEmail('mallory');
    const before = await userCount(server);
    for (const body of [{ email, captchaToken: 'not-the-token' }, { email }, { email, captchaToken: '' }]) {
      const answer = await post(server, '/email', body);
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({
        message: 'The captcha was not solved, or its proof is invalid, spent or too old. Solve it again.',
        code: 403,
        type: 'captcha_invalid',
      });
    }
    expect(await userCount(server)).toBe(before);
    expect(await messagesTo(server, email)).toEqual([]);
  });

  it('takes the captcha token from the X-Captcha-Token header too', async () => {
    const email = freshEmail('dave');
    const answer = await post(server, '/email', { email }, { 'x-captcha-token': DEVELOPMENT_CAPTCHA_TOKEN });
    expect(answer.status).toBe(202);
    expect(await messagesTo(server, email)).toHaveLength(1);
  });

  it('writes the message in the language of locale, English for one it does not have', async () => {
    const german = freshEmail('erika');
    expect((await requestCode(server, german, {}, { locale: 'de-CH' })).status).toBe(202);
    const [message] = (await outbox(server)).filter((entry) => entry.to === german);
    const { code, minutes } = codeIn(message!, 'de');
    codes.push(code);
    expect(message!.content).toContain(`Er läuft in ${minutes} Minuten ab.`);

    const other = freshEmail('joao');
    expect((await requestCode(server, other, {}, { locale: 'pt-BR' })).status).toBe(202);
    expect(await messagesTo(server, other)).toHaveLength(1);
  });

  it.each([
    ['no email', { captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }],
    ['not an email', { email: 'alice.example.com', captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }],
    ['a locale that is no language tag', { email: 'alice@example.com', captchaToken: DEVELOPMENT_CAPTCHA_TOKEN, locale: '../../etc' }],
  ])('answers 400 invalid_request for %s', async (_, body) => {
    const answer = await post(server, '/email', body);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 400, type: 'invalid_request' });
  });

  it('makes one user from concurrent first sign-ins for one email, and every request gets its code', async () => {
    const email = freshEmail('race');
    const answers = await Promise.all(Array.from({ length: 8 }, () => requestCode(server, email)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((answer) => answer.json['userId']))).toEqual(new Set([await userIdForEmail(email)]));
    expect((await adminUsers(server).list({ queries: [Query.equal('email', [email])] })).total).toBe(1);
    expect(await messagesTo(server, email)).toHaveLength(8);
  });
});

describe('POST /captcha/sms', () => {
  it('texts a code to an E.164 number that opens a session; the answer never holds it', async () => {
    const phone = freshPhone();
    const answer = await post(server, '/sms', { phone, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
    expect(answer.status).toBe(202);
    expect(Object.keys(answer.json).sort()).toEqual(['expire', 'userId']);
    const userId = await userIdForPhone(phone);
    expect(answer.json['userId']).toBe(userId);

    const [message] = await messagesTo(server, phone);
    expect(message).toMatchObject({ channel: 'sms', userId, to: phone });
    expect(message!.content).not.toMatch(/https?:|www\./i);
    expect((await signInWith(server, userId, codeIn(message!).code)).phone).toBe(phone);
  });

  it('finds the user holding the number first, whatever its ID', async () => {
    const phone = freshPhone();
    const held = await adminUsers(server).create({ userId: ID.unique(), phone, name: 'Phoebe' });
    const answer = await post(server, '/sms', { phone: ` ${phone} `, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN, locale: 'fr' });
    expect(answer.status).toBe(202);
    expect(answer.json['userId']).toBe(held.$id);
    const [message] = (await outbox(server)).filter((entry) => entry.to === phone);
    const { code } = codeIn(message!, 'fr');
    codes.push(code);
    expect((await signInWith(server, held.$id, code)).name).toBe('Phoebe');
  });

  it('refuses a wrong captcha (403) and anything but E.164 (400), sending nothing', async () => {
    const phone = freshPhone();
    expect((await post(server, '/sms', { phone, captchaToken: 'wrong' })).status).toBe(403);
    for (const spelled of ['(415) 555-0100', '0044 20 7946 0958', '+0123456789', '+1234', '14155550100']) {
      const answer = await post(server, '/sms', { phone: spelled, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
      expect(answer.status, spelled).toBe(400);
      expect(answer.json['type']).toBe('invalid_request');
    }
    expect(await messagesTo(server, phone)).toEqual([]);
  });
});

describe('POST /captcha/guest', () => {
  it('is off by default: 403 guest_disabled, and no user is created', async () => {
    const before = await userCount(server);
    const answer = await post(server, '/guest', { captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ message: 'Guest sign-in is not enabled.', code: 403, type: 'guest_disabled' });
    expect(await userCount(server)).toBe(before);
  });

  it('when enabled, creates a user with no identity per request and answers its token, after a captcha', async () => {
    const guests = await start({ ...roomy, CAPTCHA_GUEST_ENABLED: 'true' });
    expect((await post(guests, '/guest', { captchaToken: 'wrong' })).status).toBe(403);
    expect(await userCount(guests)).toBe(0);

    const first = await post(guests, '/guest', { captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
    const second = await post(guests, '/guest', {}, { 'x-captcha-token': DEVELOPMENT_CAPTCHA_TOKEN });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(Object.keys(first.json).sort()).toEqual(['expire', 'secret', 'userId']);
    expect(first.json['userId']).toMatch(/^gu-[0-9a-f]{33}$/);
    expect(first.json['userId']).not.toBe(second.json['userId']);
    expect(first.json['secret']).toMatch(/^[0-9a-f]{64}$/);
    expect(await userCount(guests)).toBe(2);

    const account = await signInWith(guests, String(first.json['userId']), String(first.json['secret']));
    expect(account).toMatchObject({ $id: first.json['userId'], email: '', phone: '', name: '' });
    expect(lines.some((line) => line.includes(String(first.json['secret'])))).toBe(false);
  });
});

describe('limits', () => {
  // Day-long windows: fixed windows follow the wall clock, and a short one could end mid-test.
  it('answers 429 per email address before the captcha is checked and before any user is created', async () => {
    const limited = await start({ ...roomy, CAPTCHA_LIMIT_EMAIL: '2/86400' });
    const email = freshEmail('target');
    expect((await requestCode(limited, email)).status).toBe(202);
    expect((await post(limited, '/email', { email, captchaToken: 'wrong' })).status).toBe(403);

    const refusals = lines.filter((line) => line.startsWith('captcha_refused')).length;
    const users = await userCount(limited);
    const wrongCaptcha = await post(limited, '/email', { email, captchaToken: 'wrong' });
    const rightCaptcha = await requestCode(limited, email.toUpperCase());
    for (const answer of [wrongCaptcha, rightCaptcha]) {
      expect(answer.status).toBe(429);
      expect(answer.json).toEqual({ message: 'Too many attempts. Try again later.', code: 429, type: 'rate_limited' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(lines.filter((line) => line.startsWith('captcha_refused')).length, 'the captcha was checked').toBe(refusals);
    expect(await userCount(limited)).toBe(users);
    expect(await messagesTo(limited, email)).toHaveLength(1);
  });

  it('stops a burst to many addresses from one IP before any of them gets a user or a message', async () => {
    const limited = await start({ ...roomy, CAPTCHA_LIMIT_EMAIL_IP: '3/86400' });
    const ip = freshIp();
    const addresses = Array.from({ length: 8 }, () => freshEmail('burst'));
    const statuses: number[] = [];
    for (const email of addresses) statuses.push((await requestCode(limited, email, { 'x-forwarded-for': ip })).status);

    expect(statuses).toEqual([202, 202, 202, 429, 429, 429, 429, 429]);
    expect(await userCount(limited)).toBe(3);
    expect((await outbox(limited)).map((entry) => entry.to)).toEqual(addresses.slice(0, 3));
    // Another IP is not held back by this one.
    expect((await requestCode(limited, freshEmail('other'))).status).toBe(202);
  });

  it('counts codes per user across email and SMS, before the captcha', async () => {
    const limited = await start({ ...roomy, CAPTCHA_LIMIT_USER: '2/86400' });
    const email = freshEmail('both');
    const phone = freshPhone();
    await adminUsers(limited).create({ userId: 'both-channels', email, phone });

    expect((await requestCode(limited, email)).status).toBe(202);
    expect((await post(limited, '/sms', { phone, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(202);
    expect((await requestCode(limited, email)).status).toBe(429);
    expect((await post(limited, '/sms', { phone, captchaToken: 'wrong' })).status).toBe(429);
    expect((await outbox(limited)).map((entry) => entry.channel)).toEqual(['email', 'sms']);
  });

  it('counts per phone number and per IP on /sms', async () => {
    const limited = await start({ ...roomy, CAPTCHA_LIMIT_PHONE: '1/86400', CAPTCHA_LIMIT_SMS_IP: '2/86400' });
    const phone = freshPhone();
    expect((await post(limited, '/sms', { phone, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(202);
    expect((await post(limited, '/sms', { phone, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(429);

    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await post(limited, '/sms', { phone: freshPhone(), captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }, { 'x-forwarded-for': ip })).status);
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect(await userCount(limited)).toBe(3);
  });

  it('limits /guest per IP before creating anyone', async () => {
    const limited = await start({ ...roomy, CAPTCHA_GUEST_ENABLED: 'true', CAPTCHA_LIMIT_GUEST_IP: '2/86400' });
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(limited, '/guest', { captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }, { 'x-forwarded-for': ip })).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(await userCount(limited)).toBe(2);
  });
});

describe('configuration', () => {
  it('without CAPTCHA_PROVIDER answers 500 config_invalid and logs the variable; the other functions still serve', async () => {
    const before = lines.length;
    const unconfigured = await startNodeServer({ env: { PORT: '0' }, functions: kitFunctions, logger });
    servers.push(unconfigured);
    const response = await fetch(`${unconfigured.url}/captcha/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@example.com', captchaToken: 'anything' }),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'The function is not configured correctly. See its logs.', code: 500, type: 'config_invalid' });
    expect(lines.slice(before).join('\n')).toMatch(/config_invalid function="captcha" problems=".*CAPTCHA_PROVIDER is required/);
    expect((await fetch(`${unconfigured.url}/health`)).status).toBe(200);
  });
});
