/**
 * A loopback server that answers like Twilio Programmable Voice's create-call endpoint,
 * `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` (shared/reference/security-and-vendors.md §4.1):
 * HTTP Basic auth with an API key (SID and secret) or the account SID and auth token, a
 * form-encoded body with `To`, `From` and exactly one of `Url`, `Twiml` (at most 4000 characters)
 * or `ApplicationSid`; 201 and the Call resource (`sid`, `status: "queued"`, ...) on success, else
 * Twilio's error shape (`code`, `message`, `more_info`, `status`). `script` makes the next requests
 * answer otherwise: a Twilio error, no answer, a dropped connection, or any status and body (what a
 * proxy in between, or an answer the kit does not expect, would look like). Every request is recorded, so tests assert exactly what the kit sent (in workerd,
 * through `GET /_requests`, which is the fake's own, not Twilio's).
 *
 * It also answers Twilio Verify v2 (§4.4) for the service `FAKE_TWILIO.verifyServiceSid`:
 * `POST /v2/Services/{ServiceSid}/Verifications` (`To`, `Channel`; 201, `status: "pending"`; the same
 * code again within its lifetime; the 6th send is 429 with code 60203) and
 * `POST /v2/Services/{ServiceSid}/VerificationCheck` (`To` or `VerificationSid`, `Code`; 200 with
 * `status: "pending"` for a wrong code, `"approved"` for the right one, after which the verification
 * is gone; 404 (20404) for none, used or expired; the 6th check is 429 with code 60202). The code
 * Twilio would read out is `verifyCode(to)`; `expireVerification(to)` plays its 10 minutes passing.
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
  verifyServiceSid: `VA${'c3'.repeat(16)}`,
} as const;

/** A pending Twilio Verify verification. */
interface Verification {
  sid: string;
  code: string;
  sends: number;
  checks: number;
}

/** How the next request is answered instead of by the contract. */
export type TwilioScript =
  | { kind: 'error'; status: number; code: number; message: string }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'answer'; status: number; contentType: string; body: string };

/** A request the fake received. */
export interface TwilioRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string;
  accept: string | undefined;
  fields: Record<string, string>;
}

/** The running fake. */
export interface FakeTwilio {
  /** For `TWILIO_API_URL`. */
  url: string;
  readonly requests: TwilioRequest[];
  script(...answers: TwilioScript[]): void;
  /** The code Verify would read out to `to` (the fake's, for the test playing the listener). */
  verifyCode(to: string): string | undefined;
  /** The pending verification of `to` expires, as after its 10 minutes. */
  expireVerification(to: string): void;
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
  const verifications = new Map<string, Verification>();

  function verify(response: ServerResponse, service: string, action: string, fields: Record<string, string>): void {
    if (service !== FAKE_TWILIO.verifyServiceSid) return twilioError(response, 404, 20404, 'The requested resource was not found');
    if (action === 'Verifications') {
      if (!fields.To) return twilioError(response, 400, 60200, 'Invalid parameter: To');
      if (!['sms', 'call', 'email', 'whatsapp', 'sna', 'auto'].includes(fields.Channel ?? '')) return twilioError(response, 400, 60200, 'Invalid parameter: Channel');
      const pending = verifications.get(fields.To) ?? { sid: `VE${randomBytes(16).toString('hex')}`, code: String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, '0'), sends: 0, checks: 0 };
      if (pending.sends >= 5) return twilioError(response, 429, 60203, 'Max send attempts reached');
      pending.sends += 1;
      verifications.set(fields.To, pending);
      response.writeHead(201, { 'content-type': 'application/json' });
      return void response.end(
        JSON.stringify({ sid: pending.sid, service_sid: service, account_sid: FAKE_TWILIO.accountSid, to: fields.To, channel: fields.Channel, status: 'pending', valid: false, lookup: {}, amount: null, payee: null }),
      );
    }
    if (!fields.Code) return twilioError(response, 400, 60200, 'Invalid parameter: Code');
    const to = fields.To ?? [...verifications].find(([, one]) => one.sid === fields.VerificationSid)?.[0];
    if (!to) return twilioError(response, 400, 60200, 'Either a To or VerificationSid must be specified');
    const pending = verifications.get(to);
    if (!pending) return twilioError(response, 404, 20404, 'The requested resource was not found');
    if (pending.checks >= 5) return twilioError(response, 429, 60202, 'Max check attempts reached');
    pending.checks += 1;
    const approved = fields.Code === pending.code;
    if (approved) verifications.delete(to);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ sid: pending.sid, service_sid: service, account_sid: FAKE_TWILIO.accountSid, to, channel: 'call', status: approved ? 'approved' : 'pending', valid: approved, amount: null, payee: null }),
    );
  }

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
    requests.push({ method: request.method ?? '', path, authorization: request.headers.authorization, contentType, accept: request.headers.accept, fields });

    const scripted = scripts.shift();
    if (scripted?.kind === 'hang') return void hanging.add(response);
    if (scripted?.kind === 'drop') return void request.socket.destroy();
    if (scripted?.kind === 'error') return twilioError(response, scripted.status, scripted.code, scripted.message);
    if (scripted?.kind === 'answer') {
      response.writeHead(scripted.status, { 'content-type': scripted.contentType });
      return void response.end(scripted.body);
    }

    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/.exec(path);
    const verifyMatch = /^\/v2\/Services\/([^/]+)\/(Verifications|VerificationCheck)$/.exec(path);
    if (request.method !== 'POST' || !(match || verifyMatch)) return twilioError(response, 404, 20404, 'The requested resource was not found');
    const credentials = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    const valid = [`${FAKE_TWILIO.apiKeySid}:${FAKE_TWILIO.apiKeySecret}`, `${FAKE_TWILIO.accountSid}:${FAKE_TWILIO.authToken}`];
    if (!request.headers.authorization?.startsWith('Basic ') || !valid.includes(credentials) || (match && match[1] !== FAKE_TWILIO.accountSid)) {
      return twilioError(response, 401, 20003, 'Authenticate');
    }
    if (!contentType.startsWith('application/x-www-form-urlencoded')) return twilioError(response, 400, 20001, 'Invalid content type');
    if (verifyMatch) return verify(response, verifyMatch[1]!, verifyMatch[2]!, fields);
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
    verifyCode: (to) => verifications.get(to)?.code,
    expireVerification: (to) => void verifications.delete(to),
    reset() {
      requests.length = 0;
      verifications.clear();
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
