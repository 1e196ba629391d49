import { describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { mountFunctions } from '../../shared/runtime/mount.js';
import { createTestPlatform } from '../helpers/platform.js';

// Mounting must not change what a function answers: its CORS policy in particular.

const { runtime } = createTestPlatform();

function preflight(app: ReturnType<typeof mountFunctions>, origin: string) {
  return app.request('/password/login', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
}

describe('CORS on mounted functions', () => {
  it('follows CORS_ALLOWED_ORIGINS', async () => {
    const app = mountFunctions(kitFunctions, { CORS_ALLOWED_ORIGINS: 'https://app.example.com' }, runtime);
    const allowed = await preflight(app, 'https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await preflight(app, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin by default', async () => {
    const app = mountFunctions(kitFunctions, {}, runtime);
    expect((await preflight(app, 'https://anywhere.example')).headers.get('access-control-allow-origin')).toBe('*');
  });
});
