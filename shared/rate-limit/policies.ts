/**
 * Rate-limit rules from environment variables: `"5/60,20/3600"` means at most 5 hits per minute and
 * 20 per hour. Several rules on one key are how a fixed-window limiter bounds bursts across window
 * boundaries: 5/60 alone allows 10 in two seconds around a minute boundary, 5/60 plus 20/3600 still
 * caps the hour.
 *
 * @module
 */
import * as z from 'zod';
import { ConfigError } from '../config.js';
import { RULE_LIMIT_MAX, RULE_WINDOW_MAX_SECONDS, type RateLimitRule } from './store.js';

const FORMAT_HINT = 'must be comma-separated limit/seconds pairs such as "5/60,20/3600"';
const pairPattern = /^(\d{1,7})\/(\d{1,8})$/;

/**
 * Parses a rule list, returning the rules or the problems (which never quote the value).
 *
 * @example
 * ```ts
 * parseRuleList('5/60, 20/3600'); // { rules: [{ limit: 5, windowSeconds: 60 }, { limit: 20, windowSeconds: 3600 }], problems: [] }
 * ```
 */
export function parseRuleList(text: string): { rules: RateLimitRule[]; problems: string[] } {
  const parts = text.split(',').map((part) => part.trim());
  const rules: RateLimitRule[] = [];
  const problems: string[] = [];
  const windows = new Set<number>();

  parts.forEach((part, index) => {
    const position = `rule ${index + 1}`;
    const match = pairPattern.exec(part);
    if (!match) {
      problems.push(`${position} ${FORMAT_HINT}`);
      return;
    }
    const limit = Number(match[1]);
    const windowSeconds = Number(match[2]);
    if (limit < 1 || limit > RULE_LIMIT_MAX) problems.push(`${position}: limit must be between 1 and ${RULE_LIMIT_MAX}`);
    if (windowSeconds < 1 || windowSeconds > RULE_WINDOW_MAX_SECONDS) {
      problems.push(`${position}: window must be between 1 and ${RULE_WINDOW_MAX_SECONDS} seconds`);
    }
    // Two limits on one window would silently mean the smaller one; make the operator say that.
    if (windows.has(windowSeconds)) problems.push(`${position}: the ${windowSeconds}-second window is listed twice`);
    windows.add(windowSeconds);
    rules.push({ limit, windowSeconds });
  });
  return { rules: problems.length === 0 ? rules : [], problems };
}

/**
 * A zod schema for a rule-list variable in a function's config schema, with a default. Errors name
 * the variable through `parseConfig` and never echo its value.
 *
 * @example
 * ```ts
 * const schema = z.object({ LOGIN_RATE_LIMIT_IP: envRateLimitRules('5/60,20/3600') });
 * parseConfig(schema, env).LOGIN_RATE_LIMIT_IP; // [{ limit: 5, windowSeconds: 60 }, { limit: 20, windowSeconds: 3600 }]
 * ```
 */
export function envRateLimitRules(defaultValue: string) {
  const checked = parseRuleList(defaultValue);
  if (checked.problems.length > 0) throw new TypeError(`Invalid default rate-limit rules: ${checked.problems.join('; ')}`);
  return z
    .string()
    .default(defaultValue)
    .transform((value, ctx): RateLimitRule[] => {
      const { rules, problems } = parseRuleList(value);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return rules;
    });
}

/**
 * Parses one rule-list variable outside a schema, throwing a `ConfigError` that names it.
 *
 * @example
 * ```ts
 * const rules = parseRateLimitRules('LOGIN_RATE_LIMIT_IP', env.LOGIN_RATE_LIMIT_IP ?? '5/60');
 * ```
 */
export function parseRateLimitRules(variable: string, value: string): RateLimitRule[] {
  const { rules, problems } = parseRuleList(value);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `${variable}: ${problem}`));
  return rules;
}
