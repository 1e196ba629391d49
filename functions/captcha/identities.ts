/**
 * What a sign-in here starts from: an email address, a phone number, or nothing (a guest), and the
 * Appwrite user ID each maps to when it creates the user.
 *
 * @module
 */
import * as z from 'zod';
import { deriveUserId } from '../../shared/sign-in/user-id.js';

/**
 * Trimmed and lower-cased, as Appwrite stores emails (`users.create` lower-cases them), so every
 * spelling of an address is one user, one rate-limit key and one lookup.
 *
 * @example
 * ```ts
 * normaliseEmail(' Alice@Example.COM '); // 'alice@example.com'
 * ```
 */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** An email address as typed, normalised, then checked. 254 characters is the longest deliverable address (RFC 5321). */
export const emailSchema = z
  .string()
  .max(320)
  .describe('An email address; trimmed and lower-cased.')
  .transform(normaliseEmail)
  .pipe(z.email('must be an email address').max(254, 'must be at most 254 characters'));

/** E.164 as Appwrite checks it: `+`, a non-zero digit, 7-15 digits in all. */
const e164Pattern = /^\+[1-9]\d{6,14}$/;

/**
 * A phone number in E.164, the only form accepted: the kit does not guess a country, so the client
 * formats numbers (a number spelled two ways would otherwise be two users).
 */
export const phoneSchema = z
  .string()
  .max(32)
  .describe('An E.164 phone number: "+", the country code and the number, 7-15 digits, e.g. +14155550123.')
  .transform((raw) => raw.trim())
  .pipe(z.string().regex(e164Pattern, 'must be E.164: "+" and 7-15 digits, e.g. +14155550123'));

/**
 * The Appwrite user ID a first sign-in by email creates: `em-` and 33 hex digits of SHA-256 of the
 * normalised address. Deterministic, so concurrent first sign-ins create one user.
 *
 * @example
 * ```ts
 * await userIdForEmail('alice@example.com'); // 'em-…' (36 characters)
 * ```
 */
export function userIdForEmail(email: string): Promise<string> {
  return deriveUserId('em', 'email', normaliseEmail(email));
}

/**
 * A fresh user ID for a guest: `gu-` and 33 random hex digits (132 bits), in Appwrite's ID rules.
 * Random, not derived: a guest has nothing to derive one from, and each sign-in is a new user.
 *
 * @example
 * ```ts
 * newGuestUserId(); // 'gu-…' (36 characters)
 * ```
 */
export function newGuestUserId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(17));
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `gu-${hex.slice(0, 33)}`;
}
