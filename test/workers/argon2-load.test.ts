// A burst of logins inside one workerd isolate. Wasm argon2 blocks the isolate while it runs, so
// requests reach the argon2 queue one at a time and a bound on its length alone never sheds load:
// the gate must refuse by time waited, and give the event loop a turn between two verifications.
import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { expect, it } from 'vitest';
import worker from '../../entries/worker.js';

const burstSize = 32;

// Limits raised so that every login of the burst reaches argon2; the queue bound is out of reach,
// so any 503 comes from the wait budget.
const burstEnv = {
  ...env,
  PASSWORD_LIMIT_LOGIN_IP: '1000/86400',
  PASSWORD_LIMIT_ACCOUNT: '1000/86400',
  PASSWORD_LIMIT_ACCOUNT_CAP: '1000/86400',
  ARGON2_MAX_QUEUE: '1000',
  ARGON2_MAX_WAIT_MS: '1000',
};

async function login(i: number): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://kit.test/password/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': `198.18.0.${i + 1}` },
      body: JSON.stringify({ username: `burst-${i}`, password: 'not the password' }),
    }),
    burstEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

it('sheds a burst of logins by time waited (503 server_busy, Retry-After) and serves /health between verifications', async () => {
  const started = Date.now();
  let verified = 0;
  const logins = Array.from({ length: burstSize }, (_, i) =>
    login(i).then((response) => {
      if (response.status === 401) verified++;
      return response;
    }),
  );
  let burstOver = false;
  void Promise.all(logins).then(() => (burstOver = true));

  // A load balancer's probe, through workerd as a new request (not a direct call in this isolate),
  // sent again a timer tick after each answer. For each probe: how many verifications ended while it
  // was out. A blocked isolate serves it only once the queue has drained.
  const verifiedWhileOut: number[] = [];
  const latencies: number[] = [];
  while (!burstOver) {
    const [before, sent] = [verified, Date.now()];
    const health = await exports.default.fetch('https://kit.test/health');
    expect(health.status).toBe(200);
    latencies.push(Date.now() - sent);
    verifiedWhileOut.push(verified - before);
    // Back to back, in-process requests would keep workerd's event queue from ever emptying, and
    // its timers (the gate's turn between verifications among them) fire only when it does.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  const responses = await Promise.all(logins);
  const statuses = responses.map((response) => response.status);
  const shed = responses.filter((response) => response.status === 503);
  console.log(
    `burst of ${burstSize}: ${verified} × 401, ${shed.length} × 503 in ${Date.now() - started} ms; ` +
      `${latencies.length} /health probes, slowest ${Math.max(...latencies)} ms, at most ${Math.max(...verifiedWhileOut)} verifications while one was out`,
  );

  expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
  expect(verified).toBeGreaterThan(0);
  expect(shed.length).toBeGreaterThan(0);
  for (const response of shed) {
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ code: 503, type: 'server_busy' });
  }
  // Served between two verifications (the one running when it arrived, perhaps the next), never
  // behind the whole queue.
  expect(Math.max(...verifiedWhileOut)).toBeLessThanOrEqual(2);
}, 120_000);

it('answers every login of a burst of real requests with 401 or 503 server_busy, and keeps serving logins after it', async () => {
  // Each request through workerd has a request context of its own, as in production: one request
  // must never settle what another awaits (workerd fails the awaiting request, or cancels it as
  // hung). Settings are those of .dev.vars.example, the kit's defaults.
  const send = (i: number) =>
    exports.default.fetch('https://kit.test/password/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': `198.18.1.${i + 1}` },
      body: JSON.stringify({ username: `requests-${i}`, password: 'not the password' }),
    });
  const started = Date.now();
  const responses = await Promise.all(Array.from({ length: 24 }, (_, i) => send(i)));
  const statuses = responses.map((response) => response.status);
  console.log(`24 real requests: ${statuses.filter((status) => status === 401).length} × 401, ${statuses.filter((status) => status === 503).length} × 503 in ${Date.now() - started} ms`);
  expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
  expect(statuses).toContain(401);
  for (const response of responses.filter((response) => response.status === 503)) {
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toMatchObject({ code: 503, type: 'server_busy' });
  }
  expect((await send(99)).status).toBe(401);
}, 120_000);

