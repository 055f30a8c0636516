/**
 * Local accounts, for admins: list them and create one (the password is given, or generated and
 * returned once). Only when this server signs its own tokens; with external auth, accounts live
 * in the identity provider and these routes say so.
 */
import { randomBytes } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CreateUserBody, ErrorBody, UserCreated, UserList } from '@nilm/contracts';
import { ConflictError, type User } from '@nilm/stores';
import { requireAdmin } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { hashPassword } from '../auth/index.js';
import { ApiError } from '../errors.js';

const view = (u: User) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  created_at: new Date(u.createdAt).toISOString(),
});

export function registerUserRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  /** The admin caller, once local accounts are known to be on. */
  const localAdmin = (request: FastifyRequest) => {
    const admin = requireAdmin(request);
    if (!deps.issuer)
      throw new ApiError(
        'NOT_FOUND',
        'local accounts are off: this server uses external auth, so create and manage accounts in your identity provider, then add people to buildings by user_id',
      );
    return admin;
  };

  api.get(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Local accounts',
        security: [{ bearer: [] }],
        response: { 200: UserList, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      localAdmin(request);
      return { users: (await metadata.listUsers()).map(view) };
    },
  );

  api.post(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a local account; without a password one is generated and returned once',
        security: [{ bearer: [] }],
        body: CreateUserBody,
        response: {
          201: UserCreated,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      localAdmin(request);
      const email = request.body.email.trim();
      const conflict = () =>
        new ApiError(
          'CONFLICT',
          `an account with e-mail "${email}" already exists; add it to buildings instead`,
        );
      if (await metadata.getUserByEmail(email)) throw conflict();
      const generated =
        request.body.password === undefined ? randomBytes(12).toString('base64url') : undefined;
      const passwordHash = await hashPassword(request.body.password ?? generated!);
      let user: User;
      try {
        user = await metadata.upsertUser({
          id: `user_${randomBytes(8).toString('hex')}`,
          email,
          role: request.body.role ?? 'user',
          passwordHash,
        });
      } catch (e) {
        // Created by a concurrent request between the check above and here.
        if (e instanceof ConflictError) throw conflict();
        throw e;
      }
      return reply
        .status(201)
        .send({ user: view(user), ...(generated ? { generated_password: generated } : {}) });
    },
  );
}
