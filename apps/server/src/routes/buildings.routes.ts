/** Buildings, members and device tokens, each behind the access policy. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  Building as BuildingSchema,
  BuildingList,
  CreateBuildingBody,
  DeviceTokenBody,
  DeviceTokenCreated,
  DeviceTokenList,
  ErrorBody,
  Id,
  MemberBody,
  MemberList,
  UpdateBuildingBody,
} from '@nilm/contracts';
import {
  ConflictError,
  LastOwnerError,
  type Building,
  type MemberRole,
} from '@nilm/stores';
import { authorize, requireAdmin, requireUser } from '../access.js';
import type { AppDeps } from '../app.deps.js';
import { generateDeviceToken } from '../auth/index.js';
import type { LiveHub } from '../services/live.hub.js';
import { ensureExternalUser } from '../services/users.service.js';
import { ApiError } from '../errors.js';

const Params = Type.Object({ id: Id });
const TokenParams = Type.Object({ id: Id, tokenId: Type.String({ minLength: 1, maxLength: 100 }) });
const MemberParams = Type.Object({ id: Id, userId: Type.String({ minLength: 1, maxLength: 200 }) });
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Run a member change; the store refuses one that would leave the building without an owner
 * (checked and written in one transaction, so two owners stepping down at once cannot both
 * succeed), which the client hears as 409.
 */
async function keepingAnOwner<T>(change: Promise<T>): Promise<T> {
  try {
    return await change;
  } catch (e) {
    if (e instanceof LastOwnerError)
      throw new ApiError(
        'CONFLICT',
        `user "${e.userId}" is the building's last owner; make someone else owner first`,
        { building_id: e.buildingId, user_id: e.userId },
      );
    throw e;
  }
}

// C0 and C1 control characters and DEL: invisible or terminal-driving in a name shown to others,
// and NUL cannot be stored by PostgreSQL at all.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Refuse free text (`field` names it in the error) that holds a control character. */
export function refuseControlCharacters(field: string, value: string | undefined): void {
  if (value === undefined) return;
  const found = CONTROL_CHARACTER.exec(value);
  if (found)
    throw new ApiError(
      'VALIDATION_FAILED',
      `${field} contains the control character U+${found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${found.index}; use printable text`,
      { field },
    );
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function registerBuildingRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  live?: Pick<LiveHub, 'revoke'>,
): void {
  const { metadata } = deps;
  const view = async (request: FastifyRequest, b: Building): Promise<BuildingSchema> => {
    const u = requireUser(request);
    const role: MemberRole | 'admin' | null =
      u.role === 'admin' ? 'admin' : await metadata.getMemberRole(b.id, u.userId);
    return {
      id: b.id,
      name: b.name,
      timezone: b.timezone,
      is_demo: b.isDemo,
      model_ref: b.modelRef,
      my_role: role ?? 'viewer',
      created_at: new Date(b.createdAt).toISOString(),
    };
  };

  app.get(
    '/buildings',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        response: { 200: BuildingList, 401: ErrorBody },
      },
    },
    async (request) => {
      const u = requireUser(request);
      const list = await metadata.listBuildings(u.role === 'admin' ? undefined : u.userId);
      return { buildings: await Promise.all(list.map((b) => view(request, b))) };
    },
  );

  app.post<{ Body: CreateBuildingBody }>(
    '/buildings',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        body: CreateBuildingBody,
        response: {
          201: BuildingSchema,
          401: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const admin = requireAdmin(request);
      const { id, name, timezone = 'UTC', owner_id } = request.body;
      refuseControlCharacters('name', name);
      refuseControlCharacters('owner_id', owner_id);
      if (!isValidTimeZone(timezone))
        throw new ApiError(
          'VALIDATION_FAILED',
          `timezone "${timezone}" is not an IANA zone such as Europe/London`,
        );
      if (owner_id !== undefined && !(await metadata.getUser(owner_id)))
        throw new ApiError('VALIDATION_FAILED', `owner_id "${owner_id}" is not a known user`);
      // The owner needs a user record; an external admin's first request may not have left one
      // (recording it there is best effort), so this one is made sure of, or the request fails
      // before anything is written.
      if (owner_id === undefined) await ensureExternalUser(metadata, admin, request.log);
      let b: Building;
      try {
        b = await metadata.createBuilding({ id, name, timezone, isDemo: false, modelRef: null });
      } catch (e) {
        if (e instanceof ConflictError)
          throw new ApiError('CONFLICT', `building "${id}" already exists`);
        throw e;
      }
      // The store has no transaction across these two writes: a building whose owner cannot be
      // written is deleted again, so a failed request leaves no building without an owner.
      try {
        await metadata.setMember({
          buildingId: id,
          userId: owner_id ?? admin.userId,
          role: 'owner',
        });
      } catch (e) {
        await metadata
          .deleteBuilding(id)
          .catch((undo: unknown) =>
            request.log.error(
              { err: undo, buildingId: id },
              'a building was created without its owner and could not be deleted again',
            ),
          );
        throw e;
      }
      return reply.status(201).send(await view(request, b));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/buildings/:id',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: BuildingSchema, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      return view(request, b);
    },
  );

  app.patch<{ Params: { id: string }; Body: UpdateBuildingBody }>(
    '/buildings/:id',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: Params,
        body: UpdateBuildingBody,
        response: {
          200: BuildingSchema,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const { name, timezone, model_ref } = request.body;
      refuseControlCharacters('name', name);
      if (timezone !== undefined && !isValidTimeZone(timezone))
        throw new ApiError('VALIDATION_FAILED', `timezone "${timezone}" is not an IANA zone`);
      if (model_ref) deps.engine.registry.find(model_ref);
      const b = await metadata.updateBuilding(request.params.id, {
        name,
        timezone,
        modelRef: model_ref === undefined ? undefined : model_ref,
      });
      if (!b) throw new ApiError('BUILDING_NOT_FOUND', `building "${request.params.id}" not found`);
      if (model_ref !== undefined) await deps.queue.enqueue(b.id).catch(() => undefined);
      return view(request, b);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/buildings/:id',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: Params,
        response: { 204: Type.Null(), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      await authorize(request, metadata, request.params.id, 'admin');
      await deps.timeseries.deleteBuilding(request.params.id);
      await metadata.deleteBuilding(request.params.id);
      live?.revoke(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/buildings/:id/members',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: MemberList, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const members = await metadata.listMembers(request.params.id);
      return {
        members: await Promise.all(
          members.map(async (m) => ({
            user_id: m.userId,
            email: (await metadata.getUser(m.userId))?.email ?? null,
            role: m.role,
          })),
        ),
      };
    },
  );

  app.post<{ Params: { id: string }; Body: MemberBody }>(
    '/buildings/:id/members',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: Params,
        body: MemberBody,
        response: {
          201: MemberList,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const { user_id, email, role } = request.body;
      refuseControlCharacters('user_id', user_id);
      refuseControlCharacters('email', email);
      if ((user_id === undefined) === (email === undefined))
        throw new ApiError(
          'VALIDATION_FAILED',
          'give exactly one of "user_id" or "email" to name the account to add',
        );
      let userId: string;
      if (email !== undefined) {
        const user = await metadata.getUserByEmail(email.trim());
        if (!user)
          throw new ApiError(
            'VALIDATION_FAILED',
            deps.config.externalAuth
              ? `no account with e-mail "${email}" is known here yet: a person's e-mail is learnt when they first sign in here; ask them to sign in once, or add the person by "user_id" (their account id in your identity provider) instead`
              : `no account with e-mail "${email}" exists; an admin can create it first (Buildings & users, or POST /api/v1/admin/users), then add it here`,
          );
        userId = user.id;
      } else {
        userId = user_id!;
        // External (Supabase) users are known by id before their first request: create a record.
        if (!(await metadata.getUser(userId))) {
          if (!deps.config.externalAuth)
            throw new ApiError('VALIDATION_FAILED', `user "${userId}" does not exist`);
          await metadata.upsertUser({ id: userId, email: null, role: 'user', passwordHash: null });
        }
      }
      await keepingAnOwner(metadata.setMember({ buildingId: request.params.id, userId, role }));
      const members = await metadata.listMembers(request.params.id);
      return reply.status(201).send({
        members: await Promise.all(
          members.map(async (m) => ({
            user_id: m.userId,
            email: (await metadata.getUser(m.userId))?.email ?? null,
            role: m.role,
          })),
        ),
      });
    },
  );

  app.delete<{ Params: { id: string; userId: string } }>(
    '/buildings/:id/members/:userId',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: MemberParams,
        response: {
          204: Type.Null(),
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const removed = await keepingAnOwner(
        metadata.removeMember(request.params.id, request.params.userId),
      );
      if (!removed)
        throw new ApiError(
          'NOT_FOUND',
          `user "${request.params.userId}" is not a member of "${request.params.id}"`,
        );
      live?.revoke(request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/buildings/:id/tokens',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: DeviceTokenList, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      await authorize(request, metadata, request.params.id, 'admin');
      const tokens = await metadata.listDeviceTokens(request.params.id);
      return {
        tokens: tokens.map((t) => ({
          id: t.id,
          name: t.name,
          created_at: iso(t.createdAt)!,
          revoked_at: iso(t.revokedAt),
          last_used_at: iso(t.lastUsedAt),
        })),
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { name: string } }>(
    '/buildings/:id/tokens',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: Params,
        body: DeviceTokenBody,
        response: { 201: DeviceTokenCreated, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await authorize(request, metadata, request.params.id, 'admin');
      refuseControlCharacters('name', request.body.name);
      const secret = generateDeviceToken();
      const t = await metadata.createDeviceToken({
        id: `tok_${secret.hash.slice(0, 16)}`,
        buildingId: request.params.id,
        name: request.body.name,
        tokenHash: secret.hash,
      });
      return reply
        .status(201)
        .send({ id: t.id, name: t.name, created_at: iso(t.createdAt)!, token: secret.secret });
    },
  );

  app.delete<{ Params: { id: string; tokenId: string } }>(
    '/buildings/:id/tokens/:tokenId',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        params: TokenParams,
        response: { 204: Type.Null(), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await authorize(request, metadata, request.params.id, 'admin');
      if (!(await metadata.revokeDeviceToken(request.params.id, request.params.tokenId)))
        throw new ApiError(
          'NOT_FOUND',
          `no active token "${request.params.tokenId}" in building "${request.params.id}"`,
        );
      return reply.status(204).send(null);
    },
  );
}
