/**
 * The web SDK (`appwrite`) is a browser library: it keeps the session in `window.localStorage`
 * (`cookieFallback`) when cookies are unavailable, as they are for a script outside a browser.
 * This installs the smallest browser-like `window` it needs, one fresh store per call.
 *
 * @module
 */

/** An in-memory `Storage`. */
class MemoryStorage {
  #items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.#items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.#items.delete(key);
  }
  clear(): void {
    this.#items.clear();
  }
}

/**
 * Gives the web SDK a fresh, empty browser storage: a new "browser profile" with no session.
 *
 * @example
 * ```ts
 * freshBrowser();
 * const account = new Account(new Client().setEndpoint(endpoint).setProject(projectId));
 * ```
 */
export function freshBrowser(): void {
  // Warnings the SDK prints in a real browser (localStorage sessions) would only add noise here.
  const quietConsole = { ...console, warn: () => {} };
  (globalThis as { window?: unknown }).window = { localStorage: new MemoryStorage(), console: quietConsole };
}
