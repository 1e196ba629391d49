/**
 * shared/oidc/discovery.ts: which endpoints a discovery document may point the kit at. Keys and
 * tokens travel only over https, or plain http to this machine's loopback (a local issuer); any
 * other address makes the document invalid and the issuer unavailable.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { discoverIssuer } from '../../shared/oidc/discovery.js';

// Each test is its own issuer (a path on the server): discovery results are cached per issuer.
const documents = new Map<string, Record<string, string>>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const issuer = `${base}${request.url!.replace('/.well-known/openid-configuration', '')}/`;
    const endpoints = documents.get(issuer);
    if (!endpoints) return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, ...endpoints }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let issuers = 0;
/** Discovers a new issuer whose document lists `jwks_uri` (and the other endpoints on https). */
function discoverWith(jwksUri: string) {
  const issuer = `${base}/issuer-${++issuers}/`;
  documents.set(issuer, {
    authorization_endpoint: 'https://idp.example.com/authorize',
    token_endpoint: 'https://idp.example.com/oauth/token',
    jwks_uri: jwksUri,
  });
  return discoverIssuer({ issuer, fetch: (url, init) => fetch(url, init), cooldownMs: 30_000, logger: silentLogger });
}

describe('discovery endpoints', () => {
  it.each(['https://idp.example.com/.well-known/jwks.json', 'http://127.0.0.1:8080/jwks', 'http://localhost/jwks', 'http://[::1]:9/jwks'])(
    'accepts %s',
    async (jwksUri) => {
      await expect(discoverWith(jwksUri)).resolves.toMatchObject({ jwks_uri: jwksUri });
    },
  );

  it.each(['http://idp.example.com/.well-known/jwks.json', 'http://127.0.0.2/jwks', 'http://localhost.example.com/jwks', 'ftp://idp.example.com/jwks', 'not a url', ''])(
    'refuses a document whose keys are at %j: issuer_unavailable',
    async (jwksUri) => {
      await expect(discoverWith(jwksUri)).rejects.toMatchObject({ type: 'issuer_unavailable', status: 503 });
    },
  );
});
