/**
 * `npm start`: the local server with every function in `functions/index.ts`. Reads `.env` when
 * present, then the process environment.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { kitFunctions } from '../functions/index.js';
import { ConfigError } from '../shared/config.js';
import { startNodeServer } from '../shared/runtime/node.js';

if (existsSync('.env')) process.loadEnvFile('.env');

try {
  const server = await startNodeServer({ env: process.env, functions: kitFunctions, developmentValues: true });
  console.log(`Listening on ${server.url}`);
  console.log(`Functions: ${kitFunctions.map((fn) => `${server.url}/${fn.name}`).join(', ')}`);
  console.log(`OpenAPI: ${server.url}/openapi.json, try the routes at ${server.url}/docs`);
  if (server.appwrite.embedded) {
    // Printed on purpose: the development key is published, and wrangler dev or a built Appwrite
    // function need exactly these three values to use this double (see .dev.vars.example).
    console.log('Embedded Appwrite (development only, in memory, lost on exit):');
    console.log(`  APPWRITE_ENDPOINT=${server.appwrite.endpoint}`);
    console.log(`  APPWRITE_PROJECT_ID=${server.appwrite.projectId}`);
    console.log(`  APPWRITE_API_KEY=${server.appwrite.apiKey}`);
    console.log(`  Out-of-band messages: ${server.url}/_dev/outbox`);
    if (server.developmentValues.length > 0) {
      console.log('Development values for variables left unset (set a variable to replace its value):');
      for (const line of server.developmentValues) console.log(`  ${line}`);
    }
  } else {
    console.log(`Appwrite at ${server.appwrite.endpoint} (project "${server.appwrite.projectId}")`);
  }
  if (server.playground) console.log(`Playground: ${server.playground}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  // Configuration problems name the variable and the rule, never the value.
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
}
