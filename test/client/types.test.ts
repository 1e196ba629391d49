/**
 * The client's types are the route declarations' own: `tsc -p .` (npm run typecheck, CI) checks
 * every assertion here, so a method whose input or result drifts from what its route declares fails
 * to compile. The runtime part only makes sure the file is collected.
 */
import type { Models } from 'appwrite';
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { createKitClient, type KitClient, type PendingSignIn } from '../../client/index.js';
import type { AnswerKindOf, RouteMethod } from '../../client/types.js';
import type { captchaRoutes } from '../../functions/captcha/routes.js';
import type { passwordRoutes } from '../../functions/password/routes.js';

type User = Models.User<Models.Preferences>;
type Kit = KitClient<User>;

describe('client types from the route declarations', () => {
  it('inputs are the declared bodies, as callers write them', () => {
    expectTypeOf<Parameters<Kit['password']['login']>[0]>().toEqualTypeOf<z.input<typeof passwordRoutes.login.body>>();
    expectTypeOf<Parameters<Kit['captcha']['email']>[0]>().toEqualTypeOf<z.input<typeof captchaRoutes.email.body>>();
    expectTypeOf<Parameters<Kit['password']['login']>[0]>().toExtend<{ username: string; password: string; captchaToken?: string | undefined }>();
  });

  it('results follow the declared answers', () => {
    expectTypeOf<ReturnType<Kit['password']['login']>>().toEqualTypeOf<Promise<User>>();
    expectTypeOf<ReturnType<Kit['captcha']['guest']>>().toEqualTypeOf<Promise<User>>();
    expectTypeOf<ReturnType<Kit['captcha']['email']>>().toEqualTypeOf<Promise<PendingSignIn<User>>>();
    expectTypeOf<ReturnType<Kit['password']['register']>>().toEqualTypeOf<Promise<{ userId: string }>>();
    expectTypeOf<ReturnType<Kit['password']['change']>>().toEqualTypeOf<Promise<void>>();
  });

  it('a redirect route answers its URL at once; a route without input takes options only', () => {
    type Redirect = { method: 'get'; path: '/go'; query: z.ZodObject<{ to: z.ZodString }>; answers: { 302: { description: string } } };
    expectTypeOf<AnswerKindOf<Redirect>>().toEqualTypeOf<'redirect'>();
    expectTypeOf<RouteMethod<Redirect, User>>().toEqualTypeOf<(input: { to: string }) => string>();
    type Ping = { method: 'get'; path: '/'; answers: { 204: { description: string } } };
    expectTypeOf<RouteMethod<Ping, User>>().parameters.toEqualTypeOf<[options?: { signal?: AbortSignal }]>();
  });

  it('the user type is the account’s', () => {
    const account = { createSession: async () => ({}), get: async () => ({ $id: 'x', tier: 'gold' as const }) };
    const kit = createKitClient({ url: 'http://127.0.0.1:9', account });
    expectTypeOf(kit.password.login).returns.resolves.toEqualTypeOf<{ $id: string; tier: 'gold' }>();
    // @ts-expect-error: the password is required by the declaration.
    void (() => kit.password.login({ username: 'ada' }));
    // @ts-expect-error: no such function.
    void (() => kit.nowhere);
  });
});
