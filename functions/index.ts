/**
 * Every function of the kit. The local server and the Worker serve each under `/<name>`;
 * Appwrite deploys each as its own function (see `appwrite.json`).
 *
 * To add a function: copy `functions/password/`, rename it, and list it here.
 *
 * @module
 */
import type { KitFunction } from '../shared/platform.js';
import { passwordFunction } from './password/index.js';

/** The kit's functions, by name. */
export const kitFunctions: readonly KitFunction[] = [passwordFunction];
