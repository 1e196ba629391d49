/**
 * The voice provider's variables, validated with zod. Errors name the variable, never its value.
 *
 * @module
 */
import * as z from 'zod';
import { envInt } from '../config.js';

const optionalText = z.string().trim().min(1).optional();

/**
 * `VOICE_PROVIDER` and Twilio's settings. Twilio needs the account SID, a caller number, and either
 * an API key (SID and secret, recommended) or the account's auth token.
 *
 * @example
 * ```ts
 * const config = parseConfig(voiceConfigSchema, runtime.env);
 * config.TWILIO_RING_SECONDS; // 30
 * ```
 */
export const voiceConfigSchema = z
  .object({
    VOICE_PROVIDER: z.enum(['twilio', 'development'], { error: 'must be twilio or development' }).optional(),
    TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be AC and 32 hex digits').optional(),
    TWILIO_API_KEY_SID: z.string().regex(/^SK[0-9a-f]{32}$/, 'must be SK and 32 hex digits').optional(),
    TWILIO_API_KEY_SECRET: optionalText,
    TWILIO_AUTH_TOKEN: optionalText,
    /** The caller ID: a Twilio number of the account, or a verified outgoing caller ID. */
    TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550100').optional(),
    /** Tests point this at a local server; nobody else changes it. */
    TWILIO_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://api.twilio.com'),
    /**
     * Where Twilio posts each call's final status (`StatusCallback`): the function's `/status` route
     * as Twilio reaches it, exactly (scheme, host, port, path). Needs `TWILIO_AUTH_TOKEN`, the key
     * Twilio signs callbacks with. Unset: no callbacks.
     */
    TWILIO_STATUS_CALLBACK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** Seconds the phone rings before Twilio gives up (`Timeout`); short, as nobody waits long for a code. */
    TWILIO_RING_SECONDS: envInt({ min: 5, max: 600, default: 30 }),
    /** Longest call in seconds (`TimeLimit`): a cap on what one call can cost. */
    TWILIO_TIME_LIMIT_SECONDS: envInt({ min: 15, max: 600, default: 90 }),
    /** The text-to-speech voice (`man`, `woman`, `Polly.Joanna`, ...); Twilio's default when unset. A Polly or Google voice speaks one language. */
    VOICE_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a voice name such as woman or Polly.Joanna').optional(),
    /** How many times the code message is spoken in one call. */
    VOICE_REPEAT: envInt({ min: 1, max: 5, default: 3 }),
  })
  .superRefine((config, context) => {
    if (config.VOICE_PROVIDER !== 'twilio') return;
    // Stryker disable next-line StringLiteral: parseConfig reports an issue's path and message, never its code
    const problem = (variable: string, message: string) => context.addIssue({ code: 'custom', path: [variable], message });
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_FROM_NUMBER'] as const) {
      if (config[name] === undefined) problem(name, 'is required when VOICE_PROVIDER is twilio');
    }
    const apiKey = config.TWILIO_API_KEY_SID !== undefined || config.TWILIO_API_KEY_SECRET !== undefined;
    if (apiKey && (config.TWILIO_API_KEY_SID === undefined || config.TWILIO_API_KEY_SECRET === undefined)) {
      problem('TWILIO_API_KEY_SID', 'and TWILIO_API_KEY_SECRET go together');
    }
    if (config.TWILIO_STATUS_CALLBACK_URL !== undefined && config.TWILIO_AUTH_TOKEN === undefined) {
      problem('TWILIO_AUTH_TOKEN', 'is required with TWILIO_STATUS_CALLBACK_URL: Twilio signs callbacks with it');
    }
    if (!apiKey && config.TWILIO_AUTH_TOKEN === undefined) {
      problem('TWILIO_API_KEY_SID', 'and TWILIO_API_KEY_SECRET (or TWILIO_AUTH_TOKEN) are required when VOICE_PROVIDER is twilio');
    }
  });

/** The parsed voice variables. */
export type VoiceConfig = z.output<typeof voiceConfigSchema>;
