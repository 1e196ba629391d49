/**
 * The words of the sign-in code's email and SMS, per language. `{code}` and `{minutes}` are filled
 * in by the delivery (`shared/sign-in/delivery.ts`).
 *
 * Each message holds the code and nothing a phisher could borrow: no link, nothing to click, no
 * name of a person. It says how long the code lasts, to ignore it if unasked, and never to share it,
 * because the likeliest attack on a code is someone asking the user for it.
 *
 * @module
 */
import * as z from 'zod';
import type { MessageText } from '../../shared/sign-in/delivery.js';

/** One language's texts. */
interface CodeTexts {
  subject: string;
  email: string;
  sms: string;
}

/**
 * The languages the code can be sent in; English is the default. To add one, add its primary
 * language subtag (ISO 639-1) here.
 *
 * @example
 * ```ts
 * codeTexts.de.subject; // 'Ihr Anmeldecode'
 * ```
 */
export const codeTexts = {
  en: {
    subject: 'Your sign-in code',
    email:
      'Your sign-in code is: {code}\n\nIt expires in {minutes} minutes. Enter it where you asked for it.\n\n' +
      'If you did not ask for this code, ignore this email: nobody can sign in without it. Never give the code to anyone.',
    sms: 'Your sign-in code is {code}. It expires in {minutes} minutes. Never share it. If you did not ask for it, ignore this message.',
  },
  de: {
    subject: 'Ihr Anmeldecode',
    email:
      'Ihr Anmeldecode lautet: {code}\n\nEr läuft in {minutes} Minuten ab. Geben Sie ihn dort ein, wo Sie ihn angefordert haben.\n\n' +
      'Wenn Sie diesen Code nicht angefordert haben, ignorieren Sie diese E-Mail: Ohne den Code kann sich niemand anmelden. Geben Sie ihn niemals weiter.',
    sms: 'Ihr Anmeldecode lautet {code}. Er läuft in {minutes} Minuten ab. Niemals weitergeben. Nicht angefordert? Dann ignorieren Sie diese SMS.',
  },
  fr: {
    subject: 'Votre code de connexion',
    email:
      "Votre code de connexion est : {code}\n\nIl expire dans {minutes} minutes. Saisissez-le là où vous l'avez demandé.\n\n" +
      "Si vous n'avez pas demandé ce code, ignorez cet e-mail : personne ne peut se connecter sans lui. Ne le communiquez jamais à personne.",
    sms: 'Votre code de connexion est {code}. Il expire dans {minutes} minutes. Ne le communiquez à personne. Pas demandé ? Ignorez ce message.',
  },
  es: {
    subject: 'Tu código de inicio de sesión',
    email:
      'Tu código de inicio de sesión es: {code}\n\nCaduca en {minutes} minutos. Introdúcelo donde lo solicitaste.\n\n' +
      'Si no has solicitado este código, ignora este correo: nadie puede iniciar sesión sin él. No se lo des nunca a nadie.',
    sms: 'Tu código de inicio de sesión es {code}. Caduca en {minutes} minutos. No lo compartas. Si no lo has solicitado, ignora este mensaje.',
  },
} as const satisfies Record<string, CodeTexts>;

/** A language `codeTexts` has. */
export type CodeLanguage = keyof typeof codeTexts;

/** The `locale` field of a request: a BCP 47-like tag. Its primary subtag picks the language. */
export const localeSchema = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en, de or fr-CA')
  .optional()
  .describe(`The language of the message: ${Object.keys(codeTexts).join(', ')} (by primary subtag, so fr-CA is fr); any other is English.`);

/**
 * The language a locale asks for: its primary subtag if the kit has it, else English.
 *
 * @example
 * ```ts
 * codeLanguage('de-CH'); // 'de'
 * codeLanguage('pt-BR'); // 'en'
 * ```
 */
export function codeLanguage(locale: string | undefined): CodeLanguage {
  const primary = locale?.split(/[-_]/)[0]?.toLowerCase() ?? 'en';
  return Object.hasOwn(codeTexts, primary) ? (primary as CodeLanguage) : 'en';
}

/**
 * The texts of one code message, for the pipeline's `text` step.
 *
 * @example
 * ```ts
 * codeMessage('sms', 'fr').body; // 'Votre code de connexion est {code}. …'
 * ```
 */
export function codeMessage(channel: 'email' | 'sms', locale: string | undefined): MessageText {
  const texts = codeTexts[codeLanguage(locale)];
  return { subject: texts.subject, body: channel === 'email' ? texts.email : texts.sms };
}
