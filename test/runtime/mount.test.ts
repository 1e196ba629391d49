import { describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import type { Platform } from '../../shared/platform.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { mountFunctions } from '../../shared/runtime/mount.js';

// Mounting must not change what a function answers: its CORS policy in particular.

const unused = () => Promise.reject(new Error('not used by these requests'));
const platform: Platform = {
  logger: silentLogger,
  clock: { now: () => 0 },
  users: { get: unused, create: unused, updatePassword: unused, deleteSessions: unused, createToken: unused },
  passwordVerifier: { verify: unused },
  rateLimitStore: createMemoryStore(),
};

function preflight(app: ReturnType<typeof mountFunctions>, origin: string) {
  return app.request('/password/login', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
}

describe('CORS on mounted functions', () => {
  it('follows CORS_ALLOWED_ORIGINS', async () => {
    const app = mountFunctions(kitFunctions, { CORS_ALLOWED_ORIGINS: 'https://app.example.com' }, platform);
    const allowed = await preflight(app, 'https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await preflight(app, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin by default', async () => {
    const app = mountFunctions(kitFunctions, {}, platform);
    expect((await preflight(app, 'https://anywhere.example')).headers.get('access-control-allow-origin')).toBe('*');
  });
});
