/**
 * The web page of the passkey browser test, bundled with esbuild: `@simplewebauthn/browser` calling
 * `navigator.credentials` and the `appwrite` web SDK opening the session, as an app would ship them.
 * The page reads where the kit and Appwrite are from its query string and offers its steps to the
 * test as `window.passkeyPage`.
 *
 * @module
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { Account, Client } from 'appwrite';

/** What the page can do, each step as the app would write it. */
export interface PasskeyPage {
  /** Passkey-first sign-up; the new user's ID, signed in. */
  signUp(username: string): Promise<string>;
  /** Discoverable sign-in (no username typed); the signed-in user's ID. */
  signIn(): Promise<string>;
  /** Adds a passkey to the signed-in user; how many they hold afterwards. */
  addPasskey(): Promise<number>;
}

declare global {
  interface Window {
    passkeyPage: PasskeyPage;
  }
}

const settings = new URLSearchParams(location.search);
const kit = `${settings.get('kit') ?? ''}/passkey`;
const account = new Account(new Client().setEndpoint(settings.get('appwrite') ?? '').setProject(settings.get('project') ?? ''));

async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${kit}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as T & { type?: string };
  if (!response.ok) throw new Error(`${path}: ${response.status} ${answer.type ?? ''}`);
  return answer;
}

/** Exchanges the kit's token for an Appwrite session, ending any session the page had. */
async function openSession(token: { userId: string; secret: string }): Promise<string> {
  await account.deleteSession({ sessionId: 'current' }).catch(() => undefined);
  await account.createSession({ userId: token.userId, secret: token.secret });
  return (await account.get()).$id;
}

window.passkeyPage = {
  async signUp(username) {
    const optionsJSON = await post<Parameters<typeof startRegistration>[0]['optionsJSON']>('/sign-up/options', { username });
    return openSession(await post('/sign-up/verify', { response: await startRegistration({ optionsJSON }) }));
  },
  async signIn() {
    const optionsJSON = await post<Parameters<typeof startAuthentication>[0]['optionsJSON']>('/sign-in/options', {});
    return openSession(await post('/sign-in/verify', { response: await startAuthentication({ optionsJSON }) }));
  },
  async addPasskey() {
    const { jwt } = await account.createJWT();
    const optionsJSON = await post<Parameters<typeof startRegistration>[0]['optionsJSON']>('/add/options', { jwt });
    await post('/add/verify', { jwt, response: await startRegistration({ optionsJSON }) });
    return (await post<{ passkeys: unknown[] }>('/passkeys/list', { jwt })).passkeys.length;
  },
};
