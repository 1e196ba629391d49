/**
 * Which numbers the function calls: valid by libphonenumber's full metadata, a personal line (not
 * premium-rate, shared-cost, ...), in an allowed country. Normalised to E.164, the form Appwrite
 * stores and every limit counts.
 *
 * @module
 */
import { parsePhoneNumberFromString, type NumberType } from 'libphonenumber-js/max';
import { phoneCallErrors } from './errors.js';

/**
 * Types never called. Premium-rate and shared-cost numbers bill the caller extra (IRSF pays out
 * from them); UAN, personal, pager and voicemail numbers forward or bill in ways that are not one
 * person's phone. Toll-free numbers are refused too: nobody receives a sign-in code on one, and some
 * countries charge the caller for them. `VOIP` and an unknown type (`undefined`) are allowed: many
 * real users have them, and the country allowlist and limits still apply.
 */
const refusedTypes: ReadonlySet<NumberType> = new Set<NumberType>(['PREMIUM_RATE', 'SHARED_COST', 'UAN', 'PERSONAL_NUMBER', 'PAGER', 'VOICEMAIL', 'TOLL_FREE']);

/** A number the function will call. */
export interface CallableNumber {
  /** E.164, e.g. `+14155550123`. */
  e164: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** The number without its last 4 digits: the range a fraudster rents. */
  prefix: string;
}

/**
 * Parses and checks a number as typed. International form only (`+` and the country code): the
 * kit does not guess a country.
 *
 * @example
 * ```ts
 * callableNumber('+1 415 555 0123', ['US']); // { e164: '+14155550123', country: 'US', prefix: '+1415555' }
 * callableNumber('+1 900 555 0123', ['US']); // throws phone_type_refused
 * ```
 */
export function callableNumber(raw: string, countries: readonly string[]): CallableNumber {
  const parsed = parsePhoneNumberFromString(raw.trim(), { extract: false });
  // An extension would be dropped from the E.164 form and never dialled: refused, not ignored.
  if (!parsed || !parsed.isValid() || !parsed.country || parsed.ext) throw phoneCallErrors.create('phone_invalid');
  const type = parsed.getType();
  if (type !== undefined && refusedTypes.has(type)) throw phoneCallErrors.create('phone_type_refused');
  if (!countries.includes(parsed.country)) throw phoneCallErrors.create('phone_country_refused');
  return { e164: parsed.number, country: parsed.country, prefix: parsed.number.slice(0, -4) };
}
