/**
 * Every function of the kit: the registry the runtimes are handed. The local server and the
 * Worker serve each under `/<name>`; Appwrite deploys each as its own function (`appwrite.json`,
 * built by `npm run build:appwrite`).
 *
 * To add a function: copy a function folder, rename it, and list it here (README, "Adding a function").
 *
 * @module
 */
import type { KitFunction } from '../shared/platform.js';
import { auth0Function } from './auth0/index.js';
import { passkeyFunction } from './passkey/index.js';
import { captchaFunction } from './captcha/index.js';
import { passwordFunction } from './password/index.js';
import { phoneCallFunction } from './phone-call/index.js';

/** The kit's functions, in the order `/health` and the OpenAPI document list them. */
export const kitFunctions: readonly KitFunction[] = [passwordFunction, captchaFunction, auth0Function, phoneCallFunction, passkeyFunction];
