// The embedded Appwrite double as a standalone Node process for the Workers tests. It cannot run
// inside the vitest project that starts it: that project resolves packages for workerd, where
// @node-rs/argon2 (which the double hashes passwords with) has no native build.
//
// Reads DOUBLE_PROJECT_ID and DOUBLE_API_KEY, serves on 127.0.0.1 (random port), prints one JSON
// line `{"endpoint":"http://127.0.0.1:PORT/v1"}` and exits when its stdin closes (parent gone).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';

const projectId = process.env.DOUBLE_PROJECT_ID;
const apiKey = process.env.DOUBLE_API_KEY;
if (!projectId || !apiKey) throw new Error('Set DOUBLE_PROJECT_ID and DOUBLE_API_KEY.');

const { app } = createDevAppwrite({ projectId, apiKeys: { [apiKey]: ['users.read', 'users.write'] } });
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${info.port}/v1` })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);
