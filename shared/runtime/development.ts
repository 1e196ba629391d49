/**
 * What `npm start` fills in with the embedded Appwrite, so every function signs someone in without a
 * vendor account: the development captcha and voice providers, a few countries to "call", the
 * playground's origin for passkeys, and a
 * development OpenID Connect issuer (`shared/dev-oidc/issuer.ts`, served at `/_dev/oidc/`) that the
 * auth0 function trusts, redirect flow included. Only variables left unset are filled; a value
 * the developer set always wins, and an auth0 function pointed at a tenant keeps its tenant.
 *
 * Never with a real Appwrite: these providers accept published tokens and the issuer signs anyone in.
 *
 * @module
 */
import type { EnvSource } from '../config.js';
import { createDevelopmentIssuer, type DevelopmentIssuer } from '../dev-oidc/issuer.js';

/** Where `npm start` serves the development issuer: under `_dev`, which no function can be named. */
export const DEVELOPMENT_ISSUER_PATH = '/_dev/oidc/';

/** The claim the development issuer puts roles in, and the auth0 function turns into labels. */
const ROLES_CLAIM = 'https://kit.local/roles';

const unset = (env: EnvSource, name: string) => !env[name]?.trim();

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The development setup of one server: its issuer (when auth0 has none configured) and the variables to add. */
export interface DevelopmentSetup {
  issuer: DevelopmentIssuer | null;
  /** The environment the functions read: the developer's, with the unset development values filled in. */
  env: EnvSource;
  /** One line per value filled in, for the operator: names and where they point, never a secret. */
  filled: string[];
}

/**
 * Builds the development setup for a server listening at `url` (`http://127.0.0.1:3000`). The page
 * the browser opens is on `localhost` (passkeys need a host name), so the redirect flow's callback
 * and allowed origins are there too.
 *
 * @example
 * ```ts
 * const { env, issuer } = await developmentSetup(process.env, 'http://127.0.0.1:3000');
 * env.CAPTCHA_PROVIDER; // 'development' unless set
 * ```
 */
export async function developmentSetup(env: EnvSource, url: string): Promise<DevelopmentSetup> {
  const filled: Record<string, string> = {};
  const fill = (name: string, value: string) => {
    if (unset(env, name)) filled[name] = value;
  };
  fill('CAPTCHA_PROVIDER', 'development');
  fill('VOICE_PROVIDER', 'development');
  // The development provider dials nobody, so a few countries cost nothing here.
  fill('PHONE_CALL_COUNTRIES', 'US,CA,GB,DE,FR');
  const page = `http://localhost:${new URL(url).port}`;
  // The passkey function's own development origins, plus this server's page on whatever port it got.
  if (unset(env, 'PASSKEY_RP_ID') || env['PASSKEY_RP_ID']?.trim().toLowerCase() === 'localhost') {
    fill('PASSKEY_ORIGINS', [...new Set(['http://localhost:5173', page, 'http://localhost:3000', 'http://localhost:8787'])].join(','));
  }

  let issuer: DevelopmentIssuer | null = null;
  const auth0Configured = ['AUTH0_DOMAIN', 'AUTH0_ISSUER', 'AUTH0_CALLBACK_URL'].some((name) => !unset(env, name));
  if (!auth0Configured) {
    issuer = await createDevelopmentIssuer({
      url: `${url}${DEVELOPMENT_ISSUER_PATH}`,
      clientId: 'kit-playground',
      // Made per process: both ends are this server, so nobody needs to know them.
      clientSecret: randomHex(24),
      audience: 'https://api.kit.local/',
      rolesClaim: ROLES_CLAIM,
    });
    Object.assign(filled, {
      AUTH0_ISSUER: issuer.url,
      AUTH0_AUDIENCE: issuer.audience,
      AUTH0_CLIENT_ID: issuer.clientId,
      AUTH0_CLIENT_SECRET: issuer.clientSecret,
      AUTH0_COOKIE_SECRET: randomHex(32),
      AUTH0_CALLBACK_URL: `${page}/auth0/callback`,
      AUTH0_REDIRECT_ORIGINS: `${page},${url}`,
    });
    fill('AUTH0_ROLES_CLAIM', ROLES_CLAIM);
  }
  const secrets = new Set(['AUTH0_CLIENT_SECRET', 'AUTH0_COOKIE_SECRET']);
  return {
    issuer,
    env: { ...env, ...filled },
    filled: Object.entries(filled).map(([name, value]) => (secrets.has(name) ? `${name}=(made for this process)` : `${name}=${value}`)),
  };
}
