/**
 * Passwords as people type them: how long one is, which ones are refused, and the forms a login
 * checks against a stored hash.
 *
 * @module
 */
import * as z from 'zod';

/** Shortest password in characters as typed (grapheme clusters), longest in bytes of UTF-8 (NIST 800-63B / ASVS: at least 8, allow 64+). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX_BYTES = 256;

/** A password as received: exactly what was typed, and its NFKC form. */
export interface Password {
  typed: string;
  nfkc: string;
}

/** Code points that put nothing on the screen by themselves: controls, format characters (zero-width space, soft hyphen, BOM) and default-ignorables (variation selectors, Hangul fillers). */
const hiddenOnly = /^[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]+$/u;
/** A code point that is neither hidden nor white space: something a person sees. */
const visible = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const encoder = new TextEncoder();

/**
 * How many characters a person typed: grapheme clusters, so `é` typed as `e` and a combining accent,
 * or an emoji with a skin tone, is one. Clusters made only of hidden code points (a zero-width space,
 * a lone joiner) are not counted; spaces are, as in any passphrase.
 *
 * @example
 * ```ts
 * typedLength('e\u0301'.repeat(8)); // 8
 * typedLength('👍🏽'.repeat(4));     // 4 (8 code points)
 * typedLength('abc\u200b\u200b');   // 3
 * ```
 */
export function typedLength(text: string): number {
  let length = 0;
  for (const { segment } of graphemes.segment(text)) if (!hiddenOnly.test(segment)) length++;
  return length;
}

/**
 * Whether any character of the text is visible: not white space, a control, a format character
 * or a default-ignorable code point (`\p{White_Space}`, `\p{Cc}`, `\p{Cf}`,
 * `\p{Default_Ignorable_Code_Point}`).
 *
 * @example
 * ```ts
 * hasVisibleCharacter(' '.repeat(8));      // false
 * hasVisibleCharacter('\u200b'.repeat(8)); // false
 * hasVisibleCharacter('a       ');         // true
 * ```
 */
export function hasVisibleCharacter(text: string): boolean {
  return visible.test(text);
}

const byteLength = (text: string) => encoder.encode(text).byteLength;

/**
 * A password as typed. Kept as typed and in NFKC (NIST 800-63B 5.1.1.2): the kit stores the NFKC
 * form, so the same password typed on two keyboards matches; a login also tries the typed form (see
 * {@link passwordForms}). No trimming, no truncation, no composition rules. The ceiling is in bytes
 * because Appwrite counts bytes (PHP `strlen`): 256 ASCII characters, or 85 in a script of
 * three-byte characters; both forms must fit, as either may be the stored one.
 *
 * @example
 * ```ts
 * passwordSchema.parse('\ufb01sh and chips'); // { typed: 'ﬁsh and chips', nfkc: 'fish and chips' }
 * ```
 */
export const passwordSchema = z
  .string()
  .max(PASSWORD_MAX_BYTES * 4)
  .refine(hasVisibleCharacter, 'must contain a visible character')
  .refine((typed) => typedLength(typed) >= PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .transform((typed): Password => ({ typed, nfkc: typed.normalize('NFKC') }))
  .refine(
    ({ typed, nfkc }) => byteLength(typed) <= PASSWORD_MAX_BYTES && byteLength(nfkc) <= PASSWORD_MAX_BYTES,
    `must be at most ${PASSWORD_MAX_BYTES} bytes of UTF-8 (256 plain letters; fewer accented or non-Latin ones)`,
  )
  .describe(`${PASSWORD_MIN} characters as typed, at least one visible, to ${PASSWORD_MAX_BYTES} bytes of UTF-8; stored NFKC-normalised.`);

/**
 * The forms a login checks against the stored hash: the NFKC form the kit stores, then the password
 * exactly as typed when that differs. A password set outside the kit (`users.updatePassword` with
 * `cafe\u0301`, `ﬁ`, fullwidth digits) is stored as it was sent, so only the typed form matches it.
 * Every form is checked on every attempt, against the real hash or the dummy alike, so the cost
 * depends on what was typed, never on whether the account exists.
 *
 * @example
 * ```ts
 * passwordForms({ typed: 'caf\u00e9 au lait', nfkc: 'caf\u00e9 au lait' });   // ['café au lait']
 * passwordForms({ typed: 'cafe\u0301 au lait', nfkc: 'caf\u00e9 au lait' }); // ['café au lait', 'café au lait' (decomposed)]
 * ```
 */
export function passwordForms(password: Password): string[] {
  return password.typed === password.nfkc ? [password.nfkc] : [password.nfkc, password.typed];
}
