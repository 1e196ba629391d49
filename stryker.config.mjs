// @ts-check
// Mutation testing (`npm run mutate`, issue 15): how strong the tests of the security-critical
// modules are, not just how broad. This `mutate` list is the one place that says which modules
// those are; add a new function's verifier here when it lands.
//
// Mutants switch on only inside the vitest worker, so only the `node` test project runs
// (stryker.vitest.config.ts): code that runs in workerd or in a child process is not measured here.
// Equivalent mutants are marked in the source, never here:
// `// Stryker disable next-line <Mutator>: <one-line reason>`.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'stryker.vitest.config.ts' },
  // The vitest runner always measures coverage per test; said here so nobody wonders.
  coverageAnalysis: 'perTest',
  mutate: [
    // The password function: sign-up, sign-in, change; username and password rules, its config.
    // errors.ts only declares data: its string mutants are message texts.
    'functions/password/**/*.ts',
    '!functions/password/errors.ts',
    // The sign-in pipeline every function signs in through: guards, user id, resolve, token, delivery.
    'shared/sign-in/**/*.ts',
    // Rate limiting: client keys, policies (parsed from config), the guard, and the stores.
    // appwrite-table.ts is the table declaration (data, checked against appwrite.json by its own test).
    'shared/rate-limit/**/*.ts',
    '!shared/rate-limit/appwrite-table.ts',
    // The Durable Object class runs only inside workerd (test/workers-rate-limit), where mutants
    // cannot switch on: all 113 of its mutants would count as uncovered.
    '!shared/rate-limit/durable-object.ts',
    // argon2 verification and the gate that bounds how many run at once. The workerd entry
    // (wasm-argon2-workerd.ts) only runs inside workerd, where mutants cannot switch on.
    'shared/passwords/**/*.ts',
    '!shared/passwords/wasm-argon2-workerd.ts',
    // The HTTP error layer: one error shape, status mapping, body validation.
    'shared/http.ts',
    'shared/errors.ts',
    // Config parsing: the shared helpers; each function's and verifier's schema is in its group.
    'shared/config.ts',
    'shared/constant-time.ts',
    // Verifiers. Captcha: siteverify vendors and the development provider.
    'shared/captcha/**/*.ts',
    // OIDC: token verification, keys, discovery, config.
    'shared/oidc/**/*.ts',
    // Phone: which numbers are called, Twilio's status-callback signature, Twilio Verify, config.
    'functions/phone-call/phone.ts',
    'functions/phone-call/config.ts',
    'shared/voice/**/*.ts',
    // Passkeys: signed single-use challenges, the ceremonies' checks, config.
    'functions/passkey/challenge.ts',
    'functions/passkey/app.ts',
    'functions/passkey/config.ts',
    // Re-export barrels hold no code to mutate.
    '!**/index.ts',
  ],
  thresholds: { high: 90, low: 85, break: 85 },
  // Two cores, shared: one test runner per core.
  concurrency: 2,
  // Tests start real HTTP servers and an embedded Appwrite: give a slow machine room before a
  // mutant counts as a timeout.
  timeoutMS: 10_000,
  // The first run, every related test once with coverage, takes 5–10 minutes on two busy cores.
  dryRunTimeoutMinutes: 30,
  // Mutants reached only while modules load or in beforeAll (a zod schema's regex or message, a
  // server started once per file) are "static": Stryker would run every related test for each of
  // them, minutes apiece here. They are reported as ignored, and the behaviour tests of those schemas
  // (test/password/password-boundaries.test.ts, test/config.test.ts, ...) stand in for them.
  ignoreStatic: true,
  // CI re-runs only the mutants whose code or covering tests changed since the committed results.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: { allowColor: false, allowEmojis: false, reportScoreTable: true, reportMutants: true },
  // Other runs' sandboxes (a run per group at once, each with its own --tempDirName) are not source.
  ignorePatterns: ['dist', '.wrangler', 'coverage', '.stryker-tmp*'],
  // Vitest does not type-check, and the `// @ts-nocheck` Stryker would add to every file changes
  // files whose text tests compare (client/routes.generated.ts).
  disableTypeChecks: false,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
