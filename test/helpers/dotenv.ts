/**
 * Reads `.dev.vars.example` the way `wrangler dev` reads `.dev.vars`, so tests can run the Worker
 * and `npm start` with exactly the values a developer copies.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `.dev.vars.example` at the repository root. */
export const DEV_VARS_EXAMPLE = fileURLToPath(new URL('../../.dev.vars.example', import.meta.url));

const line = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/**
 * A tiny dotenv parser: `KEY=VALUE` lines, blank lines and `#` comment lines; one pair of matching
 * quotes around a value is removed. Anything else throws, naming the line, so a typo in the example
 * fails the tests instead of silently dropping a variable (wrangler would drop it too).
 *
 * @example
 * ```ts
 * parseDotenv('# comment\nAPPWRITE_PROJECT_ID=kit-local\n'); // { APPWRITE_PROJECT_ID: 'kit-local' }
 * ```
 */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = line.exec(trimmed);
    if (!match) throw new SyntaxError(`Line ${index + 1} is not KEY=VALUE: ${trimmed}`);
    const value = match[2]!.trim();
    values[match[1]!] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
  });
  return values;
}

/**
 * The variables of `.dev.vars.example`.
 *
 * @example
 * ```ts
 * const { APPWRITE_ENDPOINT, APPWRITE_API_KEY } = readDevVarsExample();
 * ```
 */
export function readDevVarsExample(): Record<string, string> {
  return parseDotenv(readFileSync(DEV_VARS_EXAMPLE, 'utf8'));
}
