/**
 * `npm start`: the local server. Reads `.env` when present, then the process environment.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { kitFunctions } from '../../functions/index.js';
import { ConfigError } from '../config.js';
import { startNodeServer } from './node.js';

if (existsSync('.env')) process.loadEnvFile('.env');

try {
  const server = await startNodeServer({ env: process.env, functions: kitFunctions });
  const where = server.appwrite.embedded
    ? `embedded Appwrite double at ${server.appwrite.endpoint} (project "${server.appwrite.projectId}"; development only, data is lost on exit)`
    : `Appwrite at ${server.appwrite.endpoint} (project "${server.appwrite.projectId}")`;
  console.log(`Listening on ${server.url}`);
  console.log(`Functions: ${kitFunctions.map((fn) => `${server.url}/${fn.name}`).join(', ')}`);
  console.log(`Talking to the ${where}`);
  if (server.appwrite.embedded && !/^(127\.|::1$|localhost$)/.test(process.env['HOST'] ?? '127.0.0.1')) {
    console.warn('Warning: the embedded Appwrite double is reachable beyond this machine (HOST is not loopback). It is for development only.');
  }
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  // Configuration problems name the variable and the rule, never the value.
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
}
