/**
 * Twilio's call status callbacks: the `X-Twilio-Signature` check and the port that holds what it
 * needs. Twilio signs each webhook with HMAC-SHA1 keyed by the account's auth token, over the exact
 * URL it called followed by every POST parameter's name and value, sorted by name
 * (twilio.com/docs/usage/security).
 *
 * @module
 */
import { parseConfig } from '../config.js';
import { constantTimeEqualText } from '../constant-time.js';
import { definePort } from '../platform.js';
import { voiceConfigSchema } from './config.js';

const encoder = new TextEncoder();

/**
 * The signature Twilio sends for a form POST to `url` with `params`, Base64.
 *
 * @example
 * ```ts
 * await twilioSignature(authToken, 'https://kit.example/phone-call/status', { CallSid: 'CA…', CallStatus: 'busy' });
 * ```
 */
export async function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): Promise<string> {
  // Sorted by name in code-unit order, as Twilio's own helpers sort.
  const data = url + Object.keys(params).sort().map((name) => name + params[name]).join('');
  // Stryker disable next-line BooleanLiteral: whether the key could be exported changes nothing; it never leaves this function
  const key = await crypto.subtle.importKey('raw', encoder.encode(authToken), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data)));
  return btoa(String.fromCharCode(...mac));
}

/** Checks callbacks to the one configured URL. */
export interface StatusCallbackVerifier {
  /** Where Twilio posts call status (`StatusCallback` of every call). */
  url: string;
  /** Whether `signature` is Twilio's for these parameters posted to {@link url}. */
  verify(params: Readonly<Record<string, string>>, signature: string | undefined): Promise<boolean>;
}

/**
 * The status callback verifier when `TWILIO_STATUS_CALLBACK_URL` is set (with `TWILIO_AUTH_TOKEN`,
 * the signing key, which the config then requires), else `null`. The URL is configured, not read off
 * the request: a proxy that rewrites host or scheme would otherwise break, or steer, the check.
 *
 * @example
 * ```ts
 * ports: { statusCallback: statusCallbackPort }
 * if (!(await statusCallback?.verify(fields, c.req.header('x-twilio-signature')))) throw …;
 * ```
 */
export const statusCallbackPort = definePort<StatusCallbackVerifier | null>((runtime) => {
  const config = parseConfig(voiceConfigSchema, runtime.env);
  const url = config.TWILIO_STATUS_CALLBACK_URL;
  const authToken = config.TWILIO_AUTH_TOKEN;
  if (config.VOICE_PROVIDER !== 'twilio' || !url || !authToken) return null;
  return {
    url,
    async verify(params, signature) {
      // Stryker disable next-line ConditionalExpression: an absent signature would compare as "" and be refused all the same; this only skips the HMAC
      if (!signature) return false;
      return constantTimeEqualText(await twilioSignature(authToken, url, params), signature);
    },
  };
});
