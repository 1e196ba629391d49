/**
 * What the sign-in tests share: a connection to the embedded Appwrite, a logger that keeps every
 * line, a users directory that remembers every secret it was handed, the check that no secret
 * reached a log line, and the web SDK exchange that proves a secret opens a session.
 *
 * @module
 */
import { Account, Client } from 'appwrite';
import { expect } from 'vitest';
import type { AppwriteConnection } from '../../shared/config.js';
import { createLogger, type Logger } from '../../shared/log.js';
import type { UsersDirectory } from '../../shared/users.js';
import { PROJECT_ID, SERVER_KEY, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { freshBrowser } from '../helpers/browser.js';

/**
 * The connection a function would be configured with to reach the double, with `SERVER_KEY`
 * unless another key is given.
 *
 * @example
 * ```ts
 * const users = createAppwriteUsers(connectionTo(dev), logger);
 * const noScope = createMessagingDelivery(connectionTo(dev, READ_ONLY_KEY), logger);
 * ```
 */
export function connectionTo(dev: RunningDevAppwrite, key: string = SERVER_KEY): AppwriteConnection {
  return { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: key, APPWRITE_TIMEOUT_MS: 5000 };
}

/** A connection to a closed loopback port: every call fails as if Appwrite were down. */
export const unreachableConnection: AppwriteConnection = {
  APPWRITE_ENDPOINT: 'http://127.0.0.1:9/v1',
  APPWRITE_PROJECT_ID: PROJECT_ID,
  APPWRITE_API_KEY: SERVER_KEY,
  APPWRITE_TIMEOUT_MS: 2000,
};

/**
 * A real `createLogger` whose both sinks append to one array, so a test sees every line exactly
 * as a platform console would.
 *
 * @example
 * ```ts
 * const { logger, lines } = captureLogs();
 * logger.info('token_issued', { userId: 'alice' });
 * lines; // ['token_issued userId="alice"']
 * ```
 */
export function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = (line: string) => {
    lines.push(line);
  };
  return { logger: createLogger(sink, sink), lines };
}

/**
 * Wraps a users directory so every secret `createToken` returns is also pushed to `secrets`: the
 * full list of secrets a test issued, whatever path they later took.
 *
 * @example
 * ```ts
 * const secrets: string[] = [];
 * const users = recordingSecrets(createAppwriteUsers(connectionTo(dev), logger), secrets);
 * ```
 */
export function recordingSecrets(users: UsersDirectory, secrets: string[]): UsersDirectory {
  return {
    get: (userId) => users.get(userId),
    findByEmail: (email) => users.findByEmail(email),
    findByPhone: (phone) => users.findByPhone(phone),
    create: (user) => users.create(user),
    updatePassword: (userId, password) => users.updatePassword(userId, password),
    markPhoneVerified: (userId) => users.markPhoneVerified(userId),
    updateLabels: (userId, labels) => users.updateLabels(userId, labels),
    updatePrefs: (userId, prefs) => users.updatePrefs(userId, prefs),
    deleteSessions: (userId) => users.deleteSessions(userId),
    async createToken(userId, options) {
      const token = await users.createToken(userId, options);
      secrets.push(token.secret);
      return token;
    },
  };
}

/**
 * Fails unless no line contains any of the secrets. Secrets shorter than 16 characters are refused:
 * a short hex code could turn up in a line by chance (inside a hashed user ID), making the check
 * flaky rather than meaningful.
 *
 * @example
 * ```ts
 * afterEach(() => expectNoSecretIn(lines, secrets));
 * ```
 */
export function expectNoSecretIn(lines: readonly string[], secrets: readonly string[]): void {
  for (const secret of secrets) {
    expect(secret.length, 'use secrets of 16+ characters in leak checks').toBeGreaterThanOrEqual(16);
    const leaking = lines.filter((line) => line.includes(secret));
    expect(leaking, `log lines holding an issued secret`).toEqual([]);
  }
}

/**
 * Exchanges a secret for a session with the `appwrite` web SDK in a fresh browser profile, as a
 * client app would, and returns the ID of the account that session belongs to.
 *
 * @example
 * ```ts
 * expect(await openSession(dev, body.userId, body.secret)).toBe(body.userId);
 * ```
 */
export async function openSession(dev: RunningDevAppwrite, userId: string, secret: string): Promise<string> {
  freshBrowser();
  const account = new Account(new Client().setEndpoint(dev.endpoint).setProject(PROJECT_ID));
  const session = await account.createSession({ userId, secret });
  expect(session.userId).toBe(userId);
  return (await account.get()).$id;
}
