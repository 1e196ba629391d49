/**
 * Passkeys in a real browser: Debian's chromium (headless, fresh profile) with a CDP virtual
 * authenticator (`WebAuthn.enable`, `WebAuthn.addVirtualAuthenticator`: CTAP2, internal, resident
 * keys, user verification that succeeds) standing in for the device's. The page on
 * `http://localhost:<port>` (a secure context, so WebAuthn is on; RP ID `localhost`) uses
 * `@simplewebauthn/browser` and the `appwrite` web SDK against npm start's server: passkey-first
 * sign-up, discoverable sign-in after signing out, and a second passkey added with a JWT.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';

const missing = chromiumMissing();

async function servePage(): Promise<{ server: Server; origin: string }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./passkey-page.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]!.text;
  const html = '<!doctype html><meta charset="utf-8"><title>passkeys</title><script src="/page.js"></script>';
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (path === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(missing !== null)('passkeys in chromium with a virtual authenticator', () => {
  let page: { server: Server; origin: string };
  let kit: RunningNodeServer;

  beforeAll(async () => {
    page = await servePage();
    kit = await startNodeServer({
      env: { PORT: '0', PASSKEY_RP_ID: 'localhost', PASSKEY_RP_NAME: 'Browser test', PASSKEY_ORIGINS: page.origin },
      functions: kitFunctions,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await kit?.close();
    await new Promise<void>((resolve) => (page ? page.server.close(() => resolve()) : resolve()));
  });

  it('signs up with a passkey, signs in with it discoverably, and adds a second one with a JWT', async () => {
    const browser = await launchChromium();
    try {
      const tab = await browser.context.newPage();
      const cdp = await browser.context.newCDPSession(tab);
      await cdp.send('WebAuthn.enable', { enableUI: false });
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      const query = new URLSearchParams({ kit: kit.url, appwrite: kit.appwrite.endpoint, project: kit.appwrite.projectId });
      await tab.goto(`${page.origin}/?${query}`);
      await tab.waitForFunction(() => 'passkeyPage' in window);

      const username = `chromium${Date.now().toString(36)}`;
      const userId = await tab.evaluate((name) => window.passkeyPage.signUp(name), username);
      expect(userId).toMatch(/^pw-[0-9a-f]{33}$/);
      expect(await tab.evaluate(() => window.passkeyPage.signIn())).toBe(userId);
      // A second authenticator: the first one's passkey is excluded from its creation options.
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      expect(await tab.evaluate(() => window.passkeyPage.addPasskey())).toBe(2);
    } finally {
      await browser.close();
    }
  });
});
