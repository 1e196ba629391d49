/**
 * shared/captcha/development.ts, the provider `npm start` uses: it accepts its fixed token as often as
 * it is sent, refuses anything else with 403 captcha_invalid, and says in the log why.
 */
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { createDevelopmentCaptcha } from '../../shared/captcha/development.js';
import { createLogger } from '../../shared/log.js';

function developmentCaptcha() {
  const lines: string[] = [];
  return { captcha: createDevelopmentCaptcha(createLogger((line) => lines.push(line))), lines };
}

describe('development captcha', () => {
  it('accepts its fixed token, again and again, logging nothing', async () => {
    const { captcha, lines } = developmentCaptcha();
    expect(captcha.provider).toBe('development');
    for (let i = 0; i < 3; i++) await expect(captcha.verify(DEVELOPMENT_CAPTCHA_TOKEN, { clientIp: null })).resolves.toBeUndefined();
    expect(lines).toEqual([]);
  });

  it.each([
    ['no token', undefined, 'missing'],
    ['an empty token', '', 'missing'],
    ['another token', `${DEVELOPMENT_CAPTCHA_TOKEN}x`, 'not_the_development_token'],
  ])('refuses %s with 403 captcha_invalid and logs why', async (_what, token, reason) => {
    const { captcha, lines } = developmentCaptcha();
    await expect(captcha.verify(token, { clientIp: null })).rejects.toMatchObject({ type: 'captcha_invalid', status: 403 });
    expect(lines).toEqual([`captcha_refused provider="development" reason="${reason}"`]);
  });
});
