/**
 * Rate-limit keys, built only from what an attacker cannot choose freely: the client IP as the
 * platform reports it (`RequestFacts.clientIp`), and the account a request targets.
 *
 * - IPv4 addresses count one by one. IPv6 addresses count per /64: one subscriber usually holds a
 *   whole /64 and can pick any of its 2^64 addresses, so a per-address key would be no limit at all.
 * - An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) is the IPv4 address it carries, so a dual-stack
 *   listener does not give one client two budgets.
 * - A port is not part of the client (proxies write `198.51.100.1:1111` or `[2001:db8::1]:443`): it is
 *   dropped, or every client behind such a proxy would share `ip:unknown`.
 * - A missing or malformed IP lands in one shared `ip:unknown` bucket. That fails closed: a client that
 *   manages to hide its address shares one small budget with every other such client instead of
 *   getting a fresh one. A deployment that sees this bucket fill up has an adapter to fix.
 * - Account identifiers are hashed, so no username or phone number sits in a store, a Durable Object
 *   name or a log line. Without a secret the hash only hides them from casual view (usernames are
 *   guessable); pass a secret to make keys unlinkable to accounts for anyone who lacks it.
 *
 * @module
 */
import { sha256Hex } from '../hash.js';

/** The key of every request whose client IP is missing or malformed. */
export const UNKNOWN_IP_KEY = 'ip:unknown';

/** A client address reduced to what rate limiting counts. */
export type ClientAddress =
  | { family: 4; address: string }
  | { family: 6; /** The /64 prefix in canonical form, e.g. `2001:db8:0:1::/64`. */ prefix: string };

const ipv4Pattern = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** `[host]` or `[host]:port` (RFC 7239, RFC 3986), and `IPv4:port`; a bare IPv6 address has colons but never a port. */
const bracketed = /^\[([^\]]*)\](?::(\d{1,5}))?$/;
const ipv4WithPort = /^([\d.]+):(\d{1,5})$/;

/** The address part of a client address as proxies write it, or `null` when its port is unreadable. */
function withoutPort(raw: string): string | null {
  const text = raw.trim();
  const match = bracketed.exec(text) ?? ipv4WithPort.exec(text);
  if (!match) return text;
  // Stryker disable next-line StringLiteral: group 1 of both patterns always takes part in a match; the default only satisfies the type checker
  const [, address = '', port] = match;
  return port === undefined || Number(port) <= 65_535 ? address : null;
}

/**
 * Parses an IPv4 or IPv6 address, bare, in brackets or with a port (`203.0.113.7:443`,
 * `[2001:db8::1]:443`), into what rate limiting counts: the IPv4 address, or the IPv6 /64.
 * Returns `null` for anything malformed; leading zeros in IPv4 octets are malformed (they read as
 * octal in some parsers, so two parsers could disagree on which client it is).
 *
 * @example
 * ```ts
 * parseClientAddress('::ffff:203.0.113.7'); // { family: 4, address: '203.0.113.7' }
 * parseClientAddress('2001:db8::1');        // { family: 6, prefix: '2001:db8:0:0::/64' }
 * parseClientAddress('[2001:db8::1]:443');  // { family: 6, prefix: '2001:db8:0:0::/64' }
 * ```
 */
export function parseClientAddress(raw: string): ClientAddress | null {
  let text = withoutPort(raw);
  if (text === null) return null;
  if (ipv4Pattern.test(text)) return { family: 4, address: text };

  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const groups = parseIpv6(text.toLowerCase());
  if (!groups) return null;

  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return { family: 4, address: `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}` };
  }
  return { family: 6, prefix: `${[g0, g1, g2, g3].map((group) => group.toString(16)).join(':')}::/64` };
}

/**
 * The address alone, without brackets or port, when it parses: what an adapter reports as the client
 * IP (and may pass on, to a captcha vendor say). `null` for anything {@link parseClientAddress} refuses.
 *
 * @example
 * ```ts
 * bareClientAddress('198.51.100.1:1111'); // '198.51.100.1'
 * bareClientAddress('[2001:db8::1]:443'); // '2001:db8::1'
 * bareClientAddress('unknown');           // null
 * ```
 */
export function bareClientAddress(raw: string): string | null {
  return parseClientAddress(raw) ? withoutPort(raw) : null;
}

/** Expands an IPv6 address (with `::` and an optional dotted IPv4 tail) to its eight 16-bit groups. */
function parseIpv6(text: string): number[] | null {
  // No IPv6 address is longer than 45 characters (a full form with a dotted tail). Anything longer
  // fails the group checks below anyway; this only stops work on a hostile header early.
  // Stryker disable next-line ConditionalExpression: unobservable but for cost, as every longer input is refused below too
  if (text.length > 45) return null;

  let tail: number[] = [];
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const dotted = text.slice(lastColon + 1);
    if (!ipv4Pattern.test(dotted)) return null;
    const octets = dotted.split('.').map(Number) as [number, number, number, number];
    tail = [(octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]];
    // Keep the colon so that `::1.2.3.4` still splits around its `::`.
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }

  const halves = head.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string | undefined): number[] | null => {
    if (!part) return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
      out.push(parseInt(group, 16));
    }
    return out;
  };

  const left = parseGroups(halves[0]);
  if (!left) return null;
  if (halves.length === 1) {
    const all = [...left, ...tail];
    return all.length === 8 ? all : null;
  }
  const right = parseGroups(halves[1]);
  if (!right) return null;
  const missing = 8 - left.length - right.length - tail.length;
  // `::` stands for at least one zero group.
  if (missing < 1) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right, ...tail];
}

/**
 * The rate-limit key of a client IP as the platform reported it. IPv6 is keyed by /64; a missing or
 * malformed IP shares the single `ip:unknown` bucket.
 *
 * @example
 * ```ts
 * clientIpKey(c.env.clientIp);   // 'ip:v4:203.0.113.7', 'ip:v6:2001:db8:0:1::/64' or 'ip:unknown'
 * ```
 */
export function clientIpKey(clientIp: string | null | undefined): string {
  if (clientIp === null || clientIp === undefined) return UNKNOWN_IP_KEY;
  const address = parseClientAddress(clientIp);
  if (!address) return UNKNOWN_IP_KEY;
  return address.family === 4 ? `ip:v4:${address.address}` : `ip:v6:${address.prefix}`;
}

/** The kinds of account identifier a key can be built from. */
export type AccountKind = 'username' | 'user' | 'phone' | 'email';

/**
 * The rate-limit key of an account identifier: its kind and 32 hex digits (128 bits) of its
 * SHA-256, so no raw username or phone number is stored. Pass identifiers already normalised (a
 * normalised username, an Appwrite user ID, an E.164 phone number, a lower-cased email address) so
 * every spelling shares a key.
 *
 * @example
 * ```ts
 * await accountKey('username', normaliseUsername(body.username)); // 'acct:username:3f1a…'
 * ```
 */
export async function accountKey(kind: AccountKind, identifier: string): Promise<string> {
  return `acct:${kind}:${(await sha256Hex(`kit-rate-limit:${kind}:${identifier}`)).slice(0, 32)}`;
}
