/**
 * shared/errors.ts: one error shape for the kit. Kit-wide types know their status; a function
 * declares its own with defineErrors, which refuses a catalog that would break the shape.
 */
import { describe, expect, it } from 'vitest';
import { defineErrors, errorResponse, errorStatus, KitError, statusOf } from '../shared/errors.js';

describe('KitError', () => {
  it('takes the status of a kit-wide type and serialises as { message, code, type }', () => {
    const error = new KitError('rate_limited', 'Too many attempts.', { 'Retry-After': '30' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KitError');
    expect(error.status).toBe(429);
    expect(error.headers).toEqual({ 'Retry-After': '30' });
    expect(error.toJSON()).toEqual({ message: 'Too many attempts.', code: 429, type: 'rate_limited' });
    expect(new KitError('not_found', 'x').headers).toEqual({});
  });

  it('refuses a type nobody declared, unless a status is given (as a catalog does)', () => {
    expect(() => new KitError('made_up', 'x')).toThrow(new TypeError('Unknown error type made_up: declare it with defineErrors.'));
    expect(new KitError('made_up', 'x', {}, 418).status).toBe(418);
  });

  it('does not mistake the names every object inherits (constructor, toString) for kit-wide types', () => {
    for (const type of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(() => new KitError(type, 'x'), type).toThrow(new TypeError(`Unknown error type ${type}: declare it with defineErrors.`));
    }
  });
});

describe('defineErrors', () => {
  it('creates KitErrors of its types with the declared status and message, or another message', () => {
    const catalog = defineErrors({ code_expired: { status: 410, message: 'The code has expired.' } });
    const error = catalog.create('code_expired');
    expect(error.toJSON()).toEqual({ message: 'The code has expired.', code: 410, type: 'code_expired' });
    const custom = catalog.create('code_expired', 'Ask for a new code.', { 'Retry-After': '5' });
    expect(custom.toJSON()).toEqual({ message: 'Ask for a new code.', code: 410, type: 'code_expired' });
    expect(custom.headers).toEqual({ 'Retry-After': '5' });
    expect(catalog.specs.code_expired).toEqual({ status: 410, message: 'The code has expired.' });
  });

  it('accepts any 4xx or 5xx status, from 400 to 599', () => {
    expect(() => defineErrors({ low: { status: 400, message: 'x' }, high: { status: 599, message: 'x' } })).not.toThrow();
  });

  it('refuses a status that is not a whole 4xx or 5xx', () => {
    for (const status of [399, 600, 200, 401.5, Number.NaN]) {
      expect(() => defineErrors({ odd_status: { status, message: 'x' } }), String(status)).toThrow(new TypeError('Error type odd_status needs a 4xx or 5xx status.'));
    }
  });

  it('refuses a type that is not snake_case, or that shadows a kit-wide type', () => {
    for (const type of ['CodeExpired', 'code-expired', '_code', '9lives', 'code expired', 'x\n']) {
      expect(() => defineErrors({ [type]: { status: 400, message: 'x' } }), type).toThrow(new TypeError(`Error type ${type} must be snake_case.`));
    }
    expect(() => defineErrors({ a9_b: { status: 400, message: 'x' } })).not.toThrow();
    expect(() => defineErrors({ rate_limited: { status: 429, message: 'x' } })).toThrow(new TypeError('Error type rate_limited is kit-wide already; do not redeclare it.'));
  });
});

describe('statusOf', () => {
  it('knows kit-wide types, a catalog’s types, and nothing else', () => {
    const catalog = defineErrors({ invalid_credentials: { status: 401, message: 'x' } });
    expect(statusOf('rate_limited')).toBe(429);
    expect(statusOf('rate_limited', catalog)).toBe(429);
    expect(statusOf('invalid_credentials', catalog)).toBe(401);
    expect(statusOf('invalid_credentials')).toBeUndefined();
    for (const inherited of ['toString', 'constructor', '__proto__']) expect(statusOf(inherited, catalog), inherited).toBeUndefined();
  });

  it('maps every kit-wide type to a 4xx or 5xx', () => {
    for (const [type, status] of Object.entries(errorStatus)) expect(status >= 400 && status <= 599, type).toBe(true);
  });
});

describe('errorResponse', () => {
  it('answers the error’s status with its JSON body, its headers, no-store and nosniff', async () => {
    const response = errorResponse(new KitError('rate_limited', 'Too many attempts.', { 'Retry-After': '30' }));
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.json()).toEqual({ message: 'Too many attempts.', code: 429, type: 'rate_limited' });
  });
});
