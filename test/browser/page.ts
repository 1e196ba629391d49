/**
 * The web page of the browser tests, bundled with esbuild into the page's one script: the kit's client
 * and the `appwrite` web SDK, as an app would ship them. The page reads where the kit and Appwrite
 * are from its own query string, so a reload keeps them, and offers its steps to the test as
 * `window.kitPage`.
 *
 * @module
 */
import { Account, Client } from 'appwrite';
import { createKitClient, KitClientError } from '../../client/index.js';

/** What the page can do, each step as the app would write it. */
export interface KitPage {
  signUp(username: string, password: string): Promise<string>;
  /** The signed-in user's ID, from what the client resolved to. */
  signIn(username: string, password: string): Promise<string>;
  /** The user the web SDK's session belongs to. */
  currentUser(): Promise<string>;
  /** Wrong passwords for one name until the kit says 429: what the page could read of it. */
  untilRateLimited(username: string): Promise<{ type: string; status: number; retryAfter: unknown; attempts: number }>;
}

declare global {
  interface Window {
    kitPage: KitPage;
  }
}

const settings = new URLSearchParams(location.search);
const account = new Account(new Client().setEndpoint(settings.get('appwrite') ?? '').setProject(settings.get('project') ?? ''));
const kit = createKitClient({ url: settings.get('kit') ?? '', account });

window.kitPage = {
  signUp: async (username, password) => (await kit.password.register({ username, password })).userId,
  signIn: async (username, password) => (await kit.password.login({ username, password })).$id,
  currentUser: async () => (await account.get()).$id,
  async untilRateLimited(username) {
    for (let attempts = 1; attempts <= 20; attempts++) {
      try {
        await kit.password.login({ username, password: 'not the password at all' });
      } catch (error) {
        if (!(error instanceof KitClientError)) throw error;
        if (error.type === 'rate_limited') return { type: error.type, status: error.status, retryAfter: error.retryAfter, attempts };
        if (error.type !== 'invalid_credentials') throw new Error(`${error.type} (${error.status}): ${error.message}`, { cause: error });
      }
    }
    throw new Error('No 429 after 20 attempts.');
  },
};
