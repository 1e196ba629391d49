/**
 * The playground's script (bundled by `shared/runtime/playground.ts`): one panel per function of
 * `/openapi.json`, each route a form built from its schema, so a function added to the registry
 * appears here with no edit. A route answering `{ userId, secret }` signs in with the `appwrite` web
 * SDK; one answering `{ userId, expire }` sent a code out of band (see the outbox) and asks for it;
 * a 302 route is a page to open. Passkey routes come in pairs around the browser's WebAuthn.
 *
 * No secret is logged or put in a URL; the redirect flow's success URL carries one by contract, and
 * the page removes it from the address bar before anything else.
 *
 * @module
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { Account, Client, type Models } from 'appwrite';

interface Settings {
  endpoint: string | null;
  projectId: string;
  outbox: boolean;
  developmentCaptchaToken: string | null;
  developmentIssuer: string | null;
}

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
}

interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
}

interface OpenApi {
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
}

/** A failure as the page shows it: the kit's `{ type, message, code }`, Appwrite's, or the browser's. */
class Failure extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

/** Routes the page never calls itself: the issuer redirects the browser to it. */
const notForThePage = new Set(['auth0.callback']);
/** Routes the passkey panel drives around WebAuthn instead of a form. */
const passkeyPairs = /^passkey\.(signUp|signIn|add)(Options|Verify)$/;

/**
 * Back from the redirect flow: the success URL carries `userId` and `secret`, the failure URL
 * `error`. Read, then taken out of the address bar and history before anything else runs.
 */
const returned = new URLSearchParams(location.search);
// Any query string goes: a secret must not stay in the address bar or history, whatever brought it.
if (location.search) history.replaceState(null, '', location.pathname);

const settings = (await (await fetch('/_dev/playground/config.json')).json()) as Settings;
const account = new Account(new Client().setEndpoint(settings.endpoint ?? `${location.origin}/v1`).setProject(settings.projectId));

/** `<tag attr=value>children</tag>`; text children are text, never HTML. */
function h<Tag extends keyof HTMLElementTagNameMap>(tag: Tag, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[Tag] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

let uniqueIds = 0;
const nextId = (stem: string) => `${stem.replace(/[^\w-]/g, '-')}-${++uniqueIds}`;

/** `currentPassword` → `current password`. */
const words = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

function asFailure(error: unknown): Failure {
  if (error instanceof Failure) return error;
  const { type, message, code } = (error ?? {}) as { type?: unknown; message?: unknown; code?: unknown };
  return new Failure(typeof type === 'string' && type ? type : 'browser_error', typeof message === 'string' ? message : String(error), typeof code === 'number' ? code : 0);
}

function showError(target: Element, error: unknown): void {
  const failure = asFailure(error);
  target.replaceChildren(h('p', { class: 'error', role: 'alert' }, h('code', { 'data-error-type': '' }, failure.type), failure.status ? ` (${failure.status})` : '', `: ${failure.message}`));
}

/** POSTs JSON to a kit route; its JSON answer, `null` for a 204, or a `Failure` with the kit's `type`. */
async function call(path: string, body: unknown): Promise<Record<string, unknown> | null> {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = response.status === 204 ? null : ((await response.json().catch(() => ({}))) as Record<string, unknown>);
  if (!response.ok) throw new Failure(String(answer?.['type'] ?? 'unexpected_response'), String(answer?.['message'] ?? response.statusText), response.status);
  return answer;
}

/** Runs a button's action with the button disabled, in place of what `result` showed, and any failure there. */
function busy(button: HTMLButtonElement, result: Element, action: () => Promise<void>): void {
  button.disabled = true;
  result.replaceChildren(h('p', { 'data-working': '' }, 'Working…'));
  action()
    .catch((error: unknown) => showError(result, error))
    .finally(() => (button.disabled = false));
}

// ---- The signed-in account --------------------------------------------------------------------

const accountResult = document.querySelector('#account [data-result]')!;

/** The account card: `account.get()`, the session list and a log-out button. */
async function accountCard(): Promise<HTMLElement> {
  let user: Models.User<Models.Preferences>;
  try {
    user = await account.get();
  } catch {
    return h('p', { 'data-signed-out': '' }, 'Not signed in.');
  }
  const { sessions } = await account.listSessions();
  const verified = (value: string, ok: boolean) => (value ? `${value} (${ok ? 'verified' : 'not verified'})` : '—');
  const row = (label: string, field: string, value: string) => [h('dt', {}, label), h('dd', { 'data-field': field }, value)];
  const logOut = h('button', { type: 'button', class: 'quiet' }, 'Log out');
  const card = h(
    'div',
    { class: 'account' },
    h('p', { class: 'ok' }, 'Signed in.'),
    h(
      'dl',
      {},
      ...row('User ID', 'userId', user.$id),
      ...row('Name', 'name', user.name || '—'),
      ...row('Email', 'email', verified(user.email, user.emailVerification)),
      ...row('Phone', 'phone', verified(user.phone, user.phoneVerification)),
      ...row('Labels', 'labels', user.labels.join(', ') || '—'),
    ),
    h('h3', {}, `Sessions (${sessions.length})`),
    h('ul', { 'data-field': 'sessions' }, ...sessions.map((session) => h('li', {}, `${session.current ? 'this browser' : session.clientName || 'another client'}, since ${session.$createdAt}, until ${session.expire}`))),
    logOut,
  );
  logOut.addEventListener('click', () => {
    const where = card.parentElement ?? card;
    busy(logOut, where, async () => {
      await account.deleteSession({ sessionId: 'current' });
      await showAccount(where);
    });
  });
  return card;
}

/** Shows the account at the top and, after a sign-in there, in the panel that signed in. */
async function showAccount(panelResult: Element | null): Promise<void> {
  accountResult.replaceChildren(await accountCard());
  if (panelResult) panelResult.replaceChildren(await accountCard());
}

/** Opens a session from a token (`userId`, `secret`), ending the page's current one first. */
async function signIn(userId: string, secret: string, panelResult: Element): Promise<void> {
  await account.deleteSession({ sessionId: 'current' }).catch(() => undefined);
  await account.createSession({ userId, secret });
  await showAccount(panelResult);
}

// ---- The development outbox -------------------------------------------------------------------

interface OutboxEntry {
  channel: string;
  userId: string;
  to: string;
  subject?: string;
  content: string;
  createdAt: string;
}

async function outboxEntries(): Promise<OutboxEntry[]> {
  if (!settings.outbox) return [];
  return ((await (await fetch('/_dev/outbox')).json()) as { entries: OutboxEntry[] }).entries.reverse();
}

async function refreshOutbox(): Promise<void> {
  const list = document.querySelector('#outbox-entries')!;
  const entries = await outboxEntries();
  list.replaceChildren(
    ...(entries.length === 0
      ? [h('li', {}, 'Nothing delivered yet.')]
      : entries.map((entry) => h('li', { 'data-channel': entry.channel }, h('strong', {}, `${entry.channel} to ${entry.to}`), ` at ${entry.createdAt}`, entry.subject ? h('div', {}, entry.subject) : '', h('pre', {}, entry.content)))),
  );
}

// ---- A form per route -------------------------------------------------------------------------

/** The captcha step: the development widget (a checkbox that yields the provider's token) or a token field. */
function captchaField(): { element: HTMLElement; token: () => string } {
  if (settings.developmentCaptchaToken) {
    const id = nextId('captcha');
    const box = h('input', { type: 'checkbox', id, name: 'development-captcha' });
    const element = h('div', { class: 'captcha' }, box, h('label', { for: id, class: 'check' }, 'I am human (development captcha)'));
    return { element, token: () => (box.checked ? settings.developmentCaptchaToken! : '') };
  }
  const id = nextId('captcha-token');
  const input = h('input', { id, autocomplete: 'off' });
  return { element: h('div', {}, h('label', { for: id }, 'Captcha token (from your widget)'), input), token: () => input.value };
}

/** One input for a schema property. */
function field(name: string, schema: Schema, required: boolean): { element: HTMLElement; value: () => unknown } {
  const id = nextId(name);
  const hint = schema.description ? h('small', { id: `${id}-hint` }, schema.description) : '';
  if (schema.type === 'boolean') {
    const box = h('input', { type: 'checkbox', id, name });
    return { element: h('div', {}, h('label', { for: id, class: 'check' }, box, words(name)), hint), value: () => box.checked };
  }
  const type = /password/i.test(name) ? 'password' : name === 'email' ? 'email' : name === 'phone' ? 'tel' : 'text';
  const autocomplete = name === 'newPassword' ? 'new-password' : type === 'password' ? 'current-password' : name === 'username' ? 'username' : name === 'phone' ? 'tel' : type === 'email' ? 'email' : 'off';
  const input = h('input', { id, name, type, autocomplete, ...(required ? { required: '' } : {}), ...(hint ? { 'aria-describedby': `${id}-hint` } : {}) });
  return { element: h('div', {}, h('label', { for: id }, words(name) + (required ? '' : ' (optional)')), input, hint), value: () => (input.value === '' ? undefined : input.value) };
}

/** Where a redirect route sends the browser back: this page, remembering which route it was. */
const returnUrl = (operationId: string) => `${location.origin}/?via=${encodeURIComponent(operationId)}`;

/** The form of one route: its fields from the schema, and what its answer means. */
function routeForm(path: string, operation: Operation, result: Element): HTMLFormElement {
  const schema = Object.values(operation.requestBody?.content ?? {})[0]?.schema ?? {};
  const required = new Set(schema.required ?? []);
  const inputs = new Map<string, () => unknown>();
  const form = h('form', { 'data-operation': operation.operationId }, h('h3', {}, operation.summary));
  let captcha: (() => string) | null = null;
  let usesJwt = false;
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (name === 'captchaToken') {
      const widget = captchaField();
      form.append(widget.element);
      captcha = widget.token;
    } else if (name === 'jwt') {
      usesJwt = true;
      form.append(h('p', { class: 'note' }, 'Uses a JWT of the signed-in account (account.createJWT()).'));
    } else {
      const input = field(name, property, required.has(name));
      form.append(input.element);
      inputs.set(name, input.value);
    }
  }
  const redirect = '302' in operation.responses;
  for (const parameter of operation.parameters ?? []) {
    const input = field(parameter.name, { ...parameter.schema, description: parameter.description ?? '' }, parameter.required);
    const element = input.element.querySelector('input');
    if (element && (parameter.name === 'success' || parameter.name === 'failure')) element.value = returnUrl(operation.operationId);
    form.append(input.element);
    inputs.set(parameter.name, input.value);
  }
  const issuerLogin = redirect && operation.tags[0] === 'auth0' && settings.developmentIssuer;
  const button = h('button', { type: 'submit' }, issuerLogin ? 'Sign in with the development issuer' : redirect ? 'Open the sign-in page' : 'Send');
  form.append(button);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(button, result, async () => {
      const values = Object.fromEntries([...inputs].map(([name, value]) => [name, value()]).filter(([, value]) => value !== undefined));
      if (redirect) return location.assign(`${path}?${new URLSearchParams(values as Record<string, string>)}`);
      // An unsolved captcha is left out, as a page without a widget would send nothing.
      const captchaToken = captcha?.();
      if (captchaToken) values['captchaToken'] = captchaToken;
      if (usesJwt) values['jwt'] = (await account.createJWT()).jwt;
      const answer = await call(path, values);
      await showAnswer(answer, result);
    });
  });
  return form;
}

/** What a route answered: a session to open, a code to ask for, or its JSON. */
async function showAnswer(answer: Record<string, unknown> | null, result: Element): Promise<void> {
  const userId = typeof answer?.['userId'] === 'string' ? answer['userId'] : null;
  if (userId && typeof answer?.['secret'] === 'string') return signIn(userId, answer['secret'], result);
  if (userId && typeof answer?.['expire'] === 'string') return askForCode(userId, answer['expire'], result);
  result.replaceChildren(answer === null ? h('p', { class: 'ok' }, 'Done (204).') : h('pre', { 'data-answer': '' }, JSON.stringify(answer, null, 2)));
  await showAccount(null);
}

/** A code went out of band: shows what was delivered (development outbox) and takes the code. */
async function askForCode(userId: string, expire: string, result: Element): Promise<void> {
  await refreshOutbox();
  const delivered = (await outboxEntries()).find((entry) => entry.userId === userId);
  const id = nextId('code');
  const input = h('input', { id, name: 'code', autocomplete: 'one-time-code', required: '' });
  const button = h('button', { type: 'submit' }, 'Sign in with the code');
  const form = h(
    'form',
    { 'data-code-for': userId },
    h('p', {}, `A code is on its way; it works until ${expire}.`),
    delivered ? h('div', { 'data-delivered': '' }, h('strong', {}, `Delivered (${delivered.channel} to ${delivered.to}):`), h('pre', {}, delivered.content)) : '',
    h('label', { for: id }, 'Code'),
    input,
    button,
  );
  const status = h('div', { 'aria-live': 'polite' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(button, status, () => signIn(userId, input.value.trim(), result));
  });
  result.replaceChildren(form, status);
}

// ---- Richer panels ----------------------------------------------------------------------------

/** Passkeys: sign up, sign in and add one, each an options route, the browser's WebAuthn, and a verify route. */
function passkeyPanel(section: HTMLElement, base: string, result: Element): void {
  const usernameId = nextId('passkey-username');
  const username = h('input', { id: usernameId, name: 'username', autocomplete: 'username webauthn' });
  const signUp = h('button', { type: 'button' }, 'Sign up with a passkey');
  const signInButton = h('button', { type: 'button' }, 'Sign in with a passkey');
  const add = h('button', { type: 'button', class: 'quiet' }, 'Add a passkey to this account');
  const form = h(
    'form',
    { 'data-operation': 'passkey.webauthn' },
    h('h3', {}, 'With this browser’s passkeys (WebAuthn)'),
    h('label', { for: usernameId }, 'username (to sign up; optional to sign in)'),
    username,
    h('p', {}, signUp, ' ', signInButton, ' ', add),
  );
  form.addEventListener('submit', (event) => event.preventDefault());
  type Options = Parameters<typeof startRegistration>[0]['optionsJSON'];
  type RequestOptions = Parameters<typeof startAuthentication>[0]['optionsJSON'];
  signUp.addEventListener('click', () =>
    busy(signUp, result, async () => {
      const optionsJSON = (await call(`${base}/sign-up/options`, { username: username.value })) as unknown as Options;
      await showAnswer(await call(`${base}/sign-up/verify`, { response: await startRegistration({ optionsJSON }) }), result);
    }),
  );
  signInButton.addEventListener('click', () =>
    busy(signInButton, result, async () => {
      const optionsJSON = (await call(`${base}/sign-in/options`, username.value ? { username: username.value } : {})) as unknown as RequestOptions;
      await showAnswer(await call(`${base}/sign-in/verify`, { response: await startAuthentication({ optionsJSON }) }), result);
    }),
  );
  add.addEventListener('click', () =>
    busy(add, result, async () => {
      const { jwt } = await account.createJWT();
      const optionsJSON = (await call(`${base}/add/options`, { jwt })) as unknown as Options;
      await call(`${base}/add/verify`, { jwt, response: await startRegistration({ optionsJSON }) });
      result.replaceChildren(h('p', { class: 'ok' }, 'Passkey added.'));
    }),
  );
  section.append(form);
}

/** The token-exchange demo: a token from the development issuer, as an app's Auth0 SDK would hold one. */
function issuerTokenButton(form: HTMLFormElement, result: Element): void {
  const tokenInput = form.querySelector<HTMLInputElement>('input[name="token"]');
  if (!tokenInput || !settings.developmentIssuer) return;
  const id = nextId('issuer-user');
  const user = h('input', { id, autocomplete: 'off', value: 'ada' });
  const button = h('button', { type: 'button', class: 'quiet' }, 'Get an access token from the development issuer');
  button.addEventListener('click', () =>
    busy(button, result, async () => {
      // Same origin as the page: the issuer is this server, under its own path.
      const answer = await fetch(`${new URL(settings.developmentIssuer!).pathname}dev/access-token`, { method: 'POST', body: new URLSearchParams({ username: user.value, roles: 'player' }) });
      if (!answer.ok) throw new Failure('issuer_error', `The development issuer answered ${answer.status}.`, answer.status);
      tokenInput.value = ((await answer.json()) as { access_token: string }).access_token;
    }),
  );
  form.querySelector('h3')!.after(h('label', { for: id }, 'Issuer user name'), user, button);
}

// ---- The page ---------------------------------------------------------------------------------

/** Opens the session the redirect flow brought back (see `returned`), in the panel that started it. */
async function finishRedirect(params: URLSearchParams): Promise<void> {
  const via = params.get('via');
  if (!via) return;
  const panel = document.querySelector(`section[data-function="${CSS.escape(via.split('.')[0] ?? '')}"]`) ?? document.querySelector('#account')!;
  const result = panel.querySelector('[data-result]')!;
  panel.scrollIntoView();
  const [userId, secret, error] = [params.get('userId'), params.get('secret'), params.get('error')];
  try {
    if (error) throw new Failure(error, 'The sign-in page sent the browser back with this error.');
    if (!userId || !secret) throw new Failure('unexpected_response', 'Back from the sign-in page without a user ID and secret.');
    await signIn(userId, secret, result);
  } catch (failure) {
    showError(result, failure);
  }
}

async function main(): Promise<void> {
  if (location.hostname !== 'localhost') {
    const hint = document.querySelector<HTMLElement>('#host-hint')!;
    hint.hidden = false;
    hint.textContent = `Passkeys and the redirect flow work at http://localhost:${location.port}/ (browsers allow WebAuthn on host names only).`;
  }
  const document_ = (await (await fetch('/openapi.json')).json()) as OpenApi;
  const container = document.querySelector('#functions')!;
  const contents = document.querySelector('#contents')!;
  container.replaceChildren();
  for (const tag of document_.tags.filter((candidate) => candidate.name !== 'Server')) {
    const titleId = nextId(`title-${tag.name}`);
    const result = h('div', { 'data-result': '', 'aria-live': 'polite' });
    const section = h('section', { id: `fn-${tag.name}`, 'data-function': tag.name, 'aria-labelledby': titleId }, h('h2', { id: titleId }, tag.name), h('p', {}, tag.description));
    contents.append(h('li', {}, h('a', { href: `#fn-${tag.name}` }, tag.name)));
    const routes = Object.entries(document_.paths).flatMap(([path, operations]) =>
      Object.values(operations)
        .filter((operation) => operation.tags[0] === tag.name && !notForThePage.has(operation.operationId))
        // Vendors and issuers post forms (status callbacks, back-channel logout); the page never does.
        .filter((operation) => !operation.requestBody || operation.requestBody.content['application/json'])
        .map((operation) => ({ path, operation })),
    );
    if (routes.some(({ operation }) => passkeyPairs.test(operation.operationId))) passkeyPanel(section, `/${tag.name}`, result);
    for (const { path, operation } of routes.filter(({ operation }) => !passkeyPairs.test(operation.operationId))) {
      const form = routeForm(path, operation, result);
      if (operation.operationId === 'auth0.exchange') issuerTokenButton(form, result);
      section.append(form);
    }
    section.append(h('h3', {}, 'Result'), result);
    container.append(section);
  }
  container.setAttribute('aria-busy', 'false');
  if (settings.outbox) {
    document.querySelector<HTMLElement>('#outbox')!.hidden = false;
    contents.append(h('li', {}, h('a', { href: '#outbox' }, 'outbox')));
    document.querySelector('#outbox-refresh')!.addEventListener('click', () => void refreshOutbox());
    document.querySelector('#outbox-clear')!.addEventListener('click', () => void fetch('/_dev/outbox', { method: 'DELETE' }).then(refreshOutbox));
    await refreshOutbox();
  }
  await finishRedirect(returned);
  accountResult.replaceChildren(await accountCard());
  document.body.dataset['ready'] = 'true';
}

await main();
