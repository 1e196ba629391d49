// The json-bigint contract (test/helpers/json-bigint-cases.ts) against what it describes: the real
// node-appwrite on Node, with the real json-bigint, reading each body from a loopback server. The
// same table runs in workerd against the shim (test/workers/json-bigint-shim.test.ts), so the
// Worker's node-appwrite sees the values Node's does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'node-appwrite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBigintCases } from '../helpers/json-bigint-cases.js';

let server: Server;
let base: string;

beforeAll(async () => {
  // Answers each request with the body named by its path, as Appwrite answers JSON.
  server = createServer((request, response) => {
    const body = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname.slice(1));
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('node-appwrite on Node reads response bodies as the json-bigint contract says', () => {
  const client = new Client();
  for (const one of jsonBigintCases) {
    it(one.name, async () => {
      const call = client.call('get', new URL(base + encodeURIComponent(one.body)));
      if ('refused' in one) await expect(call).rejects.toMatchObject({ name: 'SyntaxError' });
      else expect(await call).toEqual(one.parsed);
    });
  }
});
