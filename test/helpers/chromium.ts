/**
 * Debian's `chromium`, driven with `playwright-core`: no browser is ever downloaded. Each launch gets
 * a fresh profile (its own user-data directory, removed on close) and no network beyond what the
 * page asks for: no sync, component updates or background requests.
 *
 * Where chromium is missing, tests that need it fail on CI (`CI=true`, where `.ci/run` installs it)
 * and are skipped with a message elsewhere.
 *
 * @module
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian installs chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Why chromium cannot run here, or `null` when it can. Throws on CI, where it must be installed.
 *
 * @example
 * ```ts
 * const missing = chromiumMissing();
 * describe.skipIf(missing !== null)('in a browser', () => { ... });
 * ```
 */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  const message = `${CHROMIUM_PATH} is not installed: run \`apt-get update && apt-get install -y chromium\` (.ci/run does on CI)`;
  if (process.env['CI'] === 'true') throw new Error(`${message}. The browser tests must run on CI.`);
  console.warn(`Skipping the browser tests: ${message}.`);
  return message;
}

/** A running browser with a fresh profile. */
export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches chromium headless with a fresh profile.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await browser.context.newPage();
 * await browser.close();
 * ```
 */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'kit-chromium-'));
  // Playwright passes --headless and --user-data-dir itself (headless, the profile directory).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
