// The passkey function inside workerd: @simplewebauthn/server verifying the software
// authenticator's attestation and assertion in a Worker built from the function list, with the
// bindings of .dev.vars.example; users and the passkey table in npm start's embedded Appwrite,
// challenges burnt in the ONCE_STORE Durable Object, the secret exchanged with the `appwrite` web SDK.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Account, Client } from 'appwrite';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { stubBrowserStorage } from './browser-storage.js';
import { passkeyFunction } from '../../functions/passkey/index.js';
import { createWorker } from '../../shared/runtime/workers.js';
import { createSoftAuthenticator } from '../passkey/authenticator.js';

const ORIGIN = 'https://app.example.com';
const worker = createWorker([passkeyFunction]);
const passkeyEnv = {
  ...env,
  PASSKEY_RP_ID: 'example.com',
  PASSKEY_RP_NAME: 'Kit in workerd',
  PASSKEY_ORIGINS: ORIGIN,
  PASSKEY_CHALLENGE_SECRET: 'workerd-test-challenge-secret-0123456789',
};

async function post(path: string, body: unknown) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://kit.test/passkey${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.90' }, body: JSON.stringify(body) }),
    passkeyEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, each test checks the fields it reads
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

afterEach(() => vi.unstubAllGlobals());

describe('passkey function in workerd', () => {
  it('signs up and in with a passkey; the secret opens a session; a replayed challenge is refused', async () => {
    const authenticator = createSoftAuthenticator({ origin: ORIGIN });
    const username = `wk${Date.now().toString(36)}`;
    const options = await post('/sign-up/options', { username });
    expect(options.status).toBe(200);
    const signUp = await post('/sign-up/verify', { response: authenticator.create(options.body as never) });
    expect(signUp.status).toBe(200);

    const request = await post('/sign-in/options', {});
    const signIn = await post('/sign-in/verify', { response: authenticator.get(request.body as never) });
    expect(signIn).toMatchObject({ status: 200, body: { userId: signUp.body.userId } });
    expect(await post('/sign-in/verify', { response: authenticator.get(request.body as never) })).toMatchObject({ status: 400, body: { type: 'challenge_invalid' } });

    stubBrowserStorage();
    const account = new Account(new Client().setEndpoint(inject('appwriteEndpoint')).setProject(inject('appwriteProjectId')));
    await account.createSession({ userId: signIn.body.userId, secret: signIn.body.secret });
    expect((await account.get()).$id).toBe(signUp.body.userId);
  });
});
