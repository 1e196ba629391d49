// Runs in Node before the workerd tests: starts `npm start` itself, as a developer would in the
// terminal next to `npx wrangler dev`, and hands the Worker exactly the variables of
// .dev.vars.example (vitest.config.ts binds them). So the documented local setup is what these
// tests run; if the example and npm start ever disagree, they fail here and say so.
//
// npm start serves on the example's port (3000) on 127.0.0.1: a developer's own npm start, or
// anything else on that port, must be stopped first.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { systemClock } from '../../shared/clock.js';
import { startCaptchaVendor } from '../helpers/captcha-vendor.js';
import { DEV_VARS_EXAMPLE, readDevVarsExample } from '../helpers/dotenv.js';
import { startNpmStart } from '../helpers/npm-start.js';
import { startOidcIssuer } from '../helpers/oidc-issuer.js';
import { FAKE_TWILIO, startFakeTwilio } from '../helpers/twilio-voice.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Every variable of .dev.vars.example: the Worker's bindings. */
    devVars: Record<string, string>;
    /** Where the web SDK in the tests finds Appwrite: the example's values. */
    appwriteEndpoint: string;
    appwriteProjectId: string;
    appwriteApiKey: string;
    /**
     * The loopback fake of Cloudflare Turnstile's siteverify (`test/helpers/captcha-vendor.ts`), for
     * Workers configured with `CAPTCHA_PROVIDER=turnstile`. workerd cannot call the fake's `solve`,
     * so `solveUrl` answers a fresh token to any request, as a browser widget would hand one over.
     */
    turnstile: { siteverifyUrl: string; secret: string; solveUrl: string };
    /**
     * The local OIDC issuer (`test/helpers/oidc-issuer.ts`) as the auth0 function's variables, its
     * test client's secret (for the redirect flow), and
     * `mintUrl`: POST `{ kind: 'access' | 'logout', claims }` there for a token it signed (workerd
     * cannot call the issuer's `sign`).
     */
    oidc: { env: Record<string, string>; clientSecret: string; mintUrl: string };
    /**
     * The loopback Twilio Programmable Voice fake (`test/helpers/twilio-voice.ts`) as the voice
     * port's variables; `requestsUrl` answers what it received (workerd cannot read `requests`).
     */
    twilio: { env: Record<string, string>; requestsUrl: string };
  }
}

const host = '127.0.0.1';

/** Fails with a clear message when something already listens where npm start must. */
async function assertPortFree(port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} on ${host} is taken. The Workers tests run \`npm start\` there, as ${DEV_VARS_EXAMPLE} ` +
                'expects: stop whatever listens on it (your own npm start?) and run them again.',
            )
          : error,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const devVars = readDevVarsExample();
  const endpoint = new URL(devVars['APPWRITE_ENDPOINT'] ?? '');
  if (endpoint.hostname !== 'localhost' || !endpoint.port) {
    throw new Error(`APPWRITE_ENDPOINT in ${DEV_VARS_EXAMPLE} should be npm start's address (http://localhost:<PORT>/v1).`);
  }
  const port = Number(endpoint.port);
  await assertPortFree(port);

  const server = await startNpmStart({ PORT: String(port), HOST: host });
  // npm start prints 127.0.0.1 where the example says localhost; the rest must be identical.
  const mismatched = (['APPWRITE_PROJECT_ID', 'APPWRITE_API_KEY'] as const).filter((name) => server.printed[name] !== devVars[name]);
  if (server.printed['APPWRITE_ENDPOINT'] !== `http://${host}:${port}/v1`) mismatched.push('APPWRITE_ENDPOINT' as never);
  if (mismatched.length > 0) {
    await server.stop();
    throw new Error(`${DEV_VARS_EXAMPLE} does not match what npm start printed (${mismatched.join(', ')}):\n${server.output()}`);
  }

  project.provide('devVars', devVars);
  project.provide('appwriteEndpoint', devVars['APPWRITE_ENDPOINT']!);
  project.provide('appwriteProjectId', devVars['APPWRITE_PROJECT_ID']!);
  project.provide('appwriteApiKey', devVars['APPWRITE_API_KEY']!);

  const vendor = await startCaptchaVendor({ clock: systemClock });
  // `/redirect` answers a 302 instead, for the test that outbound calls never follow one.
  const solver = createHttpServer((request, response) =>
    request.url === '/redirect'
      ? void response.writeHead(302, { location: '/' }).end()
      : void response.writeHead(200, { 'content-type': 'text/plain' }).end(vendor.solve('turnstile')),
  );
  await new Promise<void>((resolve) => solver.listen(0, host, resolve));
  project.provide('turnstile', {
    siteverifyUrl: vendor.url('turnstile'),
    secret: vendor.secret('turnstile'),
    solveUrl: `http://${host}:${(solver.address() as AddressInfo).port}/`,
  });

  const issuer = await startOidcIssuer({ clock: systemClock });
  const minter = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const { kind, claims } = JSON.parse(body) as { kind: 'access' | 'logout'; claims: Record<string, unknown> };
      void issuer
        .sign(kind === 'logout' ? issuer.logoutClaims(claims) : issuer.accessClaims(claims))
        .then((token) => response.writeHead(200, { 'content-type': 'text/plain' }).end(token));
    });
  });
  await new Promise<void>((resolve) => minter.listen(0, host, resolve));
  project.provide('oidc', { env: issuer.env(), clientSecret: issuer.clientSecret, mintUrl: `http://${host}:${(minter.address() as AddressInfo).port}/` });

  const twilio = await startFakeTwilio();
  project.provide('twilio', {
    env: {
      VOICE_PROVIDER: 'twilio',
      TWILIO_API_URL: twilio.url,
      TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid,
      TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid,
      TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret,
      TWILIO_FROM_NUMBER: FAKE_TWILIO.from,
    },
    requestsUrl: `${twilio.url}/_requests`,
  });

  return async () => {
    await twilio.close();
    minter.closeAllConnections();
    await new Promise<void>((resolve) => minter.close(() => resolve()));
    await issuer.close();
    solver.closeAllConnections();
    await new Promise<void>((resolve) => solver.close(() => resolve()));
    await vendor.close();
    await server.stop();
  };
}
