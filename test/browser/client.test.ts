/**
 * Acceptance 1 of issue 14, in a real browser: Debian's chromium (headless, fresh profile) opens a page
 * on its own site (`http://localhost:<port>`, the kit and Appwrite on `http://127.0.0.1:<port>`: cross
 * site, so no cookie of theirs is the page's) that loads the kit's client and the `appwrite` web SDK,
 * bundled by esbuild as an app would ship them. Through the client: sign-up, sign-in, the session still
 * there after a reload (`account.get()`), and a 429 whose `retryAfter` the page reads as a number
 * (CORS must expose `Retry-After`). Once against npm start's server (`startNodeServer`), once against
 * the Worker in workerd, run by wrangler's `unstable_dev` as `npx wrangler dev` runs it, with the
 * variables of .dev.vars.example pointed at that server's embedded Appwrite.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_dev, type Unstable_DevWorker } from 'wrangler';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { readDevVarsExample } from '../helpers/dotenv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const missing = chromiumMissing();

/** The page's one script: the client and the web SDK, bundled for the browser. */
async function pageScript(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The page's own server, on its own port: `/` and `/page.js`, nothing else. */
async function servePage(script: string): Promise<{ server: Server; origin: string }> {
  const html = '<!doctype html><meta charset="utf-8"><title>kit client</title><script src="/page.js"></script>';
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (path === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // localhost: another site than 127.0.0.1, where the kit and Appwrite are.
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

/**
 * The per-account delays as one day-long window: with the default minute-long one, attempts that
 * straddle a minute boundary start a fresh count and the 429 comes later than the 6th attempt.
 */
const oneWindowForTheTest = { PASSWORD_LIMIT_ACCOUNT: '5/86400' };

const unique = (name: string) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe.skipIf(missing !== null)('the client in chromium, from a page on another site', () => {
  let page: { server: Server; origin: string };
  let kit: RunningNodeServer;

  beforeAll(async () => {
    page = await servePage(await pageScript());
    kit = await startNodeServer({
      // The page's origin exactly, as CORS_ALLOWED_ORIGINS must be written.
      env: { PORT: '0', CORS_ALLOWED_ORIGINS: page.origin, ...oneWindowForTheTest },
      functions: kitFunctions,
      logger: silentLogger,
      embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    });
  });
  afterAll(async () => {
    await kit?.close();
    page?.server.closeAllConnections();
    await new Promise<void>((resolve) => (page ? page.server.close(() => resolve()) : resolve()));
  });

  /** Sign-up, sign-in, reload, 429: each through the page, in a browser with a fresh profile. */
  async function signInThroughThePage(kitUrl: string): Promise<void> {
    const browser = await launchChromium();
    try {
      const tab = await browser.context.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      const query = new URLSearchParams({ kit: kitUrl, appwrite: kit.appwrite.endpoint, project: kit.appwrite.projectId });
      await tab.goto(`${page.origin}/?${query}`);

      const username = unique('ada');
      const password = 'correct horse battery';
      const userId = await tab.evaluate(([name, secret]) => window.kitPage.signUp(name!, secret!), [username, password]);
      expect(userId).toEqual(expect.any(String));
      expect(await tab.evaluate(([name, secret]) => window.kitPage.signIn(name!, secret!), [username, password])).toBe(userId);

      await tab.reload();
      expect(await tab.evaluate(() => window.kitPage.currentUser())).toBe(userId);

      // 5 attempts for one name, the 6th refused (oneWindowForTheTest: no window boundary in between).
      const limited = await tab.evaluate((name) => window.kitPage.untilRateLimited(name), unique('limited'));
      expect(limited).toMatchObject({ type: 'rate_limited', status: 429, attempts: 6 });
      expect(typeof limited.retryAfter).toBe('number');
      expect(limited.retryAfter).toBeGreaterThanOrEqual(1);
      expect(limited.retryAfter).toBeLessThanOrEqual(86_400);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }

  it('against npm start', () => signInThroughThePage(kit.url), 120_000);

  describe('against the Worker in workerd', () => {
    let worker: Unstable_DevWorker;
    let envDir: string;

    beforeAll(async () => {
      // .dev.vars.example as wrangler dev reads .dev.vars, pointed at this test's npm start and page.
      envDir = mkdtempSync(join(tmpdir(), 'kit-worker-env-'));
      const vars = { ...readDevVarsExample(), APPWRITE_ENDPOINT: kit.appwrite.endpoint, CORS_ALLOWED_ORIGINS: page.origin, ...oneWindowForTheTest };
      const envFile = join(envDir, '.dev.vars');
      writeFileSync(envFile, Object.entries(vars).map(([name, value]) => `${name}=${value}\n`).join(''));
      worker = await unstable_dev(join(root, 'entries/worker.ts'), {
        config: join(root, 'wrangler.toml'),
        envFiles: [envFile],
        ip: '127.0.0.1',
        port: 0,
        inspect: false,
        persist: false,
        logLevel: 'none',
        experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
      });
    }, 120_000);
    afterAll(async () => {
      await worker?.stop();
      if (envDir) rmSync(envDir, { recursive: true, force: true });
    });

    it('the same page', () => signInThroughThePage(`http://${worker.address}:${worker.port}`), 180_000);
  });
});
