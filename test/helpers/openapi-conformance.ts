/**
 * Checks that an answer is one the OpenAPI document promises: the operation exists, its status is
 * documented, and its body validates against the schema documented for that status (Ajv, JSON
 * Schema 2020-12, the dialect of OpenAPI 3.1). End-to-end tests run every answer they get through
 * it, so a route that answers something its declaration does not say fails a test, not a client.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

/**
 * An answer as the test received it, for answers that are not a fetch `Response` (a `Response` can
 * be passed to {@link expectDocumentedAnswer} as is).
 *
 * @example
 * ```ts
 * const result = await invokeOpenRuntimes(entry, request); // the fake Appwrite runtime
 * const answer: RecordedAnswer = { status: result.statusCode, headers: new Headers({ 'content-type': 'application/json' }), body: result.text() };
 * ```
 */
export interface RecordedAnswer {
  status: number;
  /** Response headers; names in any case. */
  headers: Headers;
  /** The body as text ('' when empty). */
  body: string;
}

/**
 * Thrown (and so failing the test) when an answer is not one the document promises.
 *
 * @example
 * ```ts
 * await expect(expectDocumentedAnswer(document, 'post', '/login', answer)).rejects.toBeInstanceOf(OpenApiConformanceError);
 * ```
 */
export class OpenApiConformanceError extends Error {
  override readonly name = 'OpenApiConformanceError';

  constructor(
    readonly problems: readonly string[],
    where: string,
    body: string,
  ) {
    // The body is cut short: an answer may hold a token secret, and a test log needs only the start.
    super(`${where} does not match the OpenAPI document:\n- ${problems.join('\n- ')}\nbody: ${body.slice(0, 500)}`);
  }
}

// One validator for every document: compiled schemas are cached by the schema object they came from.
// strict: an unknown keyword in a generated schema is a bug in the generator, not something to skip.
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
// OpenAPI 3.1's own schema keywords: annotations here, not validation.
ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
const compiled = new WeakMap<Json, ValidateFunction>();
let componentsId = 0;
const componentsOf = new WeakMap<Json, string>();

/** Rewrites `#/components/schemas/X` to the copy of the components registered with Ajv under `id`. */
function rewriteRefs(value: unknown, id: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, id));
  if (!value || typeof value !== 'object') return value;
  const copy: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')) {
      copy[key] = `${id}#/$defs/${inner.slice('#/components/schemas/'.length)}`;
    } else copy[key] = rewriteRefs(inner, id);
  }
  return copy;
}

/**
 * The validator of one documented schema. Schemas refer to their own `$defs` (zod's output) or to
 * the document's `components.schemas`, which are registered with Ajv once per document.
 */
function validatorFor(document: Json, schema: Json): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate) return validate;
  let id = componentsOf.get(document);
  if (!id) {
    id = `openapi-components-${++componentsId}`;
    const schemas = ((document['components'] as Json | undefined)?.['schemas'] ?? {}) as Json;
    ajv.addSchema({ $id: id, $defs: rewriteRefs(schemas, id) }, id);
    componentsOf.set(document, id);
  }
  validate = ajv.compile(rewriteRefs(schema, id) as Json);
  compiled.set(schema, validate);
  return validate;
}

/** The documented path template matching a concrete path (`/users/{id}` for `/users/42`), exact names first. */
function matchPath(paths: Json, path: string): string | undefined {
  if (path in paths) return path;
  return Object.keys(paths).find((template) => {
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
    return new RegExp(`^${pattern}$`).test(path);
  });
}

/**
 * Every way an answer departs from the document; empty when it conforms.
 *
 * @example
 * ```ts
 * const problems = answerProblems(document, 'post', '/password/login', { status: 200, headers, body });
 * // [] or e.g. ['status 418 is not documented for POST /password/login (documented: 200, 400, ...)']
 * ```
 */
export function answerProblems(document: Json, method: string, path: string, answer: RecordedAnswer): string[] {
  const paths = (document['paths'] ?? {}) as Json;
  const pathname = path.split('?')[0]!;
  const template = matchPath(paths, pathname);
  const where = `${method.toUpperCase()} ${pathname}`;
  if (!template) return [`no documented path matches ${pathname}`];
  const operation = (paths[template] as Json)[method.toLowerCase()] as Json | undefined;
  if (!operation) return [`${where} is not a documented operation`];

  const responses = (operation['responses'] ?? {}) as Json;
  const status = String(answer.status);
  const spec = (responses[status] ?? responses[`${status[0]}XX`] ?? responses['default']) as Json | undefined;
  if (!spec) return [`status ${status} is not documented for ${where} (documented: ${Object.keys(responses).join(', ')})`];

  const problems: string[] = [];
  for (const [name, header] of Object.entries((spec['headers'] ?? {}) as Record<string, Json>)) {
    if (header['required'] === true && !answer.headers.has(name)) problems.push(`required header ${name} is missing`);
  }
  const content = spec['content'] as Record<string, Json> | undefined;
  if (!content) {
    if (answer.body.length > 0) problems.push(`status ${status} of ${where} is documented without a body, but one came`);
    return problems;
  }
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const documented = content[mediaType];
  if (!documented) return [...problems, `content type "${mediaType}" is not documented for status ${status} (documented: ${Object.keys(content).join(', ')})`];
  if (!/^application\/(?:[\w.-]+\+)?json$/.test(mediaType) || !documented['schema']) return problems;

  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return [...problems, `the body is not JSON, though documented as ${mediaType}`];
  }
  const validate = validatorFor(document, documented['schema'] as Json);
  if (!validate(body)) {
    for (const error of validate.errors ?? []) problems.push(`body${error.instancePath || ''} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)}`);
  }
  return problems;
}

/**
 * Fails (throws {@link OpenApiConformanceError}) unless the answer is one the document promises for
 * that operation. Reads a `Response` from a clone, so the caller can still read the body.
 *
 * @example
 * ```ts
 * const document = openApiDocument(kitFunctions, { mounted: true });
 * const response = await fetch(`${url}/password/login`, init);
 * await expectDocumentedAnswer(document, 'post', '/password/login', response);
 * expect(response.status).toBe(200); // the body is still unread
 * ```
 */
export async function expectDocumentedAnswer(document: Json, method: string, path: string, answer: Response | RecordedAnswer): Promise<void> {
  const recorded: RecordedAnswer =
    answer instanceof Response ? { status: answer.status, headers: answer.headers, body: await answer.clone().text() } : answer;
  const problems = answerProblems(document, method, path, recorded);
  if (problems.length > 0) throw new OpenApiConformanceError(problems, `${method.toUpperCase()} ${path} → ${recorded.status}`, recorded.body);
}
