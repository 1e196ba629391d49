/**
 * The code messages: which language a locale gets, and that every text holds the code and the
 * minutes once and nothing a phisher could use.
 */
import { describe, expect, it } from 'vitest';
import { codeLanguage, codeMessage, codeTexts, localeSchema } from '../../functions/captcha/messages.js';

describe('codeLanguage', () => {
  it.each([
    [undefined, 'en'],
    ['de', 'de'],
    ['DE-ch', 'de'],
    ['fr_CA', 'fr'],
    ['es-419', 'es'],
    ['pt-BR', 'en'],
    ['constructor', 'en'],
    ['toString', 'en'],
  ])('%s → %s', (locale, language) => {
    expect(codeLanguage(locale)).toBe(language);
  });

  it('is what codeMessage words the message in, per channel', () => {
    expect(codeMessage('email', 'de-AT')).toEqual({ subject: codeTexts.de.subject, body: codeTexts.de.email });
    expect(codeMessage('sms', 'xx')).toEqual({ subject: codeTexts.en.subject, body: codeTexts.en.sms });
  });
});

describe('localeSchema', () => {
  it('takes language tags and refuses anything else', () => {
    for (const tag of ['en', 'fr-CA', 'zh-Hant-TW', 'de_CH']) expect(localeSchema.safeParse(tag).success, tag).toBe(true);
    for (const junk of ['', 'e', '../x', 'en-', 'a'.repeat(36), 'en US', '{code}']) expect(localeSchema.safeParse(junk).success, junk).toBe(false);
  });
});

describe('every text', () => {
  const texts = Object.entries(codeTexts).flatMap(([language, { email, sms }]) => [
    [`${language} email`, email],
    [`${language} sms`, sms],
  ]);

  it.each(texts)('%s holds {code} and {minutes} once each, and no link or call to click', (_, text) => {
    expect(text.split('{code}')).toHaveLength(2);
    expect(text.split('{minutes}')).toHaveLength(2);
    expect(text).not.toMatch(/https?:|www\.|\.com\b|click|klick|cliqu|haz clic|pulsa/i);
  });

  it('SMS texts fit one GSM-7 segment, or two UCS-2 ones, with an 8-character code (134 characters)', () => {
    for (const [language, { sms }] of Object.entries(codeTexts)) {
      expect(sms.replace('{code}', 'abcdef12').replace('{minutes}', '15').length, language).toBeLessThanOrEqual(134);
    }
  });
});
