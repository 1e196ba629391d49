/**
 * The vendor providers: Turnstile, hCaptcha and reCAPTCHA v2/v3 through their siteverify endpoints.
 *
 * A token passes only when the vendor says `success` AND the answer's hostname, action, age and
 * score are what this deployment expects AND the kit has never accepted it before. Anything the kit
 * cannot get a trustworthy verdict on (timeout, 5xx, malformed JSON, a secret the vendor refuses)
 * is `captcha_unavailable`: closed, never open.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import type { LogFields, Logger } from '../log.js';
import { onceKey, type OnceStore } from '../once/store.js';
import type { OutboundFetch } from '../ports.js';
import type { CaptchaConfig } from './config.js';
import { captchaInvalid, captchaUnavailable, CAPTCHA_TOKEN_MAX_LENGTH, type CaptchaVerifier } from './verifier.js';
import { refusalFault, siteverifyAnswerSchema, vendorContracts, type SiteverifyAnswer, type VendorName } from './vendors.js';

/** How far in the future `challenge_ts` may be: the vendor's clock and ours differ a little. */
const CLOCK_SKEW_MS = 60_000;

/** A siteverify answer is a few hundred bytes; anything far larger is not one. */
const MAX_ANSWER_CHARS = 64 * 1024;

/** What a vendor verifier is built from. */
export interface SiteverifyOptions {
  provider: VendorName;
  config: CaptchaConfig & { CAPTCHA_SECRET: string };
  fetch: OutboundFetch;
  once: OnceStore;
  clock: Clock;
  logger: Logger;
}

/**
 * A verifier that asks a vendor's siteverify endpoint.
 *
 * @example
 * ```ts
 * const captcha = createSiteverifyCaptcha({ provider: 'turnstile', config, fetch: fetchPort.create(runtime),
 *   once: runtime.onceStore(), clock: runtime.clock, logger: runtime.logger });
 * await captcha.verify(token, { clientIp: c.env.clientIp, action: 'login' });
 * ```
 */
export function createSiteverifyCaptcha(options: SiteverifyOptions): CaptchaVerifier {
  const { provider, config, fetch, once, clock, logger } = options;
  const contract = vendorContracts[provider];
  const url = config.CAPTCHA_SITEVERIFY_URL ?? contract.url;

  const refuse = (reason: string, fields: LogFields = {}) => {
    logger.info('captcha_refused', { provider, reason, ...fields });
    return captchaInvalid();
  };
  const unavailable = (reason: string, fields: LogFields = {}) => {
    logger.error('captcha_unavailable', { provider, reason, ...fields });
    return captchaUnavailable();
  };

  /** One verification: a POST, retried once on a transport failure only where that is idempotent. */
  async function ask(token: string, clientIp: string | null): Promise<SiteverifyAnswer> {
    const form = new URLSearchParams({ secret: config.CAPTCHA_SECRET, response: token });
    if (clientIp !== null) form.set('remoteip', clientIp);
    if (contract.takesSiteKey && config.CAPTCHA_SITE_KEY !== undefined) form.set('sitekey', config.CAPTCHA_SITE_KEY);
    // One key per verification, sent again on the retry: Turnstile then answers the retry from its
    // first verdict instead of calling the token spent. The other vendors have no such key, and a
    // retried request that had reached them would spend the token, so they get no retry.
    if (contract.idempotent) form.set('idempotency_key', crypto.randomUUID());
    const body = form.toString();
    // One deadline for the whole verification, retry included: the client waits for all of it.
    const deadline = AbortSignal.timeout(config.CAPTCHA_TIMEOUT_MS);
    const timedOut = (error: unknown) => deadline.aborted || (error instanceof Error && error.name === 'TimeoutError');

    // Stryker disable next-line UpdateOperator: attempt is only compared with 1, which counting down never returns to either.
    for (let attempt = 1; ; attempt++) {
      const retry = contract.idempotent && attempt === 1;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body,
          signal: deadline,
        });
      } catch (error) {
        if (timedOut(error)) {
          // The fetch port's own deadline can end the call first: name the one that did.
          throw unavailable('timeout', deadline.aborted ? { timeoutMs: config.CAPTCHA_TIMEOUT_MS } : { deadline: 'OUTBOUND_TIMEOUT_MS' });
        }
        if (retry) continue;
        throw unavailable('unreachable', { error: error instanceof Error ? error.name : typeof error });
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        if (response.status >= 500 && retry) continue;
        throw unavailable('vendor_status', { status: response.status });
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw unavailable(timedOut(error) ? 'timeout' : 'unreachable', { status: response.status });
      }
      if (text.length > MAX_ANSWER_CHARS) throw unavailable('malformed_answer', { chars: text.length });
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw unavailable('malformed_answer');
      }
      const parsed = siteverifyAnswerSchema.safeParse(json);
      if (!parsed.success) throw unavailable('malformed_answer');
      return parsed.data;
    }
  }

  /** The answer's claims against what this deployment expects. */
  function check(answer: SiteverifyAnswer, expectedAction: string | undefined, now: number): void {
    const hostnames = config.CAPTCHA_HOSTNAMES ?? [];
    // Android reCAPTCHA answers with apk_package_name instead of a hostname: not one of the listed.
    if (hostnames.length > 0 && (answer.hostname === undefined || !hostnames.includes(answer.hostname.toLowerCase()))) {
      throw refuse('wrong_hostname', { hostname: answer.hostname ?? null });
    }
    if (contract.hasAction && expectedAction !== undefined && answer.action !== expectedAction) {
      throw refuse('wrong_action', { action: answer.action ?? null, expected: expectedAction });
    }
    // Every vendor stamps a successful answer; without the stamp the token's age is unknown.
    if (answer.challenge_ts === undefined) throw unavailable('answer_without_challenge_ts');
    const solvedAt = Date.parse(answer.challenge_ts);
    if (Number.isNaN(solvedAt)) throw unavailable('malformed_answer', { challengeTs: answer.challenge_ts });
    if (solvedAt > now + CLOCK_SKEW_MS) throw refuse('challenge_in_future', { challengeTs: answer.challenge_ts });
    if (now - solvedAt > config.CAPTCHA_MAX_AGE_SECONDS * 1000) throw refuse('too_old', { challengeTs: answer.challenge_ts });
    if (contract.hasScore) {
      // A v3 answer always has a score; one without is a v2 secret configured as v3.
      if (answer.score === undefined) throw unavailable('answer_without_score');
      if (answer.score < config.CAPTCHA_MIN_SCORE) throw refuse('low_score', { score: answer.score, minScore: config.CAPTCHA_MIN_SCORE });
    }
  }

  return {
    provider,
    async verify(token, context) {
      if (token === undefined || token === '') throw refuse('missing');
      if (token.length > CAPTCHA_TOKEN_MAX_LENGTH) throw refuse('too_long', { chars: token.length });

      const answer = await ask(token, context.clientIp);
      if (!answer.success) {
        const codes = answer['error-codes'] ?? [];
        if (refusalFault(codes) === 'token') throw refuse('vendor_refused', { codes: codes.join(',') });
        throw unavailable('vendor_error', { codes: codes.join(',') });
      }
      const now = clock.now();
      check(answer, context.action ?? config.CAPTCHA_ACTION, now);

      // Claimed only AFTER the vendor said yes, and both orders fail closed (a store that cannot
      // answer throws). Claiming first would let any request, with any string, write a record (an
      // Appwrite row per bogus token), and a vendor timeout or 5xx would leave the token burnt here
      // although the vendor never judged it, so the user's retry would be refused. Claiming after,
      // the store holds only tokens a vendor vouched for; two requests racing with one token get
      // one yes from the vendor's single use, and if a vendor (or a proxy) says yes twice, the
      // atomic claim still lets only one through. The record lives as long as the kit could accept
      // the token: the longer of the vendor's lifetime and CAPTCHA_MAX_AGE_SECONDS, plus the skew.
      const lifetimeMs = Math.max(contract.tokenLifetimeSeconds, config.CAPTCHA_MAX_AGE_SECONDS) * 1000 + CLOCK_SKEW_MS;
      if (!(await once.claim(await onceKey('captcha', token), now + lifetimeMs))) throw refuse('replayed');
    },
  };
}
