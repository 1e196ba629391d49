/**
 * The web SDK keeps the session Appwrite sends in `X-Fallback-Cookies` in `window.localStorage`
 * (its path for API domains that cannot set first-party cookies) and sends it back on every call.
 * workerd has no `window`: this gives it one whose storage lives until `vi.unstubAllGlobals()`.
 *
 * @example
 * ```ts
 * stubBrowserStorage();
 * await new Account(client).createSession({ userId, secret });
 * ```
 */
import { vi } from 'vitest';

export function stubBrowserStorage(): void {
  const items = new Map<string, string>();
  vi.stubGlobal('window', {
    console,
    localStorage: {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    },
  });
}
