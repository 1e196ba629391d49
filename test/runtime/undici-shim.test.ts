import { describe, expect, it } from 'vitest';
import * as shim from '../../shared/runtime/undici-shim.js';

// What node-appwrite does with the names it imports from undici, done with the shim's.
describe('undici shim', () => {
  it('makes platform FormData instances, looked up only when one is made', () => {
    const form = new shim.FormData();
    form.append('file', new shim.File(['hello'], 'hello.txt'));
    expect(form).toBeInstanceOf(globalThis.FormData);
    expect((form.get('file') as File).name).toBe('hello.txt');
  });

  it('refuses a self-signed Agent loudly', () => {
    expect(() => new shim.Agent()).toThrow(/client\.setSelfSigned\(\) is unsupported/);
  });
});
