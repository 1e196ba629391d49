/**
 * What the captcha-function tests share: reading a sign-in code back out of a message, as a person
 * would read it off their screen, and checking the message is exactly the template with nothing
 * added.
 *
 * @module
 */
import { expect } from 'vitest';
import { codeTexts, type CodeLanguage } from '../../functions/captcha/messages.js';

/** An email, SMS or (phone-call function) voice call as the development outbox shows it. */
export interface OutboxMessage {
  channel: 'email' | 'sms' | 'voice';
  userId: string;
  to: string;
  subject?: string;
  content: string;
  html?: boolean;
}

function templatePattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace('{code}', '(?<code>[0-9a-f]+)').replace('{minutes}', '(?<minutes>\\d+)')}$`);
}

/**
 * The code in a message, after checking the message is the language's template for its channel,
 * word for word, with only the code and the minutes filled in.
 *
 * @example
 * ```ts
 * const { code, minutes } = codeIn(lastMessageTo('alice@example.com'), 'en');
 * ```
 */
export function codeIn(message: OutboxMessage, language: CodeLanguage = 'en'): { code: string; minutes: number } {
  const texts = codeTexts[language];
  if (message.channel === 'email') {
    expect(message.subject).toBe(texts.subject);
    expect(message.html).toBe(false);
  }
  const match = templatePattern(message.channel === 'email' ? texts.email : texts.sms).exec(message.content);
  expect(match, `message is not the ${language} ${message.channel} template: ${message.content}`).not.toBeNull();
  return { code: match!.groups!['code']!, minutes: Number(match!.groups!['minutes']) };
}
