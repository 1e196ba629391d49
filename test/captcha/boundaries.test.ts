/**
 * The captcha checks at their edges, against the loopback siteverify fake: the longest token sent,
 * the oldest solve accepted, the furthest clock skew forgiven, the highest minimum score, and the
 * forms CAPTCHA_MIN_SCORE may take.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captchaPort, type CaptchaVerifier } from '../../shared/captcha/index.js';
import { ConfigError } from '../../shared/config.js';
import { startCaptchaVendor, type FakeCaptchaProvider, type FakeCaptchaVendor } from '../helpers/captcha-vendor.js';
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
const invalid = { type: 'captcha_invalid', status: 403 };

function captchaFor(provider: FakeCaptchaProvider, env: Record<string, string> = {}): CaptchaVerifier {
  const platform = createTestPlatform({
    clock,
    env: { CAPTCHA_PROVIDER: provider, CAPTCHA_SECRET: vendor.secret(provider), CAPTCHA_SITEVERIFY_URL: vendor.url(provider), ...env },
  });
  return captchaPort.create(platform.runtime);
}

describe('captcha boundaries', () => {
  it('sends a token of exactly 4096 characters to the vendor, and none longer', async () => {
    const captcha = captchaFor('turnstile');
    await expect(captcha.verify('x'.repeat(4096), client)).rejects.toMatchObject(invalid);
    expect(vendor.requests).toHaveLength(1);
    await expect(captcha.verify('x'.repeat(4097), client)).rejects.toMatchObject(invalid);
    expect(vendor.requests).toHaveLength(1);
  });

  it('accepts a token solved exactly CAPTCHA_MAX_AGE_SECONDS ago, and refuses one a millisecond older', async () => {
    const captcha = captchaFor('turnstile', { CAPTCHA_MAX_AGE_SECONDS: '60' });
    const onTime = vendor.solve('turnstile');
    clock.advance(60_000);
    await expect(captcha.verify(onTime, client)).resolves.toBeUndefined();
    const late = vendor.solve('turnstile');
    clock.advance(60_001);
    await expect(captcha.verify(late, client)).rejects.toMatchObject(invalid);
  });

  it('forgives a challenge_ts up to 60 s ahead of the clock, and not a millisecond more', async () => {
    const captcha = captchaFor('turnstile');
    const at = (ms: number) => new Date(clock.now() + ms).toISOString();
    await expect(captcha.verify(vendor.solve('turnstile', { challengeTs: at(60_000) }), client)).resolves.toBeUndefined();
    await expect(captcha.verify(vendor.solve('turnstile', { challengeTs: at(60_001) }), client)).rejects.toMatchObject(invalid);
  });

  it('accepts a score of 1 when CAPTCHA_MIN_SCORE is 1', async () => {
    const captcha = captchaFor('recaptcha-v3', { CAPTCHA_MIN_SCORE: '1' });
    await expect(captcha.verify(vendor.solve('recaptcha-v3', { score: 1 }), client)).resolves.toBeUndefined();
    await expect(captcha.verify(vendor.solve('recaptcha-v3', { score: 0.9 }), client)).rejects.toMatchObject(invalid);
  });

  it.each(['0', '1', '1.0', '.5', '0.25'])('reads CAPTCHA_MIN_SCORE=%s', (score) => {
    expect(() => captchaFor('recaptcha-v3', { CAPTCHA_MIN_SCORE: score })).not.toThrow();
  });

  it.each(['0.5e0', '1.01', '2', '0.5 0.6', '-0', '0x1'])('refuses CAPTCHA_MIN_SCORE=%s, naming the variable', (score) => {
    expect(() => captchaFor('recaptcha-v3', { CAPTCHA_MIN_SCORE: score })).toThrow(ConfigError);
    try {
      captchaFor('recaptcha-v3', { CAPTCHA_MIN_SCORE: score });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual(['CAPTCHA_MIN_SCORE: must be a number from 0 to 1']);
    }
  });
});
