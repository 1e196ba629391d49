/**
 * The phone-call function's own variables: the country allowlist as operators write it.
 */
import { describe, expect, it } from 'vitest';
import { phoneCallConfigSchema } from '../../functions/phone-call/config.js';
import { ConfigError, parseConfig } from '../../shared/config.js';

const countries = (value: string | undefined) => parseConfig(phoneCallConfigSchema, { PHONE_CALL_COUNTRIES: value }).PHONE_CALL_COUNTRIES;

describe('PHONE_CALL_COUNTRIES', () => {
  it('reads comma-separated codes in any case and spacing, upper-cased, skipping empty entries', () => {
    expect(countries(' us, Ca ,,de ')).toEqual(['US', 'CA', 'DE']);
  });

  it('is empty when unset (the function then refuses to start)', () => {
    expect(countries(undefined)).toEqual([]);
  });

  it.each([['USA'], ['U'], ['U1'], ['US CA'], ['US;CA'], ['US,CAN']])('refuses %s: only two-letter ISO 3166-1 codes', (value) => {
    expect(() => countries(value)).toThrow(ConfigError);
    expect(() => countries(value)).toThrow(
      expect.objectContaining({ problems: ['PHONE_CALL_COUNTRIES: must be ISO 3166-1 alpha-2 country codes, comma-separated, such as US,CA,DE'] }),
    );
  });
});
