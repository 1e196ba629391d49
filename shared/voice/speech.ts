/**
 * How a code is read aloud: one character at a time, letters by the ICAO phonetic alphabet, so a
 * "b" is never heard as a "d" or a "3", and a "6 0" never as "sixty".
 *
 * @module
 */

/** ICAO/NATO words: international, so a German or Spanish voice reads them as callers expect. */
const phonetic: Record<string, string> = {
  a: 'Alfa', b: 'Bravo', c: 'Charlie', d: 'Delta', e: 'Echo', f: 'Foxtrot', g: 'Golf', h: 'Hotel', i: 'India',
  j: 'Juliett', k: 'Kilo', l: 'Lima', m: 'Mike', n: 'November', o: 'Oscar', p: 'Papa', q: 'Quebec', r: 'Romeo',
  s: 'Sierra', t: 'Tango', u: 'Uniform', v: 'Victor', w: 'Whiskey', x: 'X-ray', y: 'Yankee', z: 'Zulu',
};

/**
 * The code spelled for a text-to-speech voice: characters separated by commas (a short pause each),
 * digits as digits, letters as their phonetic word. Anything else is refused: a secret outside
 * `[0-9a-z]` means the token is not what the kit asked Appwrite for.
 *
 * @example
 * ```ts
 * spellCode('4b0f'); // '4, Bravo, 0, Foxtrot'
 * ```
 */
export function spellCode(code: string): string {
  return [...code.toLowerCase()]
    .map((character) => {
      // One code point each: no anchors needed to tell a digit.
      if (/[0-9]/.test(character)) return character;
      const word = phonetic[character];
      if (!word) throw new TypeError('A code to speak holds only digits and letters.');
      return word;
    })
    .join(', ');
}
