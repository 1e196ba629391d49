/**
 * shared/validation.ts: well-formed text, and messages that tell a missing field from a wrong one.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { describeIssues, illFormedField, isWellFormedText, wellFormed } from '../shared/validation.js';

describe('well-formed text', () => {
  it('refuses a lone surrogate, high or low, anywhere, and accepts surrogate pairs', () => {
    for (const text of ['\ud800', 'abc\udfff', '\udc00\ud800', 'a\ud83d']) expect(isWellFormedText(text)).toBe(false);
    for (const text of ['', 'abc', '\ud83d\ude00', 'caf\u00e9', '\ufffd']) expect(isWellFormedText(text)).toBe(true);
  });

  it('is a zod check for strings that do not come through a JSON body', () => {
    const schema = z.object({ sub: z.string().check(wellFormed()) });
    expect(schema.safeParse({ sub: 'user-1' }).success).toBe(true);
    const refused = schema.safeParse({ sub: 'user-\ud800' });
    expect(refused.success).toBe(false);
    expect(describeIssues(refused.error!.issues)).toEqual(['sub: must be well-formed Unicode text (no lone surrogate)']);
  });

  it('finds the field of an ill-formed string at any depth, and names the object holding a bad key', () => {
    expect(illFormedField({ name: 'Ann', tags: ['a', 'b'] })).toBeNull();
    expect(illFormedField('\ud800')).toBe('body');
    expect(illFormedField({ user: { names: ['Ann', 'B\udc00b'] } })).toBe('user.names.1');
    expect(illFormedField({ user: { ['\ud800']: 1 } })).toBe('user');
    expect(illFormedField([1, null, true, { a: 'x\ud83d' }])).toBe('3.a');
  });

  it('walks a body nested thousands of levels deep without recursion', () => {
    let deep: unknown = 'bottom\ud800';
    for (let level = 0; level < 10_000; level++) deep = [deep];
    expect(illFormedField(deep)).toBe(Array(10_000).fill('0').join('.'));
  });
});

describe('describeIssues', () => {
  const schema = z.object({ username: z.string(), password: z.string().min(8, 'must be at least 8 characters') });

  it('tells a missing field from one of the wrong type when inputs are reported, quoting neither', () => {
    const result = schema.safeParse({ password: 12345678 }, { reportInput: true });
    expect(describeIssues(result.error!.issues)).toEqual(['username is required', 'password must be a string']);
  });

  it('says the body must be an object when it is an array, null or text', () => {
    for (const body of [[], [{ username: 'a', password: 'b' }], null, 'text', 5]) {
      expect(describeIssues(schema.safeParse(body, { reportInput: true }).error!.issues)).toEqual(['body must be a JSON object']);
    }
  });

  it('names the field and the rule, never the value', () => {
    const [message] = describeIssues(schema.safeParse({ username: 'alice', password: 'secret' }, { reportInput: true }).error!.issues);
    expect(message).toBe('password: must be at least 8 characters');
  });
});
