/**
 * The phone-call function end to end through `npm start`'s server with the development captcha and
 * voice providers: real HTTP on loopback, the embedded Appwrite, the development outbox read over
 * HTTP (channel `voice`, the words the call would speak), and the real `appwrite` web SDK
 * exchanging the code for a session. Every answer is checked against the OpenAPI document; no
 * answer or log line may hold a code.
 *
 * Client IPs come from `X-Forwarded-For` (one trusted proxy), so each test counts on its own IPs.
 */
import { Account, AppwriteException, Client } from 'appwrite';
import { Client as ServerClient, Query, Users } from 'node-appwrite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callTexts } from '../../functions/phone-call/messages.js';
import phoneCallFunction from '../../functions/phone-call/index.js';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { createLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { userIdForPhone } from '../../shared/sign-in/user-id.js';
import { freshBrowser } from '../helpers/browser.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';

const lines: string[] = [];
const logger = createLogger((line) => void lines.push(line));
const codes: string[] = [];
const servers: RunningNodeServer[] = [];

/** Limits far above what any test here reaches, for the tests that are not about limits. */
const roomy = {
  PHONE_CALL_LIMIT_IP: '1000/86400',
  PHONE_CALL_LIMIT_NUMBER: '1000/86400',
  PHONE_CALL_LIMIT_PREFIX: '1000/86400',
  PHONE_CALL_LIMIT_COUNTRY: '1000/86400',
  PHONE_CALL_LIMIT_TOTAL: '1000/86400',
  PHONE_CALL_LIMIT_USER: '1000/86400',
};

const functions = [phoneCallFunction];
const document = openApiDocument(functions, { mounted: true });

async function start(env: Record<string, string> = {}): Promise<RunningNodeServer> {
  const server = await startNodeServer({
    env: { PORT: '0', TRUST_PROXY_HOPS: '1', CAPTCHA_PROVIDER: 'development', VOICE_PROVIDER: 'development', PHONE_CALL_COUNTRIES: 'US,DE', ...env },
    functions,
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

let lastIp = 0;
const freshIp = () => {
  lastIp += 1;
  return `10.${(lastIp >> 16) & 255}.${(lastIp >> 8) & 255}.${lastIp & 255}`;
};
let lastNumber = 0;
/** A valid US number no other test has used, in a prefix of its own. */
const freshPhone = () => {
  lastNumber += 1;
  return `+1415${String(200 + lastNumber).padStart(3, '0')}${String(1000 + lastNumber).slice(-4)}`;
};

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

async function post(target: RunningNodeServer, body: unknown, ip = freshIp()): Promise<Answer> {
  const response = await fetch(`${target.url}/phone-call/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify(body),
  });
  await expectDocumentedAnswer(document, 'post', '/phone-call/start', response);
  const text = await response.text();
  for (const code of codes) expect(text.includes(code), `a code in the answer ${text}`).toBe(false);
  return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

const call = (target: RunningNodeServer, phone: string, extra: Record<string, unknown> = {}, ip?: string) =>
  post(target, { phone, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN, ...extra }, ip);

interface VoiceEntry {
  channel: string;
  userId: string;
  to: string;
  content: string;
}

const phonetic = { Alfa: 'a', Bravo: 'b', Charlie: 'c', Delta: 'd', Echo: 'e', Foxtrot: 'f' } as Record<string, string>;

/** The code a listener writes down from the spoken words, after checking the words are the template. */
function codeHeard(content: string, language: keyof typeof callTexts = 'en'): string {
  const [before, after] = callTexts[language].body.split('{code}') as [string, string];
  expect(content.startsWith(before), content).toBe(true);
  const spelled = content.slice(before.length, content.length - after.replace('{minutes}', '10').length);
  expect(content.endsWith(after.replace('{minutes}', '10')), content).toBe(true);
  const code = spelled
    .split(', ')
    .map((word) => (/^\d$/.test(word) ? word : phonetic[word]))
    .join('');
  expect(code).toMatch(/^[0-9a-f]{8}$/);
  if (!codes.includes(code)) codes.push(code);
  return code;
}

async function callsTo(target: RunningNodeServer, to: string): Promise<VoiceEntry[]> {
  const response = await fetch(`${target.url}/_dev/outbox`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { entries: VoiceEntry[] }).entries.filter((entry) => entry.to === to);
}

function adminUsers(target: RunningNodeServer): Users {
  const { endpoint, projectId, apiKey } = target.appwrite;
  return new Users(new ServerClient().setEndpoint(endpoint).setProject(projectId).setKey(apiKey!));
}
const usersWith = async (target: RunningNodeServer, phone: string) => (await adminUsers(target).list({ queries: [Query.equal('phone', [phone])] })).total;

async function signInWith(target: RunningNodeServer, userId: string, secret: string) {
  freshBrowser();
  const account = new Account(new Client().setEndpoint(target.appwrite.endpoint).setProject(target.appwrite.projectId));
  await account.createSession({ userId, secret });
  return account.get();
}

describe('POST /phone-call/start', () => {
  it('calls the number and reads the code; the code from the call opens a session with the web SDK; the answer is 202 { userId, expire }', async () => {
    const phone = freshPhone();
    const answer = await call(server, phone.replace(/^(\+1)(\d{3})(\d{3})/, '$1 ($2) $3-'));

    expect(answer.status).toBe(202);
    expect(Object.keys(answer.json).sort()).toEqual(['expire', 'userId']);
    const userId = await userIdForPhone(phone);
    expect(answer.json['userId']).toBe(userId);
    const ttl = Date.parse(String(answer.json['expire'])) - Date.now();
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);

    const [entry, ...more] = await callsTo(server, phone);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ channel: 'voice', userId, to: phone });
    const code = codeHeard(entry!.content);
    expect(answer.text).not.toContain(code);

    expect(await signInWith(server, userId, code)).toMatchObject({ $id: userId, phone });
    freshBrowser();
    const replay = await new Account(new Client().setEndpoint(server.appwrite.endpoint).setProject(server.appwrite.projectId))
      .createSession({ userId, secret: code })
      .catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(AppwriteException);
  });

  it('answers a new and a known number alike, speaks the requested language, and keeps one user', async () => {
    const phone = freshPhone();
    const first = await call(server, phone);
    const again = await call(server, phone, { locale: 'de-CH' });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.json['userId']).toBe(first.json['userId']);
    expect(again.text.length).toBe(first.text.length);
    expect(await usersWith(server, phone)).toBe(1);
    const entries = await callsTo(server, phone);
    expect(entries).toHaveLength(2);
    codeHeard(entries[0]!.content);
    codeHeard(entries[1]!.content, 'de');
  });

  it('creates one user for a number called for by many requests at once', async () => {
    const phone = freshPhone();
    const answers = await Promise.all(Array.from({ length: 8 }, () => call(server, phone)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((answer) => answer.json['userId']))).toEqual(new Set([await userIdForPhone(phone)]));
    expect(await usersWith(server, phone)).toBe(1);
    expect(await callsTo(server, phone)).toHaveLength(8);
  });

  it.each([
    ['not a number', '+1 415 555 01234', 400, 'phone_invalid'],
    ['premium rate', '+1 900 555 0123', 422, 'phone_type_refused'],
    ['toll free', '+1 800 555 0123', 422, 'phone_type_refused'],
    ['a country not allowlisted', '+33 6 12 34 56 78', 422, 'phone_country_refused'],
  ])('refuses %s with %i %s: no user, no call', async (_, phone, status, type) => {
    const answer = await call(server, phone);
    expect(answer).toMatchObject({ status, json: { type, code: status } });
    expect(await callsTo(server, phone.replaceAll(' ', ''))).toEqual([]);
  });

  it('refuses a wrong captcha with 403 captcha_invalid: no user, no call', async () => {
    const phone = freshPhone();
    const answer = await post(server, { phone, captchaToken: 'not-the-token' });
    expect(answer).toMatchObject({ status: 403, json: { type: 'captcha_invalid' } });
    expect(await usersWith(server, phone)).toBe(0);
    expect(await callsTo(server, phone)).toEqual([]);
  });
});

describe('limits', () => {
  /**
   * Every limit but one roomy; the named one allows one call, whatever else differs. The server runs
   * on the wall clock: day-long windows keep a test's counts from starting afresh halfway through.
   */
  const only = (name: string) => start({ ...roomy, [name]: '1/86400' });

  it.each([
    ['PHONE_CALL_LIMIT_IP', (n: number) => ({ phone: freshPhone(), ip: '192.0.2.1', n })],
    ['PHONE_CALL_LIMIT_NUMBER', (n: number) => ({ phone: '+14155550142', ip: freshIp(), n })],
    ['PHONE_CALL_LIMIT_PREFIX', (n: number) => ({ phone: `+1415987${String(1000 + n)}`, ip: freshIp(), n })],
    ['PHONE_CALL_LIMIT_COUNTRY', () => ({ phone: freshPhone(), ip: freshIp() })],
    ['PHONE_CALL_LIMIT_TOTAL', () => ({ phone: freshPhone(), ip: freshIp() })],
    // The user a new number would be created as: counted before it exists.
    ['PHONE_CALL_LIMIT_USER', () => ({ phone: '+14155550143', ip: freshIp() })],
  ])('%s is counted before the captcha and before any user: a wrong captcha spends it, then a right one is 429 with no user or call', async (name, next) => {
    const target = await only(name);
    const spent = next(1);
    expect((await post(target, { phone: spent.phone, captchaToken: 'wrong' }, spent.ip)).status).toBe(403);
    const refused = next(2);
    const answer = await call(target, refused.phone, {}, refused.ip);
    expect(answer).toMatchObject({ status: 429, json: { type: 'rate_limited' } });
    expect(await usersWith(target, refused.phone)).toBe(0);
    expect(await callsTo(target, refused.phone)).toEqual([]);
  });

  it('holds exact bounds under concurrency: 2 calls per number of 6 at once, other countries untouched by the US count', async () => {
    const target = await start({ ...roomy, PHONE_CALL_LIMIT_NUMBER: '2/86400', PHONE_CALL_LIMIT_COUNTRY: '4/86400' });
    const phone = freshPhone();
    const answers = await Promise.all(Array.from({ length: 6 }, () => call(target, phone)));
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(2);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(4);
    expect(await callsTo(target, phone)).toHaveLength(2);

    const others = await Promise.all(Array.from({ length: 5 }, () => call(target, freshPhone())));
    expect(others.filter((answer) => answer.status === 202)).toHaveLength(2);
    expect((await call(target, '+49 30 12345678')).status).toBe(202);
  });
});

describe('configuration', () => {
  it('refuses to run without a country allowlist, naming the variable: 500 config_invalid', async () => {
    const target = await start({ ...roomy, PHONE_CALL_COUNTRIES: '' });
    const response = await fetch(`${target.url}/phone-call/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"phone":"+14155550123"}' });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ type: 'config_invalid' });
    expect(lines.some((line) => line.startsWith('config_invalid function="phone-call"') && line.includes('PHONE_CALL_COUNTRIES'))).toBe(true);
  });

  it('lists the development voice provider among the notices of GET /health', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as { notices?: string[] };
    expect(JSON.stringify(health)).toContain('voice: the development provider places no calls');
  });
});
