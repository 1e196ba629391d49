/**
 * shared/config.ts: how environment variables become configuration. Unset and blank variables take
 * their defaults, values are trimmed, and a bad variable is refused with a message that names it and
 * the rule it broke, never its value.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { appwriteConnectionSchema, ConfigError, envBool, envInt, parseConfig, type EnvSource } from '../shared/config.js';

const problemsOf = (schema: z.ZodType, env: EnvSource): readonly string[] => {
  try {
    parseConfig(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
};

describe('parseConfig', () => {
  const schema = z.object({ LIMIT: envInt({ min: 60, max: 3600, default: 600 }), NAME: z.string().default('kit') });

  it('gives an unset, empty or blank variable its default, as `FOO=` in a dotenv file means', () => {
    expect(parseConfig(schema, {})).toEqual({ LIMIT: 600, NAME: 'kit' });
    expect(parseConfig(schema, { LIMIT: '', NAME: '' })).toEqual({ LIMIT: 600, NAME: 'kit' });
    expect(parseConfig(schema, { LIMIT: ' \t', NAME: '  ' })).toEqual({ LIMIT: 600, NAME: 'kit' });
    expect(parseConfig(schema, { LIMIT: undefined })).toEqual({ LIMIT: 600, NAME: 'kit' });
  });

  it('trims the spaces a copied value brings along', () => {
    expect(parseConfig(schema, { LIMIT: ' 120 ', NAME: '  my kit\n' })).toEqual({ LIMIT: 120, NAME: 'my kit' });
  });

  it('refuses with a ConfigError listing every variable at fault, never quoting a value', () => {
    const error = (() => {
      try {
        parseConfig(z.object({ A: z.string().min(20), B: envInt({ min: 1, max: 2, default: 1 }) }), { A: 'secret-key', B: '3' });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.name).toBe('ConfigError');
    expect(error!.problems).toEqual([expect.stringMatching(/^A: /), 'B: must be at most 2']);
    expect(error!.message).toBe(`Invalid configuration: ${error!.problems.join('; ')}`);
    expect(error!.message).not.toContain('secret-key');
  });

  it('tells the client only that the function is misconfigured: 500 config_invalid naming no variable', () => {
    const kitError = new ConfigError(['APPWRITE_API_KEY is required']).toKitError();
    expect(kitError.toJSON()).toEqual({ code: 500, type: 'config_invalid', message: 'The function is not configured correctly. See its logs.' });
  });
});

describe('envInt', () => {
  // Built inside each test, so mutation testing sees envInt run by the test that checks it.
  let schema: z.ZodType;
  beforeEach(() => {
    schema = z.object({ TTL: envInt({ min: 60, max: 3600, default: 600 }) });
  });

  it('accepts whole numbers from min to max inclusive, and nothing past them', () => {
    expect(parseConfig(schema, { TTL: '60' })).toEqual({ TTL: 60 });
    expect(parseConfig(schema, { TTL: '3600' })).toEqual({ TTL: 3600 });
    expect(problemsOf(schema, { TTL: '59' })).toEqual(['TTL: must be at least 60']);
    expect(problemsOf(schema, { TTL: '3601' })).toEqual(['TTL: must be at most 3600']);
  });

  it('says a fraction or a word must be a number, not that the variable is missing', () => {
    expect(problemsOf(schema, { TTL: '600.5' })).toEqual(['TTL must be a whole number']);
    expect(problemsOf(schema, { TTL: 'ten minutes' })).toEqual(['TTL must be a number']);
  });
});

describe('envBool', () => {
  const schema = z.object({ ON: envBool(false), OFF: envBool(true) });

  it('reads true/false, 1/0 and yes/no in lower, upper and title case', () => {
    for (const yes of ['true', 'TRUE', 'True', '1', 'yes', 'YES']) expect(parseConfig(schema, { ON: yes }).ON).toBe(true);
    for (const no of ['false', 'FALSE', 'False', '0', 'no', 'NO']) expect(parseConfig(schema, { OFF: no }).OFF).toBe(false);
  });

  it('keeps its default when unset, and refuses anything else rather than guessing', () => {
    expect(parseConfig(schema, {})).toEqual({ ON: false, OFF: true });
    for (const other of ['on', 'y', 'tRUE', '2']) expect(problemsOf(schema, { ON: other })).toEqual(['ON: must be true or false']);
  });
});

describe('appwriteConnectionSchema', () => {
  const valid = { APPWRITE_ENDPOINT: 'https://appwrite.example.com/v1', APPWRITE_PROJECT_ID: 'kit', APPWRITE_API_KEY: 'standard_abc' };

  it('reads the endpoint, project and key, with a 10 s timeout unless set', () => {
    expect(parseConfig(appwriteConnectionSchema, valid)).toEqual({ ...valid, APPWRITE_TIMEOUT_MS: 10_000 });
  });

  it('accepts an http endpoint and one ending in /v1/, kept without the trailing slash', () => {
    const endpoint = parseConfig(appwriteConnectionSchema, { ...valid, APPWRITE_ENDPOINT: 'http://127.0.0.1:8080/v1/' }).APPWRITE_ENDPOINT;
    expect(endpoint).toBe('http://127.0.0.1:8080/v1');
  });

  it('refuses an endpoint that is not http(s), or does not end in /v1', () => {
    expect(problemsOf(appwriteConnectionSchema, { ...valid, APPWRITE_ENDPOINT: 'ftp://appwrite.example.com/v1' })).toEqual([
      'APPWRITE_ENDPOINT: must be an http(s) URL ending in /v1',
    ]);
    for (const endpoint of ['https://appwrite.example.com', 'https://appwrite.example.com/v1/databases', 'https://appwrite.example.com/v10']) {
      expect(problemsOf(appwriteConnectionSchema, { ...valid, APPWRITE_ENDPOINT: endpoint })).toEqual([
        'APPWRITE_ENDPOINT: must end in /v1, e.g. https://cloud.appwrite.io/v1',
      ]);
    }
  });

  it('requires all three, and bounds the timeout to 100 ms – 60 s', () => {
    expect(problemsOf(appwriteConnectionSchema, {})).toEqual(['APPWRITE_ENDPOINT is required', 'APPWRITE_PROJECT_ID is required', 'APPWRITE_API_KEY is required']);
    expect(parseConfig(appwriteConnectionSchema, { ...valid, APPWRITE_TIMEOUT_MS: '100' }).APPWRITE_TIMEOUT_MS).toBe(100);
    expect(parseConfig(appwriteConnectionSchema, { ...valid, APPWRITE_TIMEOUT_MS: '60000' }).APPWRITE_TIMEOUT_MS).toBe(60_000);
    expect(problemsOf(appwriteConnectionSchema, { ...valid, APPWRITE_TIMEOUT_MS: '99' })).toEqual(['APPWRITE_TIMEOUT_MS: must be at least 100']);
    expect(problemsOf(appwriteConnectionSchema, { ...valid, APPWRITE_TIMEOUT_MS: '60001' })).toEqual(['APPWRITE_TIMEOUT_MS: must be at most 60000']);
  });
});
