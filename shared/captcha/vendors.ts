/**
 * What differs between the siteverify vendors: where they answer, how long their tokens live, and
 * which of the answer's claims the kit can check. Sources: shared/reference/security-and-vendors.md §1.
 *
 * @module
 */
import * as z from 'zod';

/** A provider with a siteverify endpoint. */
export type VendorName = 'turnstile' | 'hcaptcha' | 'recaptcha-v2' | 'recaptcha-v3';

/** One vendor's siteverify contract, as far as the kit relies on it. */
export interface VendorContract {
  /** The default siteverify endpoint (`CAPTCHA_SITEVERIFY_URL` overrides it). */
  url: string;
  /** How long the vendor accepts a token after it was solved. */
  tokenLifetimeSeconds: number;
  /** The answer carries the widget's `action`, which the kit compares with the expected one. */
  hasAction: boolean;
  /** The answer carries a 0–1 `score` (reCAPTCHA v3), compared with `CAPTCHA_MIN_SCORE`. */
  hasScore: boolean;
  /** The vendor takes a `sitekey` field and refuses tokens solved for another site (hCaptcha). */
  takesSiteKey: boolean;
  /** The vendor takes an `idempotency_key`, so one retry cannot spend the token twice (Turnstile). */
  idempotent: boolean;
}

/**
 * The four siteverify contracts.
 *
 * @example
 * ```ts
 * vendorContracts.turnstile.tokenLifetimeSeconds; // 300
 * ```
 */
export const vendorContracts: Record<VendorName, VendorContract> = {
  turnstile: {
    url: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    tokenLifetimeSeconds: 300,
    hasAction: true,
    hasScore: false,
    takesSiteKey: false,
    idempotent: true,
  },
  hcaptcha: {
    url: 'https://api.hcaptcha.com/siteverify',
    tokenLifetimeSeconds: 120,
    hasAction: false,
    hasScore: false,
    takesSiteKey: true,
    idempotent: false,
  },
  'recaptcha-v2': {
    url: 'https://www.google.com/recaptcha/api/siteverify',
    tokenLifetimeSeconds: 120,
    hasAction: false,
    hasScore: false,
    takesSiteKey: false,
    idempotent: false,
  },
  'recaptcha-v3': {
    url: 'https://www.google.com/recaptcha/api/siteverify',
    tokenLifetimeSeconds: 120,
    hasAction: true,
    hasScore: true,
    takesSiteKey: false,
    idempotent: false,
  },
};

/**
 * A siteverify answer, the fields every vendor shares. Only `success` is sure to be there: error
 * answers carry little else, and Android reCAPTCHA sends `apk_package_name` instead of `hostname`.
 *
 * @example
 * ```ts
 * siteverifyAnswerSchema.parse({ success: false, 'error-codes': ['timeout-or-duplicate'] });
 * ```
 */
export const siteverifyAnswerSchema = z.object({
  success: z.boolean(),
  challenge_ts: z.string().optional(),
  hostname: z.string().optional(),
  'error-codes': z.array(z.string()).optional(),
  action: z.string().optional(),
  score: z.number().optional(),
});

/** A parsed siteverify answer. */
export type SiteverifyAnswer = z.output<typeof siteverifyAnswerSchema>;

/**
 * The error codes that mean the token is at fault (missing, malformed, expired or spent): the client
 * must solve the captcha again. Every other code, known (a wrong or missing secret, a bad request,
 * a vendor failure, a site key that does not match) or not, means the kit cannot get a verdict.
 */
const tokenFaultCodes: ReadonlySet<string> = new Set([
  'missing-input-response',
  'invalid-input-response',
  'expired-input-response',
  'timeout-or-duplicate',
  'already-seen-response',
]);

/**
 * Whose fault a refusal is: `token` (403 captcha_invalid) or `vendor` (503 captcha_unavailable,
 * the operator must look: a misconfiguration is not the client's fault).
 *
 * @example
 * ```ts
 * refusalFault(['timeout-or-duplicate']); // 'token'
 * refusalFault(['invalid-input-secret']); // 'vendor'
 * ```
 */
export function refusalFault(codes: readonly string[]): 'token' | 'vendor' {
  // No code at all: the vendor refused the token without saying why; nothing points at the setup.
  return codes.every((code) => tokenFaultCodes.has(code)) ? 'token' : 'vendor';
}
