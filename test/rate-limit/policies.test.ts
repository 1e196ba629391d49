import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ConfigError, parseConfig } from '../../shared/config.js';
import { envRateLimitRules, parseRateLimitRules, parseRuleList } from '../../shared/rate-limit/policies.js';

describe('rate-limit policies', () => {
  it('parses limit/seconds pairs in order, tolerating spaces', () => {
    expect(parseRateLimitRules('X', '5/60, 10/900 ,20/3600')).toEqual([
      { limit: 5, windowSeconds: 60 },
      { limit: 10, windowSeconds: 900 },
      { limit: 20, windowSeconds: 3600 },
    ]);
  });

  it('names the variable and the faulty rule, never the value', () => {
    try {
      parseRateLimitRules('LOGIN_RATE_LIMIT_IP', '5/60,abc/9,0/10,3/60');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems } = error as ConfigError;
      expect(problems).toEqual([
        'LOGIN_RATE_LIMIT_IP: rule 2 must be comma-separated limit/seconds pairs such as "5/60,20/3600"',
        'LOGIN_RATE_LIMIT_IP: rule 3: limit must be between 1 and 1000000',
        'LOGIN_RATE_LIMIT_IP: rule 4: the 60-second window is listed twice',
      ]);
      expect((error as Error).message).not.toContain('abc');
    }
  });

  it('refuses empty parts, negative numbers, windows beyond a year', () => {
    for (const bad of ['', ',', '5/60,', '-1/60', '5/-60', '5/0', '5', '5/60/7', '1/31622401', '5.5/60']) {
      expect(parseRuleList(bad).problems.length, bad).toBeGreaterThan(0);
      expect(parseRuleList(bad).rules).toEqual([]);
    }
  });

  it('accepts rules at their edges: limit 1 to 1000000, window 1 to 31622400 seconds (a leap year)', () => {
    expect(parseRuleList('1/1')).toEqual({ rules: [{ limit: 1, windowSeconds: 1 }], problems: [] });
    expect(parseRuleList('1000000/60').rules).toEqual([{ limit: 1_000_000, windowSeconds: 60 }]);
    expect(parseRuleList('5/31622400').rules).toEqual([{ limit: 5, windowSeconds: 31_622_400 }]);
    expect(parseRuleList('1000000/31622400').problems).toEqual([]);
  });

  it('refuses rules just past their edges, naming which bound', () => {
    expect(parseRuleList('1000001/60').problems).toEqual(['rule 1: limit must be between 1 and 1000000']);
    expect(parseRuleList('0/60').problems).toEqual(['rule 1: limit must be between 1 and 1000000']);
    expect(parseRuleList('5/0').problems).toEqual(['rule 1: window must be between 1 and 31622400 seconds']);
    expect(parseRuleList('5/31622401').problems).toEqual(['rule 1: window must be between 1 and 31622400 seconds']);
    for (const bad of ['1000001/60', '0/60', '5/0', '5/31622401']) expect(parseRuleList(bad).rules, bad).toEqual([]);
  });

  it('works inside a config schema, with a default and the variable named on error', () => {
    const schema = z.object({ LOGIN_RATE_LIMIT_IP: envRateLimitRules('5/60,20/3600') });
    expect(parseConfig(schema, {}).LOGIN_RATE_LIMIT_IP).toEqual([
      { limit: 5, windowSeconds: 60 },
      { limit: 20, windowSeconds: 3600 },
    ]);
    expect(parseConfig(schema, { LOGIN_RATE_LIMIT_IP: '' }).LOGIN_RATE_LIMIT_IP).toHaveLength(2);
    expect(parseConfig(schema, { LOGIN_RATE_LIMIT_IP: '3/10' }).LOGIN_RATE_LIMIT_IP).toEqual([{ limit: 3, windowSeconds: 10 }]);
    expect(() => parseConfig(schema, { LOGIN_RATE_LIMIT_IP: 'lots' })).toThrow(/LOGIN_RATE_LIMIT_IP: rule 1 must be/);
  });

  it('refuses a broken default at definition time', () => {
    expect(() => envRateLimitRules('nope')).toThrow(TypeError);
    // Every problem, so the author fixes the default in one go.
    expect(() => envRateLimitRules('0/60,5/0')).toThrow(
      new TypeError('Invalid default rate-limit rules: rule 1: limit must be between 1 and 1000000; rule 2: window must be between 1 and 31622400 seconds'),
    );
  });

  it('reports each problem of a variable as its own custom zod issue, for callers that parse the schema themselves', () => {
    const result = z.object({ LOGIN_RATE_LIMIT_IP: envRateLimitRules('5/60') }).safeParse({ LOGIN_RATE_LIMIT_IP: '0/60,5/0' });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ code: 'custom', path: ['LOGIN_RATE_LIMIT_IP'], message: 'rule 1: limit must be between 1 and 1000000' }),
      expect.objectContaining({ code: 'custom', path: ['LOGIN_RATE_LIMIT_IP'], message: 'rule 2: window must be between 1 and 31622400 seconds' }),
    ]);
  });
});
