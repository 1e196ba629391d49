/**
 * The kit's client (`client/index.ts`) against `npm start`'s server on loopback, with the real
 * `appwrite` web SDK and the embedded Appwrite: every route of every function the registry lists,
 * through the client's methods, and every way a method fails (`KitClientError`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Account, Client } from 'appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKitClient, KitClientError } from '../../client/index.js';
import { kitFunctions } from '../../functions/index.js';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { silentLogger } from '../../shared/log.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { freshBrowser } from '../helpers/browser.js';
import { codeIn, type OutboxMessage } from '../captcha-function/helpers.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { userIdForOidcSubject } from '../../shared/sign-in/user-id.js';

/** Limits far above what these tests reach, but the per-account delays a 429 test runs into. */
const roomy = {
  PASSWORD_LIMIT_LOGIN_IP: '1000/60',
  PASSWORD_LIMIT_CHANGE_IP: '1000/60',
  PASSWORD_LIMIT_REGISTER_IP: '1000/600',
  CAPTCHA_LIMIT_EMAIL_IP: '1000/86400',
  CAPTCHA_LIMIT_SMS_IP: '1000/86400',
  CAPTCHA_LIMIT_GUEST_IP: '1000/86400',
  // One day-long window: five attempts a minute would start a fresh count across a minute boundary.
  PASSWORD_LIMIT_ACCOUNT: '5/86400',
};

let server: RunningNodeServer;
/** A server that answers what no kit answers: a proxy's HTML page, with an HTTP-date Retry-After. */
let proxy: Server;
let proxyUrl: string;
beforeAll(async () => {
  server = await startNodeServer({
    env: { PORT: '0', CAPTCHA_PROVIDER: 'development', CAPTCHA_GUEST_ENABLED: 'true', ...roomy },
    functions: kitFunctions,
    logger: silentLogger,
    embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
  proxy = createServer((_, response) =>
    response.writeHead(503, { 'content-type': 'text/html', 'retry-after': new Date(Date.now() + 120_000).toUTCString() }).end('<h1>Down</h1>'),
  );
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => proxy?.close(() => resolve()));
  delete (globalThis as { window?: unknown }).window;
});

/** A fresh browser profile: no session yet. */
function newAccount(): Account {
  freshBrowser();
  return new Account(new Client().setEndpoint(server.appwrite.endpoint).setProject(server.appwrite.projectId));
}

let account: Account;
let kit: ReturnType<typeof createKitClient<Awaited<ReturnType<Account['get']>>>>;
beforeEach(() => {
  account = newAccount();
  kit = createKitClient({ url: server.url, account });
});

const unique = (name: string) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** What a method rejected with, checked to be a `KitClientError`. */
async function failure(call: Promise<unknown>): Promise<KitClientError> {
  const error = await call.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(KitClientError);
  return error as KitClientError;
}

async function outboxTo(address: string): Promise<OutboxMessage[]> {
  const { entries } = (await (await fetch(`${server.url}/_dev/outbox`)).json()) as { entries: OutboxMessage[] };
  return entries.filter((entry) => entry.to === address);
}

describe('password', () => {
  it('register answers the user ID; login opens the session and resolves to the user', async () => {
    const username = unique('ada');
    const { userId } = await kit.password.register({ username, password: 'correct horse battery', name: 'Ada' });
    expect(userId).toMatch(/^[a-zA-Z0-9]/);

    const user = await kit.password.login({ username, password: 'correct horse battery' });
    expect(user).toMatchObject({ $id: userId, name: 'Ada' });
    // The session is the SDK's now: the app reads the user without the kit.
    expect((await account.get()).$id).toBe(userId);
  });

  it('change resolves to nothing; the old password then fails and the new one signs in', async () => {
    const username = unique('grace');
    await kit.password.register({ username, password: 'first password here' });
    await expect(kit.password.change({ username, currentPassword: 'first password here', newPassword: 'second password here' })).resolves.toBeUndefined();

    const old = await failure(kit.password.login({ username, password: 'first password here' }));
    expect(old).toMatchObject({ type: 'invalid_credentials', status: 401, retryAfter: null, name: 'KitClientError' });
    expect(old.message).toBe('Invalid username or password.');
    expect((await kit.password.login({ username, password: 'second password here' })).name).toBe(username);
  });

  it('the kit’s errors: type, status and message as the kit answers them', async () => {
    const username = unique('dup');
    await kit.password.register({ username, password: 'correct horse battery' });
    expect(await failure(kit.password.register({ username, password: 'another password' }))).toMatchObject({ type: 'username_taken', status: 409, retryAfter: null });
    const invalid = await failure(kit.password.login({ username, password: 'short' }));
    expect(invalid).toMatchObject({ type: 'invalid_request', status: 400 });
    expect(invalid.message).toMatch(/password/);
  });

  it('a 429: rate_limited with retryAfter in seconds, from Retry-After', async () => {
    const username = unique('limited');
    // PASSWORD_LIMIT_ACCOUNT (roomy): 5 attempts, then wait.
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await failure(kit.password.login({ username, password: 'not the password' }))).type).toBe('invalid_credentials');
    }
    const refused = await failure(kit.password.login({ username, password: 'not the password' }));
    expect(refused).toMatchObject({ type: 'rate_limited', status: 429 });
    expect(refused.retryAfter).toEqual(expect.any(Number));
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBeLessThanOrEqual(86_400);
  });
});

describe('captcha', () => {
  it.each([
    ['email', () => unique('ada').toLowerCase() + '@example.com'],
    ['sms', () => `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`],
  ] as const)('%s: resolves to { userId, expire, complete }; complete(code) opens the session', async (channel, address) => {
    const to = address();
    const pending =
      channel === 'email'
        ? await kit.captcha.email({ email: to, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })
        : await kit.captcha.sms({ phone: to, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
    expect(Object.keys(pending).sort()).toEqual(['complete', 'expire', 'userId']);
    expect(Date.parse(pending.expire)).toBeGreaterThan(Date.now());

    const messages = await outboxTo(to);
    expect(messages).toHaveLength(1);
    const user = await pending.complete(codeIn(messages[0]!).code);
    expect(user.$id).toBe(pending.userId);
    expect(channel === 'email' ? user.email : user.phone).toBe(to);
  });

  it('complete with a wrong code: Appwrite’s refusal as a KitClientError', async () => {
    const pending = await kit.captcha.email({ email: `${unique('wrong')}@example.com`, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
    const refused = await failure(pending.complete('00000000'));
    expect(refused).toMatchObject({ type: 'user_invalid_token', status: 401, retryAfter: null });
    expect(refused.cause).toBeInstanceOf(Error);
  });

  it('guest: resolves to the new user, signed in', async () => {
    const user = await kit.captcha.guest({ captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
    expect((await account.get()).$id).toBe(user.$id);
  });

  it('a refused captcha: captcha_invalid 403', async () => {
    expect(await failure(kit.captcha.guest({ captchaToken: 'not-the-development-token' }))).toMatchObject({ type: 'captcha_invalid', status: 403 });
  });
});

describe('where the functions are', () => {
  it('one base URL per function (Appwrite Functions: routes at each one’s root)', async () => {
    const perFunction = createKitClient({ url: { password: `${server.url}/password/` }, account });
    const username = unique('own');
    await perFunction.password.register({ username, password: 'correct horse battery' });
    expect((await perFunction.password.login({ username, password: 'correct horse battery' })).name).toBe(username);
    expect(await failure(perFunction.captcha.guest({ captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }))).toMatchObject({ type: 'client_config', status: 0 });
  });

  it('a base URL with a trailing slash', async () => {
    const slashed = createKitClient({ url: `${server.url}/`, account });
    expect((await slashed.captcha.guest({ captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).$id).toEqual(expect.any(String));
  });

  it('a function this server lacks: the 404, not a network error', async () => {
    const elsewhere = createKitClient({ url: `${server.url}/nowhere`, account });
    expect(await failure(elsewhere.password.login({ username: 'ada', password: 'correct horse battery' }))).toMatchObject({ type: 'not_found', status: 404 });
  });
});

describe('failures that are not the kit’s answers', () => {
  it('nothing listening: network_error, status 0', async () => {
    const down = createKitClient({ url: 'http://127.0.0.1:9', account });
    const error = await failure(down.password.login({ username: 'ada', password: 'correct horse battery' }));
    expect(error).toMatchObject({ type: 'network_error', status: 0, retryAfter: null });
    expect(error.cause).toBeDefined();
  });

  it('an abandoned call: aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await failure(kit.password.login({ username: 'ada', password: 'correct horse battery' }, { signal: controller.signal }))).toMatchObject({ type: 'aborted', status: 0 });
  });

  it('an answer without the kit’s error shape: unexpected_response, with an HTTP-date Retry-After in seconds', async () => {
    const viaProxy = createKitClient({ url: proxyUrl, account });
    const error = await failure(viaProxy.password.login({ username: 'ada', password: 'correct horse battery' }));
    expect(error).toMatchObject({ type: 'unexpected_response', status: 503 });
    expect(error.retryAfter).toBeGreaterThanOrEqual(100);
    expect(error.retryAfter).toBeLessThanOrEqual(120);
  });
});

describe('auth0', () => {
  let issuer: OidcIssuer;
  let auth0Server: RunningNodeServer;
  beforeAll(async () => {
    issuer = await startOidcIssuer();
    auth0Server = await startNodeServer({
      env: {
        PORT: '0',
        ...issuer.env(),
        AUTH0_CLIENT_SECRET: issuer.clientSecret,
        AUTH0_CALLBACK_URL: 'http://127.0.0.1:9/auth0/callback',
        AUTH0_COOKIE_SECRET: 'f'.repeat(64),
        AUTH0_REDIRECT_ORIGINS: 'http://localhost:5173',
      },
      functions: kitFunctions,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await auth0Server?.close();
    await issuer?.close();
  });

  const auth0Kit = () => {
    freshBrowser();
    const own = new Account(new Client().setEndpoint(auth0Server.appwrite.endpoint).setProject(auth0Server.appwrite.projectId));
    return { own, kit: createKitClient({ url: auth0Server.url, account: own }) };
  };

  it('exchange opens the session for the (iss, sub) user and resolves to it; again, the same user', async () => {
    const { own, kit: client } = auth0Kit();
    const token = await issuer.sign(issuer.accessClaims({ sub: 'auth0|client-test' }));
    const user = await client.auth0.exchange({ token });
    expect(user.$id).toBe(await userIdForOidcSubject(issuer.url, 'auth0|client-test'));
    expect((await own.get()).$id).toBe(user.$id);
    const again = auth0Kit();
    expect((await again.kit.auth0.exchange({ token: await issuer.sign(issuer.accessClaims({ sub: 'auth0|client-test' })) })).$id).toBe(user.$id);
  });

  it('a token the verifier refuses is a KitClientError invalid_token 401, and no session opens', async () => {
    const { own, kit: client } = auth0Kit();
    const expired = await issuer.sign(issuer.accessClaims({ sub: 'auth0|late', exp: Math.floor(Date.now() / 1000) - 3600 }));
    expect(await failure(client.auth0.exchange({ token: expired }))).toMatchObject({ type: 'invalid_token', status: 401 });
    await expect(own.get()).rejects.toThrow();
  });

  it('login is a URL to open on the kit, carrying where to come back, without a request', () => {
    const { kit: client } = auth0Kit();
    const url = new URL(client.auth0.login({ success: 'http://localhost:5173/ok', failure: 'http://localhost:5173/no' }));
    expect(`${url.origin}${url.pathname}`).toBe(`${auth0Server.url}/auth0/login`);
    expect(url.searchParams.get('success')).toBe('http://localhost:5173/ok');
  });
});
