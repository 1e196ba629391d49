/**
 * The vendor providers against a loopback server that speaks each siteverify contract
 * (test/helpers/captcha-vendor.ts): what passes, what is refused (403 captcha_invalid), what fails
 * closed (503 captcha_unavailable), the exact request the kit sends, and that no token reaches a log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captchaPort, type CaptchaVerifier } from '../../shared/captcha/index.js';
import { createLogger } from '../../shared/log.js';
import { onceStoreUnavailable } from '../../shared/once/store.js';
import { FAKE_HCAPTCHA_SITE_KEY, startCaptchaVendor, type FakeCaptchaProvider, type FakeCaptchaVendor } from '../helpers/captcha-vendor.js';
import { manualClock } from '../helpers/clock.js';
import { createTestPlatform } from '../helpers/platform.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 12));
let vendor: FakeCaptchaVendor;

beforeAll(async () => {
  vendor = await startCaptchaVendor({ clock });
});
afterAll(() => vendor.close());
beforeEach(() => {
  vendor.reset();
  clock.reset();
});

const client = { clientIp: '203.0.113.7' };
// One message for every reason, so a client learns nothing about which check failed.
const invalid = { type: 'captcha_invalid', status: 403, message: 'The captcha was not solved, or its proof is invalid, spent or too old. Solve it again.' };
const unavailable = { type: 'captcha_unavailable', status: 503, message: 'The captcha check is unavailable. Try again later.' };

/** A verifier for `provider` pointed at the fake, with its log lines. */
function captchaFor(provider: FakeCaptchaProvider, env: Record<string, string> = {}): { captcha: CaptchaVerifier; lines: string[] } {
  const lines: string[] = [];
  const platform = createTestPlatform({
    clock,
    logger: createLogger((line) => lines.push(line)),
    env: { CAPTCHA_PROVIDER: provider, CAPTCHA_SECRET: vendor.secret(provider), CAPTCHA_SITEVERIFY_URL: vendor.url(provider), ...env },
  });
  return { captcha: captchaPort.create(platform.runtime), lines };
}

const vendors = [
  { provider: 'turnstile', spentCode: 'timeout-or-duplicate', hasAction: true, retries: true },
  { provider: 'hcaptcha', spentCode: 'already-seen-response', hasAction: false, retries: false },
  { provider: 'recaptcha-v2', spentCode: 'timeout-or-duplicate', hasAction: false, retries: false },
  { provider: 'recaptcha-v3', spentCode: 'timeout-or-duplicate', hasAction: true, retries: false },
] as const;

describe.each(vendors)('$provider', ({ provider, spentCode, hasAction, retries }) => {
  it('passes a fresh token the vendor accepts', async () => {
    const { captcha } = captchaFor(provider);
    expect(captcha.provider).toBe(provider);
    await expect(captcha.verify(vendor.solve(provider), client)).resolves.toBeUndefined();
    expect(vendor.requests).toHaveLength(1);
  });

  it('refuses a token the vendor refuses, and logs the vendor code', async () => {
    const { captcha, lines } = captchaFor(provider);
    await expect(captcha.verify('not-a-token-the-vendor-issued', client)).rejects.toMatchObject(invalid);
    expect(lines.join('\n')).toMatch(/captcha_refused .*reason="vendor_refused" codes="invalid-input-response"/);
  });

  it.each([
    [['missing-input-response'], invalid],
    [['invalid-input-response'], invalid],
    [['expired-input-response'], invalid],
    [['timeout-or-duplicate'], invalid],
    [['already-seen-response'], invalid],
    [[], invalid],
    [['invalid-input-secret'], unavailable],
    [['missing-input-secret'], unavailable],
    [['bad-request'], unavailable],
    [['internal-error'], unavailable],
    [['sitekey-secret-mismatch'], unavailable],
    [['a-code-nobody-documented'], unavailable],
    [['invalid-input-response', 'timeout-or-duplicate'], invalid],
    [['invalid-input-response', 'invalid-input-secret'], unavailable],
  ])('maps the vendor codes %j to %o', async (codes, expected) => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'error', codes });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(expected);
    const line = expected === invalid ? `captcha_refused provider="${provider}" reason="vendor_refused"` : `captcha_unavailable provider="${provider}" reason="vendor_error"`;
    expect(lines).toEqual([`${line} codes="${codes.join(',')}"`]);
  });

  it('refuses a failure answer that carries no error-codes field at all: nothing points at the setup', async () => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'answer', body: { success: false } });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(invalid);
    expect(lines).toEqual([`captcha_refused provider="${provider}" reason="vendor_refused" codes=""`]);
  });

  it('refuses a token the vendor says expired', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_MAX_AGE_SECONDS: '3600' });
    const token = vendor.solve(provider);
    clock.advance(301_000); // past every vendor's lifetime (Turnstile 300 s, the others 120 s)
    await expect(captcha.verify(token, client)).rejects.toMatchObject(invalid);
    expect(lines.join('\n')).toContain(`codes="${provider === 'hcaptcha' ? 'expired-input-response' : 'timeout-or-duplicate'}"`);
  });

  it('refuses a token the vendor already spent (vendor-side replay)', async () => {
    const token = vendor.solve(provider);
    await captchaFor(provider).captcha.verify(token, client);
    // A second deployment with its own once-store: only the vendor can tell.
    const { captcha, lines } = captchaFor(provider);
    await expect(captcha.verify(token, client)).rejects.toMatchObject(invalid);
    expect(lines.join('\n')).toContain(`codes="${spentCode}"`);
  });

  it('refuses a replay the vendor wrongly accepts (kit-side replay)', async () => {
    const { captcha, lines } = captchaFor(provider);
    const token = vendor.solve(provider, { neverSpent: true });
    await captcha.verify(token, client);
    await expect(captcha.verify(token, client)).rejects.toMatchObject(invalid);
    expect(vendor.requests).toHaveLength(2);
    expect(lines.join('\n')).toContain('reason="replayed"');
  });

  it('refuses a token solved on a hostname not in CAPTCHA_HOSTNAMES', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_HOSTNAMES: 'app.example.com, login.example.com' });
    await expect(captcha.verify(vendor.solve(provider, { hostname: 'evil.example.net' }), client)).rejects.toMatchObject(invalid);
    expect(lines.join('\n')).toContain('reason="wrong_hostname" hostname="evil.example.net"');
    await expect(captcha.verify(vendor.solve(provider, { hostname: 'Login.Example.com' }), client)).resolves.toBeUndefined();
  });

  it('refuses an answer without a hostname when CAPTCHA_HOSTNAMES is set, and takes it when not (Android reCAPTCHA names an app)', async () => {
    const answer = () => ({ success: true, challenge_ts: new Date(clock.now()).toISOString(), apk_package_name: 'com.example.app', action: 'homepage', score: 0.9 });
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_HOSTNAMES: 'app.example.com' });
    vendor.script({ kind: 'answer', body: answer() });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(invalid);
    expect(lines).toEqual([`captcha_refused provider="${provider}" reason="wrong_hostname" hostname=null`]);
    vendor.script({ kind: 'answer', body: answer() });
    await expect(captchaFor(provider).captcha.verify(vendor.solve(provider), client)).resolves.toBeUndefined();
  });

  it(hasAction ? 'refuses a token solved for another action; the route’s action wins over CAPTCHA_ACTION' : 'has no action to check', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_ACTION: 'login' });
    const signupToken = () => vendor.solve(provider, { action: 'signup' });
    if (!hasAction) return void (await expect(captcha.verify(signupToken(), { ...client, action: 'login' })).resolves.toBeUndefined());
    await expect(captcha.verify(signupToken(), client)).rejects.toMatchObject(invalid);
    expect(lines).toEqual([`captcha_refused provider="${provider}" reason="wrong_action" action="signup" expected="login"`]);
    vendor.script({ kind: 'answer', body: { success: true, challenge_ts: new Date(clock.now()).toISOString(), hostname: 'app.example.com', score: 0.9 } });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(invalid); // no action at all
    expect(lines[1]).toBe(`captcha_refused provider="${provider}" reason="wrong_action" action=null expected="login"`);
    await expect(captcha.verify(vendor.solve(provider, { action: 'login' }), client)).resolves.toBeUndefined();
    await expect(captcha.verify(signupToken(), { ...client, action: 'signup' })).resolves.toBeUndefined();
    await expect(captcha.verify(vendor.solve(provider, { action: 'login' }), { ...client, action: 'signup' })).rejects.toMatchObject(invalid);
  });

  it('refuses a token older than CAPTCHA_MAX_AGE_SECONDS though the vendor still accepts it', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_MAX_AGE_SECONDS: '60' });
    const token = vendor.solve(provider);
    clock.advance(61_000);
    await expect(captcha.verify(token, client)).rejects.toMatchObject(invalid);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^captcha_refused provider="${provider}" reason="too_old" challengeTs="2026-01-15T12:00:00(\\.000)?Z"$`));
    const fresh = vendor.solve(provider);
    clock.advance(59_000);
    await expect(captcha.verify(fresh, client)).resolves.toBeUndefined();
  });

  it('refuses a challenge_ts in the future beyond the clock skew', async () => {
    const { captcha, lines } = captchaFor(provider);
    const future = new Date(clock.now() + 5 * 60_000).toISOString();
    await expect(captcha.verify(vendor.solve(provider, { challengeTs: future }), client)).rejects.toMatchObject(invalid);
    expect(lines).toEqual([`captcha_refused provider="${provider}" reason="challenge_in_future" challengeTs="${future}"`]);
    const slightlyAhead = new Date(clock.now() + 30_000).toISOString();
    await expect(captcha.verify(vendor.solve(provider, { challengeTs: slightlyAhead }), client)).resolves.toBeUndefined();
  });

  it('fails closed (503) when the vendor answers HTTP 500', async () => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(vendor.requests).toHaveLength(retries ? 2 : 1);
    expect(lines.join('\n')).toContain('reason="vendor_status" status=500');
  });

  it('fails closed within CAPTCHA_TIMEOUT_MS when the vendor hangs', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_TIMEOUT_MS: '300' });
    vendor.script({ kind: 'hang' }, { kind: 'hang' });
    const started = Date.now();
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    // The outbound default (OUTBOUND_TIMEOUT_MS, 5 s) would end it too, later: the captcha deadline must.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="timeout" timeoutMs=300`]);
  });

  it('fails closed as a timeout when the outbound deadline (OUTBOUND_TIMEOUT_MS) ends the call before the captcha deadline', async () => {
    const { captcha, lines } = captchaFor(provider, { OUTBOUND_TIMEOUT_MS: '200', CAPTCHA_TIMEOUT_MS: '20000' });
    vendor.script({ kind: 'hang' }, { kind: 'hang' });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(vendor.requests).toHaveLength(1);
    // Named as the deadline that ended it, not CAPTCHA_TIMEOUT_MS, which had 19.8 s left.
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="timeout" deadline="OUTBOUND_TIMEOUT_MS"`]);
  });

  it('fails closed within CAPTCHA_TIMEOUT_MS when the answer\'s body never comes', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_TIMEOUT_MS: '300' });
    vendor.script({ kind: 'stall' });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="timeout" status=200`]);
  });

  it('fails closed when the connection breaks off in the middle of the answer', async () => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'truncated' });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="unreachable" status=200`]);
  });

  it.each([204, 429])('fails closed on HTTP %i without retrying: only a 5xx may be retried', async (status) => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'status', status });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(vendor.requests).toHaveLength(1);
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="vendor_status" status=${status}`]);
  });

  it('fails closed on an answer over 64 KiB, and reads one of exactly 64 KiB', async () => {
    const { captcha, lines } = captchaFor(provider);
    /** A successful answer padded (with a field the kit ignores) to `chars` characters of JSON. */
    const answerOf = (chars: number) => {
      const body = { success: true, challenge_ts: new Date(clock.now()).toISOString(), hostname: 'app.example.com', action: 'homepage', score: 0.9, cdata: '' };
      return { ...body, cdata: 'x'.repeat(chars - JSON.stringify(body).length) };
    };
    expect(JSON.stringify(answerOf(64 * 1024))).toHaveLength(64 * 1024);
    vendor.script({ kind: 'answer', body: answerOf(64 * 1024) }, { kind: 'answer', body: answerOf(64 * 1024 + 1) });
    await expect(captcha.verify(vendor.solve(provider), client)).resolves.toBeUndefined();
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="malformed_answer" chars=${64 * 1024 + 1}`]);
  });

  it('fails closed on a challenge_ts that is no date', async () => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'answer', body: { success: true, challenge_ts: 'yesterday', hostname: 'app.example.com', action: 'homepage', score: 0.9 } });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="malformed_answer" challengeTs="yesterday"`]);
  });

  it('fails closed on malformed vendor JSON and on JSON of the wrong shape', async () => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'malformed' }, { kind: 'answer', body: { success: 'yes' } }, { kind: 'answer', body: [] });
    for (let attempt = 0; attempt < 3; attempt++) await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines.filter((line) => line.includes('reason="malformed_answer"'))).toHaveLength(3);
  });

  it('fails closed on a success without challenge_ts: the token\'s age would be unknown', async () => {
    const { captcha, lines } = captchaFor(provider);
    vendor.script({ kind: 'answer', body: { success: true, hostname: 'app.example.com', action: 'homepage', score: 0.9 } });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines.join('\n')).toContain('reason="answer_without_challenge_ts"');
  });

  it('fails closed when the vendor is unreachable', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_SITEVERIFY_URL: 'http://127.0.0.1:9/siteverify' });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines).toEqual([`captcha_unavailable provider="${provider}" reason="unreachable" error="TypeError"`]);
  });

  it('fails closed (503, not the client’s fault) when the vendor refuses the secret', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_SECRET: 'a-rotated-secret' });
    await expect(captcha.verify(vendor.solve(provider), client)).rejects.toMatchObject(unavailable);
    expect(lines.join('\n')).toContain('codes="invalid-input-secret"');
    expect(lines.join('\n')).not.toContain('a-rotated-secret');
  });

  it('sends exactly the documented form: POST, form-urlencoded, secret, response, remoteip', async () => {
    const { captcha } = captchaFor(provider);
    const token = vendor.solve(provider);
    await captcha.verify(token, client);
    const [request] = vendor.requests;
    expect(request).toMatchObject({ method: 'POST', path: new URL(vendor.url(provider)).pathname, contentType: 'application/x-www-form-urlencoded', accept: 'application/json' });
    const { idempotency_key: idempotencyKey, ...fields } = request!.fields;
    expect(fields).toEqual({ secret: vendor.secret(provider), response: token, remoteip: '203.0.113.7' });
    if (retries) expect(idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    else expect(idempotencyKey).toBeUndefined();
  });

  it('omits remoteip when the platform does not know the client IP', async () => {
    await captchaFor(provider).captcha.verify(vendor.solve(provider), { clientIp: null });
    expect(vendor.requests[0]!.fields).not.toHaveProperty('remoteip');
  });

  it('refuses a missing, empty or oversized token without calling the vendor', async () => {
    const { captcha, lines } = captchaFor(provider);
    await expect(captcha.verify(undefined, client)).rejects.toMatchObject(invalid);
    await expect(captcha.verify('', client)).rejects.toMatchObject(invalid);
    await expect(captcha.verify('x'.repeat(4097), client)).rejects.toMatchObject(invalid);
    expect(vendor.requests).toHaveLength(0);
    const refused = `captcha_refused provider="${provider}"`;
    expect(lines).toEqual([`${refused} reason="missing"`, `${refused} reason="missing"`, `${refused} reason="too_long" chars=4097`]);
  });

  it('never writes the token to a log line', async () => {
    const { captcha, lines } = captchaFor(provider, { CAPTCHA_HOSTNAMES: 'app.example.com' });
    const tokens = [vendor.solve(provider, { neverSpent: true }), vendor.solve(provider, { hostname: 'evil.example.net' }), 'forged-token-value'];
    await captcha.verify(tokens[0], client);
    await captcha.verify(tokens[0], client).catch(() => {}); // replayed
    await captcha.verify(tokens[1], client).catch(() => {}); // wrong hostname
    await captcha.verify(tokens[2], client).catch(() => {}); // vendor refuses
    vendor.script({ kind: 'malformed' });
    await captcha.verify(tokens[2], client).catch(() => {});
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const token of tokens) expect(lines.join('\n')).not.toContain(token);
  });
});

describe('turnstile idempotency_key', () => {
  it('retries a dropped connection once with the same key, so the token is not spent twice', async () => {
    const { captcha } = captchaFor('turnstile');
    vendor.script({ kind: 'drop' });
    await expect(captcha.verify(vendor.solve('turnstile'), client)).resolves.toBeUndefined();
    expect(vendor.requests).toHaveLength(2);
    expect(vendor.requests[1]!.fields).toEqual(vendor.requests[0]!.fields);
  });

  it('retries an HTTP 500 once, and uses a new key for the next verification', async () => {
    const { captcha } = captchaFor('turnstile');
    vendor.script({ kind: 'status', status: 500 });
    await captcha.verify(vendor.solve('turnstile'), client);
    await captcha.verify(vendor.solve('turnstile'), client);
    const keys = vendor.requests.map((request) => request.fields['idempotency_key']);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[1]);
  });
});

describe('once-store', () => {
  it('fails closed (503) when the replay memory cannot answer after the vendor said yes', async () => {
    const platform = createTestPlatform({
      clock,
      onceStore: { claim: () => Promise.reject(onceStoreUnavailable()) },
      env: { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: vendor.secret('turnstile'), CAPTCHA_SITEVERIFY_URL: vendor.url('turnstile') },
    });
    const captcha = captchaPort.create(platform.runtime);
    await expect(captcha.verify(vendor.solve('turnstile'), client)).rejects.toMatchObject({ type: 'once_store_unavailable', status: 503 });
  });

  it('remembers an accepted token past the vendor lifetime, as long as the kit would accept it', async () => {
    const { captcha } = captchaFor('hcaptcha', { CAPTCHA_MAX_AGE_SECONDS: '600' });
    const token = vendor.solve('hcaptcha', { neverSpent: true, challengeTs: new Date(clock.now() + 50_000).toISOString() });
    await captcha.verify(token, client);
    clock.advance(600_000); // the vendor's 120 s are long over; the kit's 600 s from a stamp 50 s ahead are not
    await expect(captcha.verify(token, client)).rejects.toMatchObject(invalid);
  });
});

describe('hcaptcha sitekey', () => {
  it('sends CAPTCHA_SITE_KEY as sitekey; a token from another site fails closed as a mismatch', async () => {
    const { captcha, lines } = captchaFor('hcaptcha', { CAPTCHA_SITE_KEY: FAKE_HCAPTCHA_SITE_KEY });
    await captcha.verify(vendor.solve('hcaptcha'), client);
    expect(vendor.requests[0]!.fields['sitekey']).toBe(FAKE_HCAPTCHA_SITE_KEY);
    await expect(captcha.verify(vendor.solve('hcaptcha', { siteKey: '20000000-ffff-ffff-ffff-000000000002' }), client)).rejects.toMatchObject(unavailable);
    expect(lines.join('\n')).toContain('codes="sitekey-secret-mismatch"');
  });

  it('is not sent to the other vendors', async () => {
    await captchaFor('turnstile', { CAPTCHA_SITE_KEY: 'some-site-key' }).captcha.verify(vendor.solve('turnstile'), client);
    expect(vendor.requests[0]!.fields).not.toHaveProperty('sitekey');
  });
});

describe('recaptcha-v3 score', () => {
  it('refuses a score below CAPTCHA_MIN_SCORE (default 0.5) and accepts one at it', async () => {
    const { captcha, lines } = captchaFor('recaptcha-v3');
    await expect(captcha.verify(vendor.solve('recaptcha-v3', { score: 0.3 }), client)).rejects.toMatchObject(invalid);
    expect(lines.join('\n')).toContain('reason="low_score" score=0.3 minScore=0.5');
    await expect(captcha.verify(vendor.solve('recaptcha-v3', { score: 0.5 }), client)).resolves.toBeUndefined();
    const lenient = captchaFor('recaptcha-v3', { CAPTCHA_MIN_SCORE: '0.2' }).captcha;
    await expect(lenient.verify(vendor.solve('recaptcha-v3', { score: 0.3 }), client)).resolves.toBeUndefined();
  });

  it('fails closed on an answer without a score (a v2 key configured as v3)', async () => {
    const { captcha, lines } = captchaFor('recaptcha-v3');
    vendor.script({ kind: 'answer', body: { success: true, challenge_ts: new Date(clock.now()).toISOString(), hostname: 'app.example.com' } });
    await expect(captcha.verify(vendor.solve('recaptcha-v3'), client)).rejects.toMatchObject(unavailable);
    expect(lines.join('\n')).toContain('reason="answer_without_score"');
  });
});
