/**
 * The playground: `GET /` on `npm start`, a page where a person signs in with every function and
 * sees the session it made. The page is `playground/` in the repository (one HTML, one CSS, one
 * TypeScript module); its script is bundled with esbuild, `appwrite` and `@simplewebauthn/browser`
 * included, on the first request. All three are development dependencies, imported only when the
 * page is asked for: no bundle (Worker, Appwrite) can contain them, and an install without them
 * answers the page with a message.
 *
 * The page finds the functions in `/openapi.json` and its settings at `/_dev/playground/config.json`.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../captcha/development.js';
import { errorResponse, KitError } from '../errors.js';
import type { KitEnv } from '../http.js';
import type { Logger } from '../log.js';

/** What the page is told about this server (`GET /_dev/playground/config.json`). No secrets. */
export interface PlaygroundSettings {
  /** The Appwrite endpoint, or `null` for this server's own `/v1` (the embedded double, same origin). */
  endpoint: string | null;
  projectId: string;
  /** Whether `/_dev/outbox` exists (the embedded Appwrite). */
  outbox: boolean;
  /** The captcha token the development provider accepts, when it is the provider; otherwise the page asks for one. */
  developmentCaptchaToken: string | null;
  /** Where the development OIDC issuer is, when `npm start` runs one. */
  developmentIssuer: string | null;
}

/**
 * The settings for a server's environment.
 *
 * @example
 * ```ts
 * playgroundSettings({ endpoint: null, projectId: 'kit-local', outbox: true, captchaProvider: 'development', developmentIssuer: null });
 * ```
 */
export function playgroundSettings(options: Omit<PlaygroundSettings, 'developmentCaptchaToken'> & { captchaProvider: string | undefined }): PlaygroundSettings {
  const { captchaProvider, ...rest } = options;
  return { ...rest, developmentCaptchaToken: captchaProvider === 'development' ? DEVELOPMENT_CAPTCHA_TOKEN : null };
}

const directory = fileURLToPath(new URL('../../playground/', import.meta.url));

/** Bundles the page's module; esbuild is imported here only, when the page is first asked for. */
async function bundlePage(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [`${directory}page.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return result.outputFiles[0]!.text;
}

/** Reads a file once; a failure is not kept, so an `npm install` mends it without a restart. */
function cached(load: () => Promise<string>): () => Promise<string> {
  let value: Promise<string> | null = null;
  return () => {
    value ??= load();
    value.catch(() => (value = null));
    return value;
  };
}

/**
 * Serves the playground on the server's own routes: `/` and `/_dev/playground/{page.js,style.css,config.json}`.
 *
 * @example
 * ```ts
 * servePlayground(app, { settings: playgroundSettings({ endpoint: null, projectId: 'kit-local', outbox: true, captchaProvider: 'development', developmentIssuer: null }), logger });
 * ```
 */
export function servePlayground(app: Hono<KitEnv>, { settings, logger }: { settings: PlaygroundSettings; logger: Logger }): void {
  const html = cached(() => readFile(`${directory}index.html`, 'utf8'));
  const css = cached(() => readFile(`${directory}style.css`, 'utf8'));
  const script = cached(bundlePage);
  // Scripts and styles from this server only; requests to it and to a real Appwrite, if one is set.
  const security = {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${settings.endpoint ? ` ${new URL(settings.endpoint).origin}` : ''}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    // The page reads a token secret from its URL after the redirect flow: no Referer may carry it on.
    'referrer-policy': 'no-referrer',
  };
  const file = (load: () => Promise<string>, type: string, what: string) => async () => {
    try {
      return new Response(await load(), { headers: { 'content-type': type, ...security } });
    } catch (error) {
      logger.warn('playground_unavailable', { file: what, error: error instanceof Error ? error.name : typeof error });
      return errorResponse(new KitError('not_found', 'The playground needs its development dependencies (esbuild, appwrite, @simplewebauthn/browser): run npm install.'));
    }
  };
  app.get('/', file(html, 'text/html; charset=utf-8', 'index.html'));
  app.get('/_dev/playground/page.js', file(script, 'text/javascript; charset=utf-8', 'page.js'));
  app.get('/_dev/playground/style.css', file(css, 'text/css; charset=utf-8', 'style.css'));
  app.get('/_dev/playground/config.json', (c) => c.json(settings));
}
