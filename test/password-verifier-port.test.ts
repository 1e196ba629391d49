/**
 * shared/passwords/port.ts: the argon2 gate each runtime gets by default. A Worker runs one
 * verification at a time and lets 16 wait; past that a login is refused at once with 503 server_busy.
 */
import { hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { passwordVerifierPort } from '../shared/passwords/port.js';
import { createTestPlatform } from './helpers/platform.js';

describe('passwordVerifierPort defaults', () => {
  it('on Workers: one verification at a time, 16 waiting, the next refused with server_busy and Retry-After 2', async () => {
    const phc = await hash('correct horse', { memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const { runtime } = createTestPlatform();
    const verifier = passwordVerifierPort.create({ ...runtime, kind: 'workers' });
    const attempts = Array.from({ length: 18 }, () => verifier.verify(phc, 'correct horse').catch((error: unknown) => error));
    const results = await Promise.all(attempts);
    expect(results.slice(0, 17)).toEqual(Array.from({ length: 17 }, () => true));
    expect(results[17]).toMatchObject({ type: 'server_busy', status: 503, headers: { 'Retry-After': '2' } });
  });
});
