// The outbound fetch port inside workerd, against a loopback server global-setup starts: it reaches
// a vendor, and refuses a redirect without following it. workerd rejects `redirect: 'error'`
// outright, so the port must refuse redirects some other way on Workers.
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { fetchPort } from '../../shared/ports.js';
import { createRuntimeServices } from '../../shared/runtime/services.js';
import { silentLogger } from '../../shared/log.js';
import { systemClock } from '../../shared/clock.js';

const unused = () => {
  throw new Error('not used by the fetch port');
};
const outbound = fetchPort.create(
  createRuntimeServices({
    kind: 'workers',
    env: {},
    logger: silentLogger,
    clock: systemClock,
    appwrite: unused,
    rateLimitStore: unused,
    onceStore: unused,
  }),
);
const { solveUrl } = inject('turnstile');

describe('fetchPort in workerd', () => {
  it('reaches a vendor on loopback', async () => {
    expect(env).toBeDefined();
    const response = await outbound(solveUrl, { method: 'POST', body: 'x' });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^tu\./);
  });

  it('refuses a redirect instead of following it', async () => {
    await expect(outbound(new URL('/redirect', solveUrl))).rejects.toThrow(/302/);
  });
});
