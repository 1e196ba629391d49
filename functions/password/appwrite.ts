/**
 * The password function's Appwrite Functions entry, bundled to `dist/appwrite/password.js`
 * (the `entrypoint` in `appwrite.json`). A new function gets its entry by copying this file.
 *
 * @module
 */
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { passwordFunction } from './index.js';

/**
 * What open-runtimes calls once per execution with `{ req, res, log, error }`.
 *
 * @example
 * ```ts
 * // appwrite.json: "entrypoint": "dist/appwrite/password.js", "commands": "npm ci ... && npm run build:appwrite ..."
 * const output = await (await import('./dist/appwrite/password.js')).default(context);
 * ```
 */
export default createAppwriteEntry(passwordFunction);
