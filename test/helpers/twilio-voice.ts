/**
 * A loopback server that answers like Twilio Programmable Voice's create-call endpoint,
 * `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` (shared/reference/security-and-vendors.md §4.1):
 * HTTP Basic auth with an API key (SID and secret) or the account SID and auth token, a
 * form-encoded body with `To`, `From` and exactly one of `Url`, `Twiml` (at most 4000 characters)
 * or `ApplicationSid`; 201 and the Call resource (`sid`, `status: "queued"`, ...) on success, else
 * Twilio's error shape (`code`, `message`, `more_info`, `status`). `script` makes the next requests
 * answer otherwise. Every request is recorded, so tests assert exactly what the kit sent (in workerd,
 * through `GET /_requests`, which is the fake's own, not Twilio's).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The account the fake serves. */
export const FAKE_TWILIO = {
  accountSid: `AC${'a1'.repeat(16)}`,
  apiKeySid: `SK${'b2'.repeat(16)}`,
  apiKeySecret: 'fake-api-key-secret',
  authToken: 'fake-auth-token',
  from: '+14155550100',
} as const;

/** How the next request is answered instead of by the contract. */
export type TwilioScript =
  | { kind: 'error'; status: number; code: number; message: string }
  | { kind: 'hang' }
  | { kind: 'drop' };

/** A request the fake received. */
export interface TwilioRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string;
  fields: Record<string, string>;
}

/** The running fake. */
export interface FakeTwilio {
  /** For `TWILIO_API_URL`. */
  url: string;
  readonly requests: TwilioRequest[];
  script(...answers: TwilioScript[]): void;
  reset(): void;
  close(): Promise<void>;
}

function twilioError(response: ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
}

/**
 * @example
 * ```ts
 * const twilio = await startFakeTwilio();
 * env.TWILIO_API_URL = twilio.url;
 * twilio.requests.at(-1)?.fields.Twiml; // '<?xml …><Response>…</Response>'
 * ```
 */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: TwilioRequest[] = [];
  let scripts: TwilioScript[] = [];
  const hanging = new Set<ServerResponse>();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const contentType = request.headers['content-type'] ?? '';
    const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    // Not Twilio's: how a test in workerd (which cannot read `requests`) sees what was sent.
    if (request.method === 'GET' && path === '/_requests') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify(requests));
    }
    requests.push({ method: request.method ?? '', path, authorization: request.headers.authorization, contentType, fields });

    const scripted = scripts.shift();
    if (scripted?.kind === 'hang') return void hanging.add(response);
    if (scripted?.kind === 'drop') return void request.socket.destroy();
    if (scripted?.kind === 'error') return twilioError(response, scripted.status, scripted.code, scripted.message);

    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/.exec(path);
    if (request.method !== 'POST' || !match) return twilioError(response, 404, 20404, 'The requested resource was not found');
    const credentials = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    const valid = [`${FAKE_TWILIO.apiKeySid}:${FAKE_TWILIO.apiKeySecret}`, `${FAKE_TWILIO.accountSid}:${FAKE_TWILIO.authToken}`];
    if (!request.headers.authorization?.startsWith('Basic ') || !valid.includes(credentials) || match[1] !== FAKE_TWILIO.accountSid) {
      return twilioError(response, 401, 20003, 'Authenticate');
    }
    if (!contentType.startsWith('application/x-www-form-urlencoded')) return twilioError(response, 400, 20001, 'Invalid content type');
    if (!fields.To) return twilioError(response, 400, 21201, "No 'To' number is specified");
    if (!fields.From) return twilioError(response, 400, 21213, "No 'From' number is specified");
    if (fields.From !== FAKE_TWILIO.from) return twilioError(response, 400, 21210, "'From' phone number not verified");
    const sources = ['Url', 'Twiml', 'ApplicationSid'].filter((name) => fields[name] !== undefined);
    if (sources.length === 0) return twilioError(response, 400, 21205, 'Url parameter is required');
    if ((fields.Twiml ?? '').length > 4000) return twilioError(response, 400, 21232, 'Twiml is too long');
    const sid = `CA${randomBytes(16).toString('hex')}`;
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ sid, account_sid: FAKE_TWILIO.accountSid, to: fields.To, from: fields.From, status: 'queued', api_version: '2010-04-01' }));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...answers) => void scripts.push(...answers),
    reset() {
      requests.length = 0;
      scripts = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
