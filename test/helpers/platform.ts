/**
 * One way for tests to get what a runtime would give a function: `createTestPlatform()` returns
 * runtime services (for `fn.build` and `mountFunctions`) and the ports themselves (for a
 * function's `createApp`), in memory unless told otherwise.
 *
 * @module
 */
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { createAuditReferences, type AuditReferences } from '../../shared/audit.js';
import { captchaPort, type CaptchaVerifier } from '../../shared/captcha/index.js';
import type { Clock } from '../../shared/clock.js';
import type { AppwriteConnection, EnvSource } from '../../shared/config.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { createMemoryOnceStore } from '../../shared/once/memory-store.js';
import type { OnceStore } from '../../shared/once/store.js';
import { nodeArgon2Verifier } from '../../shared/passwords/node-argon2.js';
import type { PasswordVerifier } from '../../shared/passwords/verifier.js';
import type { RuntimeServices } from '../../shared/platform.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import type { RateLimitStore } from '../../shared/rate-limit/store.js';
import { createRuntimeServices } from '../../shared/runtime/services.js';
import type { UsersDirectory } from '../../shared/users.js';

/** What a test may set; everything else has an in-memory default. */
export interface TestPlatformOptions {
  env?: EnvSource;
  clock?: Clock;
  logger?: Logger;
  /** Where Appwrite is; without it, a closed loopback port (calls fail with `appwrite_unavailable`). */
  connection?: AppwriteConnection;
  users?: UsersDirectory;
  passwordVerifier?: PasswordVerifier;
  rateLimitStore?: RateLimitStore;
  onceStore?: OnceStore;
  /** Account references for log lines; default: under a fixed test key. */
  audit?: AuditReferences;
  /** Default: the `captchaPort` of these runtime services, built when first used. */
  captcha?: CaptchaVerifier;
  /** `runtime.development`: true as with `npm start` and the embedded Appwrite. Default false. */
  development?: boolean;
}

/** Runtime services plus ready-made ports. */
export interface TestPlatform {
  runtime: RuntimeServices;
  logger: Logger;
  clock: Clock;
  users: UsersDirectory;
  passwordVerifier: PasswordVerifier;
  rateLimitStore: RateLimitStore;
  onceStore: OnceStore;
  audit: AuditReferences;
  captcha: CaptchaVerifier;
}

/**
 * The captcha port of `runtime`, built on first use as a function's build would: a test that only
 * wants the other ports never builds it (nor sees its notice or its `ConfigError`).
 */
function captchaOnFirstUse(runtime: RuntimeServices): CaptchaVerifier {
  let built: CaptchaVerifier | undefined;
  const captcha = () => (built ??= captchaPort.create(runtime));
  return {
    get provider() {
      return captcha().provider;
    },
    verify: (token, context) => captcha().verify(token, context),
  };
}

/**
 * @example
 * ```ts
 * const platform = createTestPlatform({ connection, clock: dev.clock });
 * const app = createPasswordApp(parseConfig(passwordConfigSchema, {}), platform);
 * const mounted = mountFunctions(kitFunctions, {}, platform.runtime);
 * ```
 */
export function createTestPlatform(options: TestPlatformOptions = {}): TestPlatform {
  const clock = options.clock ?? { now: () => Date.now() };
  const logger = options.logger ?? silentLogger;
  // Without one, Appwrite is a closed loopback port: ports build, and fail closed when called.
  const connection = options.connection ?? {
    APPWRITE_ENDPOINT: 'http://127.0.0.1:9/v1',
    APPWRITE_PROJECT_ID: 'kit-test',
    APPWRITE_API_KEY: 'kit-test-key',
    APPWRITE_TIMEOUT_MS: 1000,
  };
  const rateLimitStore = options.rateLimitStore ?? createMemoryStore({ clock });
  const onceStore = options.onceStore ?? createMemoryOnceStore({ clock });
  const users = options.users ?? createAppwriteUsers(connection, logger);
  const runtime = createRuntimeServices({
    kind: 'node',
    development: options.development ?? false,
    env: options.env ?? {},
    logger,
    clock,
    appwrite: () => connection,
    rateLimitStore: () => rateLimitStore,
    onceStore: () => onceStore,
  });
  const audit = options.audit ?? createAuditReferences('test-audit-log-key-0123456789abcdef');
  const captcha = options.captcha ?? captchaOnFirstUse(runtime);
  return { runtime, logger, clock, users, passwordVerifier: options.passwordVerifier ?? nodeArgon2Verifier, rateLimitStore, onceStore, audit, captcha };
}
