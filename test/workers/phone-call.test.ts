// The phone-call function inside workerd, in a Worker built from the function list, with the
// bindings of .dev.vars.example plus a country, a captcha (the Turnstile fake) and Twilio (the
// loopback Programmable Voice fake global-setup starts). The user lands in npm start's embedded
// Appwrite; the code is read back out of the TwiML Twilio received and exchanged with the
// `appwrite` web SDK. The development voice provider must be refused here.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Account, Client } from 'appwrite';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { phoneCallFunction } from '../../functions/phone-call/index.js';
import { createWorker } from '../../shared/runtime/workers.js';

const worker = createWorker([phoneCallFunction]);
const turnstile = inject('turnstile');
const twilio = inject('twilio');

const callEnv = {
  ...env,
  ...twilio.env,
  PHONE_CALL_COUNTRIES: 'US',
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SECRET: turnstile.secret,
  CAPTCHA_SITEVERIFY_URL: turnstile.siteverifyUrl,
};
const developmentEnv = { ...callEnv, VOICE_PROVIDER: 'development' };

async function start(testEnv: Record<string, unknown>, body: unknown, clientIp: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://kit.test/phone-call/start', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': clientIp },
      body: JSON.stringify(body),
    }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

const solve = async () => (await fetch(turnstile.solveUrl)).text();

/** A valid US number in a prefix of its own (random: the Durable Object counters outlive a run's numbers only within it). */
const freshPhone = () => `+1415${200 + Math.floor(Math.random() * 800)}${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;

async function twimlTo(phone: string): Promise<string[]> {
  const requests = (await (await fetch(twilio.requestsUrl)).json()) as Array<{ fields: Record<string, string> }>;
  return requests.filter((request) => request.fields['To'] === phone).map((request) => request.fields['Twiml']!);
}

const letters: Record<string, string> = { Alfa: 'a', Bravo: 'b', Charlie: 'c', Delta: 'd', Echo: 'e', Foxtrot: 'f' };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('phone-call function in workerd', () => {
  it('calls through Twilio after Turnstile says yes; the code the call reads opens a session with the web SDK', async () => {
    const phone = freshPhone();
    const response = await start(callEnv, { phone, captchaToken: await solve() }, '203.0.113.90');
    const text = await response.text();
    expect(response.status, text).toBe(202);
    const body = JSON.parse(text) as { userId: string; expire: string };
    expect(Object.keys(body).sort()).toEqual(['expire', 'userId']);

    const [twiml, ...more] = await twimlTo(phone);
    expect(more).toEqual([]);
    const spelled = /<Say language="en-US">Your sign-in code is: ([^.]+)\./.exec(twiml!)?.[1];
    expect(spelled, twiml).toBeDefined();
    const code = spelled!
      .split(', ')
      .map((word) => letters[word] ?? word)
      .join('');
    expect(code).toMatch(/^[0-9a-f]{8}$/);
    expect(text).not.toContain(code);

    const items = new Map<string, string>();
    vi.stubGlobal('window', {
      console,
      localStorage: { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value), removeItem: (key: string) => void items.delete(key) },
    });
    const account = new Account(new Client().setEndpoint(inject('appwriteEndpoint')).setProject(inject('appwriteProjectId')));
    await account.createSession({ userId: body.userId, secret: code });
    expect((await account.get()).phone).toBe(phone);
  });

  it('refuses a premium-rate number with 422 phone_type_refused, placing no call', async () => {
    const response = await start(callEnv, { phone: '+1 900 555 0123', captchaToken: await solve() }, '203.0.113.91');
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ type: 'phone_type_refused' });
    expect(await twimlTo('+19005550123')).toEqual([]);
  });

  it('refuses the development voice provider: 500 config_invalid, logged with VOICE_PROVIDER', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const response = await start(developmentEnv, { phone: freshPhone(), captchaToken: await solve() }, '203.0.113.92');
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ type: 'config_invalid' });
    expect(errors.mock.calls.map((args) => String(args[0])).join('\n')).toMatch(/config_invalid function="phone-call" problems="VOICE_PROVIDER: development/);
  });
});
