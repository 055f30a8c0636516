/**
 * Sign-in: how the web app signs in (local accounts, Supabase or another identity provider);
 * local accounts (embedded default) with e-mail and password; who am I.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AuthConfig, ErrorBody, LoginBody, LoginResponse, UserInfo } from '@nilm/contracts';
import { requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword, type AuthLimits } from '../auth/index.js';
import { ApiError } from '../errors.js';
import { rememberExternalUser } from '../services/users.service.js';

export function registerAuthRoutes(app: FastifyInstance, deps: AppDeps, limits: AuthLimits): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  // Hashed now, in the background on libuv's thread pool, so the first sign-in does not pay for
  // it (it doubled the first sign-in's time, measured by e2e/speed.e2e.test.ts).
  if (deps.issuer) dummyHashOnce().catch(() => undefined);
  api.get(
    '/auth/config',
    {
      schema: {
        tags: ['auth'],
        summary: 'How to sign in: local accounts, Supabase Auth, or an external identity provider',
        response: { 200: AuthConfig },
      },
    },
    async (): Promise<AuthConfig> => {
      const s = deps.config.webSignIn;
      return s.mode === 'supabase'
        ? { mode: 'supabase', supabase_url: s.supabaseUrl, supabase_anon_key: s.anonKey }
        : { mode: s.mode };
    },
  );

  api.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in to a local account (when no external auth is configured)',
        body: LoginBody,
        response: {
          200: LoginResponse,
          401: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
        },
      },
      config: { rateLimit: { max: 20, timeWindow: 60_000 } },
    },
    async (request) => {
      if (!deps.issuer)
        throw new ApiError(
          'NOT_FOUND',
          'local sign-in is off: this server uses external auth (sign in with your identity provider)',
        );
      // Refused before any password is checked: an address past its failed-authentication
      // limit, then an account in its backoff (known or not, so both answer alike).
      limits.refuseIfFailing(request.ip);
      const { email, password } = request.body;
      const wait = limits.logins.waitFor(email);
      if (wait > 0)
        throw new ApiError(
          'LOGIN_BACKOFF',
          `too many wrong passwords for this account; wait ${wait} s before trying again`,
          { retry_after_s: wait },
          wait,
        );
      const user = await deps.metadata.getUserByEmail(email);
      // Same answer and similar work for an unknown e-mail and a wrong password.
      const ok = user?.passwordHash
        ? await verifyPassword(password, user.passwordHash)
        : (await verifyPassword(password, await dummyHashOnce()), false);
      if (!user || !ok) {
        limits.logins.fail(email);
        limits.failures.fail(request.ip);
        throw new ApiError('AUTH_BAD_CREDENTIALS', 'e-mail or password is wrong');
      }
      limits.logins.succeed(email);
      const issued = await deps.issuer.sign({
        sub: user.id,
        email: user.email ?? undefined,
        role: user.role,
      });
      const now = Math.floor((deps.now ?? Date.now)() / 1000);
      return {
        access_token: issued.token,
        token_type: 'Bearer' as const,
        expires_in: issued.exp - now,
        user: { id: user.id, email: user.email, role: user.role },
      };
    },
  );

  api.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary:
          'Who am I; for an external identity provider, also remembers the e-mail in the token (so owners can add you by e-mail)',
        security: [{ bearer: [] }],
        response: { 200: UserInfo, 401: ErrorBody },
      },
    },
    async (request) => {
      const u = requireUser(request);
      // The web app calls this right after sign-in. Remembering the e-mail is a side effect
      // that must not stop anyone signing in: if the store fails, the next call tries again.
      await rememberExternalUser(deps.metadata, u, request.log).catch((e: unknown) =>
        request.log.warn({ err: e }, 'could not record the e-mail of an external user'),
      );
      return { id: u.userId, email: u.email, role: u.role };
    },
  );
}

/** A hash of a random password, checked for unknown e-mails so they take as long as wrong passwords. */
let dummyHash: Promise<string> | undefined;
function dummyHashOnce(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
