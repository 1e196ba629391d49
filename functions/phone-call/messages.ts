/**
 * The words of the call, per language. `{code}` is the code spelled character by character
 * (`shared/voice/speech.ts`), `{minutes}` its lifetime. Like the captcha function's texts: the code,
 * how long it lasts, never to share it, nothing else.
 *
 * @module
 */
import * as z from 'zod';
import type { MessageText } from '../../shared/sign-in/delivery.js';

/**
 * The languages the call can speak, with the text-to-speech language tag each uses. To add one,
 * add its primary subtag here (and check the configured `VOICE_NAME` speaks it).
 *
 * @example
 * ```ts
 * callTexts.de.language; // 'de-DE'
 * ```
 */
export const callTexts = {
  en: { language: 'en-US', body: 'Your sign-in code is: {code}. It expires in {minutes} minutes. Never share it.' },
  de: { language: 'de-DE', body: 'Ihr Anmeldecode lautet: {code}. Er läuft in {minutes} Minuten ab. Geben Sie ihn niemals weiter.' },
  fr: { language: 'fr-FR', body: 'Votre code de connexion est : {code}. Il expire dans {minutes} minutes. Ne le communiquez à personne.' },
  es: { language: 'es-ES', body: 'Tu código de inicio de sesión es: {code}. Caduca en {minutes} minutos. No lo compartas.' },
} as const satisfies Record<string, { language: string; body: string }>;

/** The `locale` field of a request: a BCP 47-like tag. Its primary subtag picks the language. */
export const localeSchema = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en, de or fr-CA')
  .optional()
  .describe(`The language of the call: ${Object.keys(callTexts).join(', ')} (by primary subtag, so fr-CA is fr); any other is English.`);

/**
 * The words of one call, for the pipeline's `text` step.
 *
 * @example
 * ```ts
 * callMessage('de-CH').language; // 'de-DE'
 * callMessage('pt-BR').language; // 'en-US'
 * ```
 */
export function callMessage(locale: string | undefined): MessageText {
  const primary = locale?.split(/[-_]/)[0]?.toLowerCase() ?? 'en';
  const texts = Object.hasOwn(callTexts, primary) ? callTexts[primary as keyof typeof callTexts] : callTexts.en;
  return { subject: '', body: texts.body, language: texts.language };
}
