/**
 * Which numbers the phone-call function calls (libphonenumber-js full metadata), and how the code
 * is spoken: spelled, escaped into TwiML.
 */
import { describe, expect, it } from 'vitest';
import { callableNumber } from '../../functions/phone-call/phone.js';
import { KitError } from '../../shared/errors.js';
import { codeCallTwiml, spellCode } from '../../shared/voice/index.js';

const refusal = (raw: string, countries: string[] = ['US', 'GB', 'FR', 'DE', 'ES', 'IT']) => {
  try {
    callableNumber(raw, countries);
  } catch (error) {
    if (error instanceof KitError) return { type: error.type, status: error.status };
    throw error;
  }
  return null;
};

describe('callableNumber', () => {
  it('normalises a valid number to E.164, with its country and prefix', () => {
    expect(callableNumber(' +1 (415) 555-0123 ', ['US'])).toEqual({ e164: '+14155550123', country: 'US', prefix: '+1415555' });
    expect(callableNumber('+49 30 12345678', ['DE'])).toEqual({ e164: '+493012345678', country: 'DE', prefix: '+49301234' });
    expect(callableNumber('+49 1521 2345678', ['DE']).e164).toBe('+4915212345678');
  });

  it.each([
    ['national form (no country guessed)', '4155550123'],
    ['too long', '+1 415 555 01234'],
    // Possible by length, but outside the UK plan: only the full metadata knows.
    ['not in the numbering plan', '+44 7700 900123'],
    ['text around a number', 'call +14155550123 now'],
    ['an extension (never dialled)', '+1 415 555 0123 ext 9'],
    ['empty', ''],
  ])('refuses %s: 400 phone_invalid', (_, raw) => {
    expect(refusal(raw)).toEqual({ type: 'phone_invalid', status: 400 });
  });

  it.each([
    ['premium rate (US 900)', '+1 900 555 0123'],
    ['premium rate (FR 0899)', '+33 8 99 12 34 56'],
    ['shared cost (FR 0810)', '+33 8 10 12 34 56'],
    ['shared cost (ES 901)', '+34 901 123 456'],
    ['toll free (US 800)', '+1 800 555 0123'],
    ['a personal number (UK 070)', '+44 70 1234 5678'],
    ['a UAN (UK 055)', '+44 55 1234 5678'],
  ])('refuses %s: 422 phone_type_refused', (_, raw) => {
    expect(refusal(raw)).toEqual({ type: 'phone_type_refused', status: 422 });
  });

  it('refuses a country not allowlisted, by the number\'s own country, not its calling code: 422 phone_country_refused', () => {
    expect(refusal('+14155550123', ['CA'])).toEqual({ type: 'phone_country_refused', status: 422 });
    // +44 7624 is the Isle of Man (IM), which shares the UK's calling code.
    expect(refusal('+44 7624 123456', ['GB'])).toEqual({ type: 'phone_country_refused', status: 422 });
    expect(callableNumber('+44 7624 123456', ['IM']).country).toBe('IM');
    expect(refusal('+14155550123', [])).toEqual({ type: 'phone_country_refused', status: 422 });
  });

  it('checks the type before the country, so a refused type is named as such everywhere', () => {
    expect(refusal('+1 900 555 0123', ['CA'])).toEqual({ type: 'phone_type_refused', status: 422 });
  });
});

describe('spellCode', () => {
  it('spells every hex character on its own, letters by the ICAO alphabet', () => {
    expect(spellCode('0123456789abcdef')).toBe('0, 1, 2, 3, 4, 5, 6, 7, 8, 9, Alfa, Bravo, Charlie, Delta, Echo, Foxtrot');
    expect(spellCode('60')).toBe('6, 0');
  });

  it('refuses anything but digits and letters', () => {
    for (const code of ['4<b', '4 b', '4é', '٤b']) expect(() => spellCode(code)).toThrow(new TypeError('A code to speak holds only digits and letters.'));
  });
});

describe('codeCallTwiml', () => {
  it('says the text `repeat` times, paused, in the language and voice', () => {
    expect(codeCallTwiml({ userId: 'u', to: '+14155550123', text: 'Code: 4, Bravo.', language: 'en-GB', voice: 'Polly.Amy', repeat: 2 })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/>' +
        '<Say language="en-GB" voice="Polly.Amy">Code: 4, Bravo.</Say><Pause length="2"/>' +
        '<Say language="en-GB" voice="Polly.Amy">Code: 4, Bravo.</Say></Response>',
    );
  });

  it('escapes everything it inserts, so no text adds an element or attribute', () => {
    const twiml = codeCallTwiml({ userId: 'u', to: '+1', text: `a</Say><Dial>+1900</Dial>&'"`, language: 'en" x="1', repeat: 1 });
    expect(twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/>' +
        '<Say language="en&quot; x=&quot;1">a&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;&amp;&apos;&quot;</Say></Response>',
    );
  });
});
