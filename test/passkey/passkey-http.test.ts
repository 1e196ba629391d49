/**
 * The passkey function end to end through `npm start`'s server: real HTTP on loopback, the embedded
 * Appwrite holding users and the passkey table, the software authenticator in place of the browser's,
 * and the real `appwrite` web SDK opening the session and making the JWT. Every answer is checked
 * against the OpenAPI document the server serves.
 */
import { Account, AppwriteException, Client } from 'appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import passkeyFunction from '../../functions/passkey/index.js';
import { silentLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { freshBrowser } from '../helpers/browser.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { createSoftAuthenticator } from './authenticator.js';

const ORIGIN = 'http://localhost:5173';
let server: RunningNodeServer;
let counter = 0;
const uniqueName = () => `pk${Date.now().toString(36)}${counter++}`;

beforeAll(async () => {
  server = await startNodeServer({
    env: {
      PORT: '0',
      PASSKEY_RP_ID: 'localhost',
      PASSKEY_RP_NAME: 'Kit test',
      PASSKEY_ORIGINS: ORIGIN,
      PASSKEY_CHALLENGE_SECRET: 'npm-start-test-secret-0123456789abcdef',
    },
    functions: [passkeyFunction],
    logger: silentLogger,
  });
});
afterAll(() => server.close());
beforeEach(() => freshBrowser());

const document = openApiDocument([passkeyFunction], { mounted: true });

async function post(path: string, body: unknown) {
  const response = await fetch(`${server.url}/passkey${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await expectDocumentedAnswer(document, 'post', `/passkey${path}`, response.clone());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, each test checks the fields it reads
  return { status: response.status, body: (response.status === 204 ? null : await response.json()) as Record<string, any> };
}

const webAccount = () => new Account(new Client().setEndpoint(server.appwrite.endpoint).setProject(server.appwrite.projectId));

describe('passkey sign-up → sign-in → account.createSession', () => {
  it('opens a session for the passkey user, and the passkey is in the Appwrite table', async () => {
    const authenticator = createSoftAuthenticator({ origin: ORIGIN });
    const username = uniqueName();
    const options = await post('/sign-up/options', { username });
    expect(options).toMatchObject({ status: 200, body: { rp: { id: 'localhost', name: 'Kit test' }, user: { name: username }, attestation: 'none' } });
    const signUp = await post('/sign-up/verify', { response: authenticator.create(options.body as never) });
    expect(signUp.status).toBe(200);

    const signInOptions = await post('/sign-in/options', { username });
    const signIn = await post('/sign-in/verify', { response: authenticator.get(signInOptions.body as never) });
    expect(signIn).toMatchObject({ status: 200, body: { userId: signUp.body.userId } });

    const account = webAccount();
    await account.createSession({ userId: signIn.body.userId, secret: signIn.body.secret });
    expect((await account.get()).$id).toBe(signUp.body.userId);
    // The secret was spent by the exchange.
    await expect(webAccount().createSession({ userId: signIn.body.userId, secret: signIn.body.secret })).rejects.toBeInstanceOf(AppwriteException);

    // And the signed-in client manages its passkeys with a JWT.
    const { jwt } = await account.createJWT();
    const list = await post('/passkeys/list', { jwt });
    expect(list.body.passkeys).toHaveLength(1);
    expect(list.body.passkeys[0].lastUsedAt).not.toBeNull();
  });

  it('adds a passkey to a signed-in user who signed up without one, and refuses a replay', async () => {
    const first = createSoftAuthenticator({ origin: ORIGIN });
    const signUp = await post('/sign-up/verify', { response: first.create((await post('/sign-up/options', { username: uniqueName() })).body as never) });
    const account = webAccount();
    await account.createSession({ userId: signUp.body.userId, secret: signUp.body.secret });
    const { jwt } = await account.createJWT();

    const second = createSoftAuthenticator({ origin: ORIGIN });
    const options = await post('/add/options', { jwt });
    const response = second.create(options.body as never);
    expect((await post('/add/verify', { jwt, response })).status).toBe(201);
    expect(await post('/add/verify', { jwt, response })).toMatchObject({ status: 400, body: { type: 'challenge_invalid' } });
    expect((await post('/passkeys/list', { jwt })).body.passkeys).toHaveLength(2);

    const signIn = await post('/sign-in/verify', { response: second.get((await post('/sign-in/options', {})).body as never) });
    expect(signIn).toMatchObject({ status: 200, body: { userId: signUp.body.userId } });
  });
});
