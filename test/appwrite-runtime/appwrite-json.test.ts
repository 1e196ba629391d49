import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { onceTableSpec } from '../../shared/once/appwrite-table.js';
import { rateLimitDatabaseSpec, rateLimitTableSpec } from '../../shared/rate-limit/appwrite-table.js';

// appwrite.json as the Appwrite CLI reads it. The CLI validates it with strict zod schemas, so an
// unknown key fails `appwrite push`: keys below are those of appwrite/sdk-for-cli
// `lib/commands/config.ts` (`ConfigSchema`, `FunctionSchema`, 25.x), where `ignore` is one string
// of gitignore lines.

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = JSON.parse(readFileSync(`${root}/appwrite.json`, 'utf8')) as Record<string, unknown> & {
  functions: Array<Record<string, unknown>>;
};

const topLevelKeys = [
  'projectId', 'projectName', 'endpoint', 'organizationId', 'settings', 'functions', 'sites', 'databases',
  'collections', 'tablesDB', 'tables', 'buckets', 'teams', 'topics', 'messages', 'webhooks', 'includes',
];
const functionKeys = [
  '$id', 'name', 'runtime', 'path', 'execute', 'enabled', 'logging', 'buildSpecification', 'runtimeSpecification',
  'deploymentRetention', 'specification', 'scopes', 'events', 'schedule', 'timeout', 'entrypoint', 'commands', 'vars', 'ignore',
];

describe('appwrite.json', () => {
  it('uses only keys the CLI accepts', () => {
    expect(typeof config['projectId']).toBe('string');
    for (const key of Object.keys(config)) expect(topLevelKeys).toContain(key);
    expect(config.functions.length).toBeGreaterThan(0);
    for (const fn of config.functions) {
      for (const key of Object.keys(fn)) expect(functionKeys, `functions[].${key}`).toContain(key);
      for (const key of ['$id', 'name', 'runtime']) expect(typeof fn[key]).toBe('string');
      expect(typeof fn['ignore']).toBe('string');
    }
  });

  it('deploys every function with an Appwrite entry, built by its commands', () => {
    for (const fn of config.functions) {
      const id = String(fn['$id']);
      expect(existsSync(`${root}/functions/${id}/index.ts`), `functions/${id}/index.ts`).toBe(true);
      expect(fn['path']).toBe('.');
      expect(fn['runtime']).toBe('node-22');
      expect(fn['entrypoint']).toBe(`dist/appwrite/${id}.js`);
      expect(fn['commands']).toMatch(/^npm ci\b.*&& npm run build:appwrite\b.*&& npm prune --omit=dev\b/);
      expect(fn['execute']).toContain('any');
    }
  });

  it('deploys every function of the registry, with exactly the scopes its ports need', () => {
    expect(config.functions.map((fn) => fn['$id'])).toEqual(kitFunctions.map((fn) => fn.name));
    for (const fn of kitFunctions) {
      const declared = config.functions.find((entry) => entry['$id'] === fn.name)!;
      expect([...(declared['scopes'] as string[])].sort(), `scopes of ${fn.name}`).toEqual(fn.appwriteScopes);
    }
  });

  it('declares the rate-limit and once-store tables the Appwrite stores use, the scopes to reach them, and the hourly cleanup schedule', () => {
    expect(config['tablesDB']).toEqual([rateLimitDatabaseSpec]);
    // The kit's own tables, then every table a function declares (`appwriteTables`), once each.
    expect(config['tables']).toEqual([rateLimitTableSpec, onceTableSpec, ...kitFunctions.flatMap((fn) => fn.appwriteTables)]);
    // Both tables live in the one declared database.
    expect(onceTableSpec.databaseId).toBe(rateLimitDatabaseSpec.$id);
    // A function that keeps rows (rate limits, replay records) purges the ended ones every hour.
    for (const fn of config.functions) {
      const keepsRows = (fn['scopes'] as string[]).includes('rows.write');
      if (keepsRows) expect(fn['schedule']).toMatch(/^\d+ \* \* \* \*$/);
      else expect(fn['schedule'] ?? '').toBe('');
    }
  });

  it('uploads no dependencies, build output or secrets', () => {
    for (const fn of config.functions) {
      const rules = String(fn['ignore']).split('\n');
      for (const rule of ['/node_modules/', '/dist/', '/.wrangler/', '/test/', '.env', '.env.*', '.dev.vars']) {
        expect(rules).toContain(rule);
      }
    }
  });
});
