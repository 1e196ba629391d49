/**
 * The Appwrite store against every answer Appwrite can give its calls: which mean "count on it",
 * which fail closed (503 `rate_limiter_unavailable`) and which are the function misconfigured (502
 * `appwrite_error`), and what each logs. A loopback front passes calls on to the embedded double
 * unless a test has it answer one kind of call itself, with Appwrite's error body for a type.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppwriteError, type AppwriteErrorType } from '../../shared/dev-appwrite/errors.js';
import { createLogger } from '../../shared/log.js';
import { createAppwriteStore, rateLimitRowId } from '../../shared/rate-limit/appwrite-store.js';
import { RATE_LIMIT_DATABASE_ID as databaseId, RATE_LIMIT_TABLE_ID as tableId } from '../../shared/rate-limit/appwrite-table.js';
import { createRowSightings, type RowSightings } from '../../shared/rate-limit/row-sightings.js';
import { close, listen, startTablesDouble, type RunningTablesDouble } from './tables-double.js';

const rule = { limit: 3, windowSeconds: 60 };
const start = Date.UTC(2026, 0, 15, 12, 0, 0);

/** The store's calls, as the front names them. */
type Call = 'createRow' | 'increment' | 'decrement' | 'deleteRow' | 'deleteRows';

function callOf(method: string, path: string): Call | null {
  const rows = path.match(/\/tablesdb\/[^/]+\/tables\/[^/]+\/rows(\/.*)?$/);
  if (!rows) return null;
  const rest = rows[1] ?? '';
  if (method === 'POST' && rest === '') return 'createRow';
  if (method === 'DELETE') return rest === '' ? 'deleteRows' : 'deleteRow';
  if (method === 'PATCH' && rest.endsWith('/hits/increment')) return 'increment';
  if (method === 'PATCH' && rest.endsWith('/hits/decrement')) return 'decrement';
  return null;
}

let double: RunningTablesDouble;
let front: Awaited<ReturnType<typeof listen>>;
let frontEndpoint: string;
/** What the front answers itself, by call; every other call goes on to the double. */
let answers: Partial<Record<Call, () => Response>> = {};
/** The calls that reached the front, in order. */
const calls: Call[] = [];

beforeAll(async () => {
  double = await startTablesDouble(start);
  front = await listen(async (request) => {
    const url = new URL(request.url);
    const call = callOf(request.method, url.pathname);
    if (call) calls.push(call);
    const answer = call ? answers[call] : undefined;
    if (answer) return answer();
    const headers = new Headers(request.headers);
    for (const name of ['host', 'connection', 'content-length']) headers.delete(name);
    const body = request.method === 'GET' ? undefined : await request.arrayBuffer();
    const upstream = await fetch(new URL(`${url.pathname}${url.search}`, double.endpoint), { method: request.method, headers, body });
    return new Response(upstream.status === 204 ? null : await upstream.arrayBuffer(), { status: upstream.status, headers: upstream.headers });
  });
  frontEndpoint = `http://127.0.0.1:${(front.address() as { port: number }).port}/v1`;
});
afterAll(async () => {
  await close(front);
  await double.close();
});
beforeEach(() => {
  answers = {};
  calls.length = 0;
});

/** Appwrite's answer for an error type: its status and its JSON body. */
const appwrite = (type: AppwriteErrorType) => () => new AppwriteError(type).toResponse();

/** A store whose calls go through the front, with the lines it logs. */
function store(sightings?: RowSightings) {
  const lines: string[] = [];
  const rateLimits = createAppwriteStore(
    { ...double.connection(), APPWRITE_ENDPOINT: frontEndpoint },
    { logger: createLogger((line) => lines.push(line)), clock: double.clock, sightings },
  );
  return { rateLimits, lines };
}

async function hitsOf(key: string): Promise<unknown> {
  const rowId = await rateLimitRowId(key, rule, Math.floor(start / 60_000));
  return double
    .tables()
    .getRow({ databaseId, tableId, rowId })
    .then((row) => row['hits'] as unknown, (error: { code?: number }) => (error.code === 404 ? 'no row' : Promise.reject(error)));
}

describe('consume', () => {
  it('creates the row when the increment finds none, whichever not-found type Appwrite names it with', async () => {
    const sightings = createRowSightings();
    const seen = store(sightings);
    await seen.rateLimits.consume('missing-row', rule);
    await store().rateLimits.reset('missing-row', rule);
    calls.length = 0;
    // Appwrite 1.9 says `column_not_found` for a missing row; a later one may say `row_not_found`.
    answers.increment = appwrite('row_not_found');
    expect(await seen.rateLimits.consume('missing-row', rule)).toEqual({ allowed: true, remaining: 2, resetAt: start + 60_000 });
    expect(calls).toEqual(['increment', 'createRow']);
    expect(await hitsOf('missing-row')).toBe(1);
  });

  it('refuses (502) a not-found that is no row: a missing table is not a window to open', async () => {
    const sightings = createRowSightings();
    const { rateLimits, lines } = store(sightings);
    await rateLimits.consume('missing-table', rule);
    calls.length = 0;
    answers.increment = appwrite('table_not_found');
    await expect(rateLimits.consume('missing-table', rule)).rejects.toMatchObject({ type: 'appwrite_error', status: 502 });
    expect(calls).toEqual(['increment']);
    expect(lines).toEqual([expect.stringMatching(/^appwrite_rejected_request operation="tablesDB\.incrementRowColumn" status=404 appwriteType="table_not_found" /)]);
    expect(await hitsOf('missing-table')).toBe(1);
  });

  it('refuses (502) a refusal of the create other than a row already there, counting nothing', async () => {
    const { rateLimits, lines } = store();
    answers.createRow = appwrite('row_invalid_structure');
    await expect(rateLimits.consume('mine', rule)).rejects.toMatchObject({ type: 'appwrite_error', status: 502 });
    expect(calls).toEqual(['createRow']);
    expect(lines).toEqual([expect.stringMatching(/^appwrite_rejected_request operation="tablesDB\.createRow" status=400 appwriteType="row_invalid_structure" /)]);
    expect(await hitsOf('mine')).toBe('no row');
  });

  it('gives up after eight calls when every create meets a row and every increment finds none: 503, logged', async () => {
    answers.createRow = appwrite('row_already_exists');
    answers.increment = appwrite('column_not_found');
    const { rateLimits, lines } = store();
    await expect(rateLimits.consume('vanishing', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    expect(calls).toEqual(['createRow', 'increment', 'createRow', 'increment', 'createRow', 'increment', 'createRow', 'increment']);
    expect(lines).toEqual(['rate_limiter_call_failed store="appwrite" operation="consume" reason="retries_exhausted"']);
  });

  it('fails closed (503) on an increment answered with something that is no row, logging a bad response', async () => {
    const sightings = createRowSightings();
    const { rateLimits, lines } = store(sightings);
    await rateLimits.consume('garbage', rule);
    answers.increment = () => Response.json({ hits: 'many' });
    await expect(rateLimits.consume('garbage', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    expect(lines).toEqual(['rate_limiter_call_failed store="appwrite" operation="tablesDB.incrementRowColumn" reason="bad_response"']);
  });

  it('fails closed (503) when Appwrite fails the increment, logging which call failed', async () => {
    const sightings = createRowSightings();
    const { rateLimits, lines } = store(sightings);
    await rateLimits.consume('server-error', rule);
    answers.increment = appwrite('general_unknown');
    await expect(rateLimits.consume('server-error', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    expect(lines).toEqual(['appwrite_call_failed operation="tablesDB.incrementRowColumn" reason="server_error" status=500 appwriteType="general_unknown"']);
    expect(await hitsOf('server-error')).toBe(1);
  });

  it('a refusal shows the row exists: the next attempt goes straight to the increment', async () => {
    const { rateLimits } = store(createRowSightings());
    const other = store().rateLimits;
    for (let i = 0; i < 3; i += 1) await other.consume('full', rule);
    calls.length = 0;
    answers.createRow = appwrite('row_already_exists');
    expect((await rateLimits.consume('full', rule)).allowed).toBe(false);
    expect(calls).toEqual(['createRow', 'increment']);
    calls.length = 0;
    expect((await rateLimits.consume('full', rule)).allowed).toBe(false);
    expect(calls).toEqual(['increment']);
  });
});

describe('giveBack', () => {
  it('fails closed (503) when Appwrite fails the decrement, logging which call failed; the hit stays counted', async () => {
    const { rateLimits, lines } = store();
    const counted = await rateLimits.consume('give-back-fails', rule);
    answers.decrement = appwrite('general_unknown');
    await expect(rateLimits.giveBack!('give-back-fails', rule, counted.resetAt)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    expect(lines).toEqual(['appwrite_call_failed operation="tablesDB.decrementRowColumn" reason="server_error" status=500 appwriteType="general_unknown"']);
    expect(await hitsOf('give-back-fails')).toBe(1);
  });

  it('refuses (502) a missing table instead of taking it for a cleared row', async () => {
    const { rateLimits, lines } = store();
    const counted = await rateLimits.consume('give-back-table', rule);
    answers.decrement = appwrite('table_not_found');
    await expect(rateLimits.giveBack!('give-back-table', rule, counted.resetAt)).rejects.toMatchObject({ type: 'appwrite_error', status: 502 });
    expect(lines).toEqual([expect.stringMatching(/^appwrite_rejected_request operation="tablesDB\.decrementRowColumn" status=404 appwriteType="table_not_found" /)]);
  });

  it('takes only the end of one of the rule\'s windows', async () => {
    const { rateLimits } = store();
    for (const resetAt of [start + 60_001, start + 30_000, Number.NaN, 2 ** 60]) {
      await expect(rateLimits.giveBack!('give-back-when', rule, resetAt)).rejects.toThrow(new TypeError('resetAt must be the end of a window of this rule.'));
    }
    expect(calls).toEqual([]);
  });
});

describe('reset and purgeExpired', () => {
  it('fail closed (503) when Appwrite fails them, logging which call failed', async () => {
    const { rateLimits, lines } = store();
    answers.deleteRow = appwrite('general_unknown');
    answers.deleteRows = appwrite('general_unknown');
    await expect(rateLimits.reset('reset-fails', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    await expect(rateLimits.purgeExpired()).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    expect(lines).toEqual([
      'appwrite_call_failed operation="tablesDB.deleteRow" reason="server_error" status=500 appwriteType="general_unknown"',
      'appwrite_call_failed operation="tablesDB.deleteRows" reason="server_error" status=500 appwriteType="general_unknown"',
    ]);
  });

  it('reset refuses (502) a missing table instead of taking it for a row already gone', async () => {
    const { rateLimits, lines } = store();
    answers.deleteRow = appwrite('table_not_found');
    await expect(rateLimits.reset('reset-table', rule)).rejects.toMatchObject({ type: 'appwrite_error', status: 502 });
    expect(lines).toEqual([expect.stringMatching(/^appwrite_rejected_request operation="tablesDB\.deleteRow" status=404 appwriteType="table_not_found" /)]);
  });
});
