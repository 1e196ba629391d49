/**
 * A runtime builds only the ports a function names: the services it offers are factories, and a
 * factory no port calls never runs (a Worker without a RATE_LIMITER binding still serves a function
 * that counts nothing; a function without the argon2 port never reads ARGON2_*).
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createFunctionApp } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { passwordVerifierPort } from '../../shared/passwords/port.js';
import { defineFunction, type PortProviders } from '../../shared/platform.js';
import { fetchPort, oncePort, rateLimitsPort, usersPort } from '../../shared/ports.js';
import { deliveryPort } from '../../shared/sign-in/delivery-port.js';
import { createRuntimeServices } from '../../shared/runtime/services.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';

/** Runtime services whose every factory records that it ran, and fails if it was not expected. */
function recordingServices(env: Record<string, string> = {}) {
  const built: string[] = [];
  const refuse = (name: string) => () => {
    built.push(name);
    throw new Error(`${name} was built but no port asked for it`);
  };
  const runtime = createRuntimeServices({
    kind: 'node',
    env,
    logger: silentLogger,
    clock: { now: () => 0 },
    appwrite: refuse('appwrite'),
    onceStore: refuse('onceStore'),
    rateLimitStore: () => {
      built.push('rateLimitStore');
      return createMemoryStore();
    },
  });
  return { runtime, built };
}

function fn(ports: PortProviders) {
  return defineFunction({
    name: 'probe',
    summary: 'Asks for some ports.',
    configSchema: z.object({}),
    ports,
    routes: {},
    createApp: (_config, given) => createFunctionApp({ logger: given.logger }),
  });
}

describe('ports per function', () => {
  it('builds nothing for a function that names no port, whatever the environment says', () => {
    const { runtime, built } = recordingServices({ ARGON2_MAX_CONCURRENCY: '0' });
    fn({}).build({ ARGON2_MAX_CONCURRENCY: '0' }, runtime);
    expect(built).toEqual([]);
  });

  it('builds exactly the services its ports use', () => {
    const { runtime, built } = recordingServices();
    fn({ limits: rateLimitsPort, fetch: fetchPort }).build({}, runtime);
    expect(built).toEqual(['rateLimitStore']);
  });

  it('reaches Appwrite only through a port that needs it', () => {
    const { runtime, built } = recordingServices();
    expect(() => fn({ users: usersPort }).build({}, runtime)).toThrow(/no port asked/);
    expect(built).toEqual(['appwrite']);
  });

  it('unions the Appwrite scopes of its ports, sorted, for appwrite.json', () => {
    expect(fn({}).appwriteScopes).toEqual([]);
    expect(fn({ passwordVerifier: passwordVerifierPort, fetch: fetchPort }).appwriteScopes).toEqual([]);
    expect(fn({ users: usersPort, limits: rateLimitsPort, once: oncePort, delivery: deliveryPort }).appwriteScopes).toEqual([
      'messages.write',
      'rows.read',
      'rows.write',
      'users.read',
      'users.write',
    ]);
  });
});
