/**
 * `npm run client:routes`: writes `client/routes.generated.ts`, the route table the browser client
 * calls (method, path, what the answer means, where the input goes), from the functions registry
 * (`functions/index.ts`) and each function's route declarations (`functions/<dir>/routes.ts`). The
 * client's types come from the same declarations through `import type`, so no zod and no server code
 * reaches a client bundle. The file is not committed: `npm install` (prepare), `npm test` and
 * `npm run typecheck` regenerate it, so adding a function needs no edit here; `test/client/routes.test.ts`
 * fails when it is stale.
 *
 * @example
 * ```sh
 * npm run client:routes   # after adding a function or changing a route
 * ```
 *
 * @module
 */
import { readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import type { AnswerKind, ClientRoute } from '../client/types.js';
import { kitFunctions } from '../functions/index.js';
import type { KitFunction } from '../shared/platform.js';
import type { RouteSpec } from '../shared/routes.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where the table is written. */
export const CLIENT_ROUTES_FILE = join(root, 'client', 'routes.generated.ts');

/** Whether a success answer's JSON is an object with all of these fields. */
function carries(answer: { schema?: z.ZodType } | undefined, fields: string[]): boolean {
  const schema = answer?.schema;
  return schema instanceof z.ZodObject && fields.every((field) => field in schema.shape);
}

/**
 * What a route's answer means to the client, read from its declaration exactly as `client/types.ts`
 * reads it from the declaration's types (`AnswerKindOf`): the generated table is checked against those.
 *
 * @example
 * ```ts
 * answerKind(passwordRoutes.login); // 'session': a 200 carrying userId and secret
 * ```
 */
export function answerKind(route: RouteSpec): AnswerKind {
  const answers = route.answers as Partial<Record<number, { schema?: z.ZodType }>>;
  if (302 in answers) return 'redirect';
  if (202 in answers) return carries(answers[202], ['userId', 'expire']) ? 'pending' : 'json';
  if (200 in answers) return carries(answers[200], ['userId', 'secret']) ? 'session' : 'json';
  if (204 in answers) return 'empty';
  return 'json';
}

/**
 * One route as the client calls it. Throws for what the client cannot call yet, naming the route.
 *
 * @example
 * ```ts
 * clientRoute('password', 'login', passwordRoutes.login); // { method: 'POST', path: '/login', answer: 'session', body: 'json' }
 * ```
 */
export function clientRoute(fn: string, name: string, route: RouteSpec): ClientRoute {
  const where = `${fn}.${name} (${route.method.toUpperCase()} ${route.path})`;
  if (route.path.includes(':')) throw new Error(`${where}: the client has no path parameters; send the value in the body or the query.`);
  if (route.query && !(route.query instanceof z.ZodObject)) throw new Error(`${where}: a query must be a z.object, so the client knows its fields.`);
  const query = route.query instanceof z.ZodObject ? Object.keys(route.query.shape) : [];
  const bodyFields = route.body instanceof z.ZodObject ? Object.keys(route.body.shape) : [];
  const both = query.filter((field) => bodyFields.includes(field));
  if (both.length > 0) throw new Error(`${where}: ${both.join(', ')} is both a query and a body field; the client takes one input object.`);
  return {
    method: route.method.toUpperCase() as ClientRoute['method'],
    path: route.path,
    answer: answerKind(route),
    body: route.body ? (route.bodyType === 'form' ? 'form' : 'json') : 'none',
    ...(query.length > 0 ? { query } : {}),
  };
}

/** A value as TypeScript source: single-quoted strings, bare keys where they can be. */
function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([key, item]) => `${propertyName(key)}: ${literal(item)}`).join(', ')} }`;
  }
  return String(value);
}

function propertyName(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : literal(key);
}

/** A function's routes module and the name its route table is exported under. */
interface RoutesSource {
  fn: KitFunction;
  directory: string;
  exportName: string;
}

/** Finds each function's route table among the exports of `functions/<dir>/routes.ts`. */
async function routesSources(functions: readonly KitFunction[]): Promise<RoutesSource[]> {
  const directories = readdirSync(join(root, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'functions', entry.name, 'routes.ts')))
    .map((entry) => entry.name)
    .sort();
  const modules = await Promise.all(
    directories.map(async (directory) => ({ directory, exports: (await import(pathToFileURL(join(root, 'functions', directory, 'routes.ts')).href)) as Record<string, unknown> })),
  );
  return functions.map((fn) => {
    for (const { directory, exports } of modules) {
      const exportName = Object.keys(exports).find((name) => exports[name] === fn.routes);
      if (exportName) return { fn, directory, exportName };
    }
    throw new Error(`Function ${fn.name}: export its route table from functions/<its folder>/routes.ts, so the client can import its types.`);
  });
}

const header = `/**
 * GENERATED by \`npm run client:routes\` from functions/index.ts and each function's routes.ts: do not
 * edit. test/client/routes-generated.test.ts fails when it is stale; ClientRouteTable fails to
 * compile when an entry disagrees with its declaration's types.
 *
 * @module
 */`;

/**
 * The text of `client/routes.generated.ts` for a list of functions (the registry by default).
 *
 * @example
 * ```ts
 * writeFileSync(CLIENT_ROUTES_FILE, await clientRoutesSource());
 * ```
 */
export async function clientRoutesSource(functions: readonly KitFunction[] = kitFunctions): Promise<string> {
  const sources = await routesSources(functions);
  const imports = [...sources]
    .sort((a, b) => a.directory.localeCompare(b.directory))
    .map(({ directory, exportName }) => `import type { ${exportName} } from '../functions/${directory}/routes.js';`);
  const tables = sources.map(({ fn, exportName }) => `  ${propertyName(fn.name)}: typeof ${exportName};`);
  const routes = sources.map(({ fn }) => {
    const entries = Object.entries(fn.routes).map(([name, route]) => `    ${propertyName(name)}: ${literal(clientRoute(fn.name, name, route))},`);
    return `  ${propertyName(fn.name)}: {\n${entries.join('\n')}\n  },`;
  });
  return `${header}
${imports.join('\n')}
import type { ClientRouteTable } from './types.js';

/** Each function's route declarations, by the name it is served under: the client's types. */
export interface KitRouteTables {
${tables.join('\n')}
}

/** Each route as the client calls it. */
export const kitRoutes = {
${routes.join('\n')}
} as const satisfies ClientRouteTable;
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(CLIENT_ROUTES_FILE, await clientRoutesSource());
  console.log('client/routes.generated.ts');
}
