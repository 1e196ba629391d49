/**
 * The playground (`GET /` on `npm start`) in headless chromium: each panel's sign-in as a person
 * would click it, asserting the user `account.get()` shows in that panel. `npm start` runs as a
 * developer runs it, on a port chosen here (the passkey origin is the page's own), with guest
 * sign-in on. Passkeys use a CDP virtual authenticator. Each panel is saved after its sign-in to
 * `test-artifacts/playground/` (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import { startNodeServer } from '../../shared/runtime/node.js';
import { helloFunction } from '../fixtures/hello/index.js';
import { chromiumMissing, launchChromium, type Chromium } from '../helpers/chromium.js';
import { startNpmStart, type NpmStart } from '../helpers/npm-start.js';

const missing = chromiumMissing();
const artifacts = fileURLToPath(new URL('../../test-artifacts/playground/', import.meta.url));

/** A port nobody listens on now, for npm start (the page's origin must be known for passkeys). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** ICAO words back to the characters they spell (`X-ray` → `x`); digits stay digits. */
function unspell(spoken: string): string {
  const spelled = /((?:(?:\d|[A-Z][a-z-]+), ){5,}(?:\d|[A-Z][a-z-]+))/.exec(spoken)?.[1];
  if (!spelled) throw new Error('No spelled code in the call.');
  return spelled
    .split(', ')
    .map((word) => word[0]!.toLowerCase())
    .join('');
}

describe.skipIf(missing !== null)('the playground in chromium', () => {
  let server: NpmStart;
  let browser: Chromium;
  let tab: Page;
  let origin: string;

  const panel = (name: string) => tab.locator(`section[data-function="${name}"]`);
  const form = (operationId: string) => tab.locator(`form[data-operation="${operationId}"]`);
  /** The user ID the panel's account card shows, once `account.get()` answered; else what the panel shows instead. */
  async function signedInUser(section: Locator): Promise<string> {
    try {
      return (await section.locator('[data-result] [data-field="userId"]').textContent({ timeout: 20_000 }))!;
    } catch (error) {
      throw new Error(`Not signed in; the panel shows: ${await section.locator('[data-result]').textContent()}`, { cause: error });
    }
  }
  const screenshot = (section: Locator, name: string) => section.screenshot({ path: `${artifacts}${name}.png` });

  async function open(): Promise<void> {
    await tab.goto(`${origin}/`);
    await tab.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  }

  /** The code of the newest outbox message, as the panel shows it after a code was sent. */
  async function deliveredText(section: Locator): Promise<string> {
    return (await section.locator('[data-delivered] pre').textContent({ timeout: 20_000 }))!;
  }

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const port = await freePort();
    origin = `http://localhost:${port}`;
    server = await startNpmStart({ PORT: String(port), CAPTCHA_GUEST_ENABLED: 'true' });
    browser = await launchChromium();
    tab = await browser.context.newPage();
    const cdp = await browser.context.newCDPSession(tab);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
  }, 120_000);
  // Each test from a freshly loaded page (the session, a cookie, stays): one broken flow fails alone.
  beforeEach(open);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows one panel per function of the OpenAPI document, and the outbox', async () => {
    const names = await tab.locator('section[data-function]').evaluateAll((sections) => sections.map((section) => section.getAttribute('data-function')));
    expect(names).toEqual(['password', 'captcha', 'auth0', 'phone-call', 'passkey']);
    await expect.poll(() => tab.locator('#outbox').isVisible()).toBe(true);
  });

  it('password: registers, logs in, shows the account, and a wrong password as invalid_credentials', async () => {
    const username = `ada${Date.now().toString(36)}`;
    const register = form('password.register');
    await register.getByLabel('username', { exact: true }).fill(username);
    await register.getByLabel('password', { exact: true }).fill('correct horse battery');
    await register.getByRole('button', { name: 'Send' }).click();
    const answer = panel('password').locator('[data-answer]');
    const { userId } = JSON.parse((await answer.textContent({ timeout: 20_000 }))!) as { userId: string };

    const login = form('password.login');
    await login.getByLabel('username', { exact: true }).fill(username);
    await login.getByLabel('password', { exact: true }).fill('not the password');
    await login.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => panel('password').locator('[data-error-type]').textContent()).toBe('invalid_credentials');

    await login.getByLabel('password', { exact: true }).fill('correct horse battery');
    await login.getByRole('button', { name: 'Send' }).click();
    expect(await signedInUser(panel('password'))).toBe(userId);
    await expect.poll(() => tab.locator('#account [data-field="userId"]').textContent()).toBe(userId);
    await screenshot(panel('password'), 'password');
  });

  it('captcha: email code from the outbox, SMS code, and guest', async () => {
    const section = panel('captcha');
    const email = form('captcha.email');
    await email.getByLabel('email', { exact: true }).fill(`grace${Date.now().toString(36)}@example.com`);
    await email.getByLabel('I am human (development captcha)').check();
    await email.getByRole('button', { name: 'Send' }).click();
    const userId = (await section.locator('[data-code-for]').getAttribute('data-code-for', { timeout: 20_000 }))!;
    const code = /[0-9a-f]{8}/.exec(await deliveredText(section))![0];
    await section.getByLabel('Code', { exact: true }).fill(code);
    await section.getByRole('button', { name: 'Sign in with the code' }).click();
    expect(await signedInUser(section)).toBe(userId);
    await expect.poll(() => section.locator('[data-field="email"]').textContent()).toMatch(/@example\.com/);
    await screenshot(section, 'captcha-email');

    const sms = form('captcha.sms');
    await sms.getByLabel('phone', { exact: true }).fill('+14155550123');
    await sms.getByLabel('I am human (development captcha)').check();
    await sms.getByRole('button', { name: 'Send' }).click();
    const phoneUser = (await section.locator('[data-code-for]').getAttribute('data-code-for', { timeout: 20_000 }))!;
    const smsCode = /[0-9a-f]{8}/.exec(await deliveredText(section))![0];
    await section.getByLabel('Code', { exact: true }).fill(smsCode);
    await section.getByRole('button', { name: 'Sign in with the code' }).click();
    expect(await signedInUser(section)).toBe(phoneUser);
    await expect.poll(() => section.locator('[data-field="phone"]').textContent()).toContain('+14155550123');

    const guest = form('captcha.guest');
    await guest.getByLabel('I am human (development captcha)').check();
    await guest.getByRole('button', { name: 'Send' }).click();
    const guestUser = await signedInUser(section);
    expect(guestUser).not.toBe(phoneUser);
    expect(guestUser).not.toBe(userId);
  });

  it('auth0: signs in through the development issuer (redirect flow) and leaves no secret in the URL', async () => {
    await form('auth0.login').getByRole('button', { name: 'Sign in with the development issuer' }).click();
    await tab.waitForURL(/\/_dev\/oidc\/authorize/);
    await tab.getByLabel('User name').fill('lovelace');
    await tab.getByLabel(/Roles/).fill('admin');
    await tab.getByRole('button', { name: 'Log in' }).click();
    await tab.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const section = panel('auth0');
    expect(await signedInUser(section)).toMatch(/\S/);
    await expect.poll(() => section.locator('[data-field="labels"]').textContent()).toBe('auth0admin');
    expect(tab.url()).toBe(`${origin}/`);
    expect(await tab.evaluate(() => history.length > 0 && location.search)).toBe('');
    await screenshot(section, 'auth0-redirect');
    // The page as a newcomer first sees it, signed in: docs/playground.png is a copy of this one.
    await tab.evaluate(() => window.scrollTo(0, 0));
    await tab.screenshot({ path: `${artifacts}overview.png` });
  });

  it('takes any query string out of the address bar, even one the redirect flow did not write', async () => {
    await tab.goto(`${origin}/?userId=someone&secret=${'ab'.repeat(32)}`);
    await tab.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(tab.url()).toBe(`${origin}/`);
  });

  it('auth0: exchanges an access token from the development issuer', async () => {
    const exchange = form('auth0.exchange');
    await exchange.getByLabel('Issuer user name').fill('babbage');
    await exchange.getByRole('button', { name: 'Get an access token from the development issuer' }).click();
    await expect.poll(() => exchange.getByLabel('token (optional)').inputValue()).toMatch(/^ey/);
    await exchange.getByRole('button', { name: 'Send' }).click();
    const section = panel('auth0');
    const userId = await signedInUser(section);
    await expect.poll(() => section.locator('[data-field="labels"]').textContent()).toBe('auth0player');
    await expect.poll(() => tab.locator('#account [data-field="userId"]').textContent()).toBe(userId);
    await screenshot(section, 'auth0-exchange');
  });

  it('phone-call: places a call, reads the spoken code from the outbox, signs in with it', async () => {
    const section = panel('phone-call');
    const start = form('phone-call.start');
    await start.getByLabel('phone', { exact: true }).fill('+14155550199');
    await start.getByLabel('I am human (development captcha)').check();
    await start.getByRole('button', { name: 'Send' }).click();
    const userId = (await section.locator('[data-code-for]').getAttribute('data-code-for', { timeout: 20_000 }))!;
    await section.getByLabel('Code', { exact: true }).fill(unspell(await deliveredText(section)));
    await section.getByRole('button', { name: 'Sign in with the code' }).click();
    expect(await signedInUser(section)).toBe(userId);
    await screenshot(section, 'phone-call');
  });

  it('passkey: signs up with the virtual authenticator, logs out, signs in again as the same user', async () => {
    const section = panel('passkey');
    await section.getByLabel(/^username/).fill(`pk${Date.now().toString(36)}`);
    await section.getByRole('button', { name: 'Sign up with a passkey' }).click();
    const userId = await signedInUser(section);
    await section.locator('[data-result]').getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => tab.locator('#account [data-signed-out]').count()).toBe(1);
    await section.getByLabel(/^username/).fill('');
    await section.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect.poll(() => section.locator('[data-result] [data-field="userId"]').textContent()).toBe(userId);
    await screenshot(section, 'passkey');
  });

  it('lists the deliveries in the outbox panel, and fits a phone-sized screen', async () => {
    await tab.locator('#outbox-refresh').click();
    await expect.poll(() => tab.locator('#outbox-entries li[data-channel]').count()).toBeGreaterThanOrEqual(3);
    await expect.poll(() => tab.locator('#outbox-entries li[data-channel="voice"]').count()).toBe(1);
    await screenshot(tab.locator('#outbox'), 'outbox');
    await tab.screenshot({ path: `${artifacts}page.png`, fullPage: true });

    await tab.setViewportSize({ width: 390, height: 844 });
    expect(await tab.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await tab.screenshot({ path: `${artifacts}phone.png` });
    await tab.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows a function added to the registry, with no edit to the page', async () => {
    const withHello = await startNodeServer({ env: { PORT: '0' }, functions: [...kitFunctions, helloFunction], logger: silentLogger, developmentValues: true });
    try {
      const page = await browser.context.newPage();
      await page.goto(`http://localhost:${new URL(withHello.url).port}/`);
      await page.waitForSelector('body[data-ready="true"]');
      const greet = page.locator('section[data-function="hello"] form[data-operation="hello.greet"]');
      await greet.getByLabel('name', { exact: true }).fill('Ada');
      await greet.getByRole('button', { name: 'Send' }).click();
      const answer = await page.locator('section[data-function="hello"] [data-answer]').textContent({ timeout: 20_000 });
      expect(JSON.parse(answer!)).toEqual({ greeting: expect.stringContaining('Ada') });
      await page.close();
    } finally {
      await withHello.close();
    }
  });
});
