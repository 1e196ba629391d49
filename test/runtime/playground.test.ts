/**
 * Where the playground is served and what npm start fills in for it, over real HTTP: `GET /` with
 * the embedded Appwrite, absent with a real one unless `PLAYGROUND=true`; the development values
 * (`shared/runtime/development.ts`) only for variables left unset, never with a real Appwrite, and
 * the development issuer at `/_dev/oidc/` only when the auth0 function has no issuer of its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';

let server: RunningNodeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(env: Record<string, string>, developmentValues = false): Promise<RunningNodeServer> {
  server = await startNodeServer({ env: { PORT: '0', ...env }, functions: kitFunctions, logger: silentLogger, developmentValues });
  return server;
}

const realAppwrite = { APPWRITE_ENDPOINT: 'https://appwrite.example.test/v1', APPWRITE_PROJECT_ID: 'real-project', APPWRITE_API_KEY: 'a-real-key-somewhere-else' };

const settingsOf = async (url: string) => (await fetch(`${url}/_dev/playground/config.json`)).json();

describe('the playground page', () => {
  it('is served at / with the embedded Appwrite: the page, its style, its bundled script and its settings', async () => {
    const { url } = await start({});
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('<script type="module" src="/_dev/playground/page.js"></script>');
    const script = await fetch(`${url}/_dev/playground/page.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // The appwrite web SDK and the page's own code, in one module.
    const bundled = await script.text();
    expect(bundled).toContain('/account/sessions/token');
    expect(bundled).toContain('/openapi.json');
    expect((await fetch(`${url}/_dev/playground/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await settingsOf(url)).toEqual({ endpoint: null, projectId: 'kit-local', outbox: true, developmentCaptchaToken: null, developmentIssuer: null });
  });

  it('is absent with a real Appwrite, and served with PLAYGROUND=true, pointing at that Appwrite without an outbox', async () => {
    const { url } = await start(realAppwrite);
    const absent = await fetch(`${url}/`);
    expect(absent.status).toBe(404);
    expect(await absent.json()).toMatchObject({ type: 'not_found' });
    await server!.close();

    const enabled = await start({ ...realAppwrite, PLAYGROUND: 'true' });
    expect((await fetch(`${enabled.url}/`)).status).toBe(200);
    expect(await settingsOf(enabled.url)).toEqual({ endpoint: realAppwrite.APPWRITE_ENDPOINT, projectId: 'real-project', outbox: false, developmentCaptchaToken: null, developmentIssuer: null });
    expect((await fetch(`${enabled.url}/`)).headers.get('content-security-policy')).toContain("connect-src 'self' https://appwrite.example.test;");
  });
});

describe("npm start's development values", () => {
  it('fill the unset variables: development captcha and voice, countries, the passkey origin and the development issuer; no secret is listed', async () => {
    const running = await start({}, true);
    const { port } = new URL(running.url);
    const settings = await settingsOf(running.url);
    expect(settings).toMatchObject({ developmentCaptchaToken: 'dev-captcha-pass', developmentIssuer: `${running.url}/_dev/oidc/` });
    expect(running.developmentValues).toEqual(
      expect.arrayContaining([
        'CAPTCHA_PROVIDER=development',
        'VOICE_PROVIDER=development',
        `PASSKEY_ORIGINS=http://localhost:5173,http://localhost:${port},http://localhost:3000,http://localhost:8787`,
        `AUTH0_ISSUER=${running.url}/_dev/oidc/`,
        `AUTH0_CALLBACK_URL=http://localhost:${port}/auth0/callback`,
        'AUTH0_CLIENT_SECRET=(made for this process)',
        'AUTH0_COOKIE_SECRET=(made for this process)',
      ]),
    );
    const discovery = (await (await fetch(`${running.url}/_dev/oidc/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(discovery.issuer).toBe(`${running.url}/_dev/oidc/`);
    // The auth0 function trusts it: a token it mints is exchanged for an Appwrite token.
    const minted = await fetch(`${running.url}/_dev/oidc/dev/access-token`, { method: 'POST', body: new URLSearchParams({ username: 'ada', roles: 'admin' }) });
    const { access_token: token } = (await minted.json()) as { access_token: string };
    const exchange = await fetch(`${running.url}/auth0/exchange`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(exchange.status).toBe(200);
    expect(await exchange.json()).toMatchObject({ userId: expect.any(String), secret: expect.any(String) });
    // The captcha works with the development token, without any variable set.
    const guest = await fetch(`${running.url}/captcha/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', captchaToken: 'dev-captcha-pass' }) });
    expect(guest.status).toBe(202);
  });

  it('leave every variable the developer set, and run no issuer when auth0 has its own', async () => {
    const running = await start({ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 'a-turnstile-secret', AUTH0_DOMAIN: 'tenant.example.com', PASSKEY_ORIGINS: 'http://localhost:5173' }, true);
    expect(running.developmentValues).toEqual(['VOICE_PROVIDER=development', 'PHONE_CALL_COUNTRIES=US,CA,GB,DE,FR']);
    expect(await settingsOf(running.url)).toMatchObject({ developmentCaptchaToken: null, developmentIssuer: null });
    expect((await fetch(`${running.url}/_dev/oidc/.well-known/openid-configuration`)).status).toBe(404);
  });

  it('are never used with a real Appwrite', async () => {
    const running = await start({ ...realAppwrite, PLAYGROUND: 'true' }, true);
    expect(running.developmentValues).toEqual([]);
    expect(await settingsOf(running.url)).toMatchObject({ developmentCaptchaToken: null, developmentIssuer: null, outbox: false });
    expect((await fetch(`${running.url}/_dev/oidc/.well-known/openid-configuration`)).status).toBe(404);
  });
});
