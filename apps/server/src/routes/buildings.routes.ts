/** Buildings, members and device tokens over HTTP: authorize, call BuildingsService, shape. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
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
import type { Building, MemberWithEmail } from '@nilm/stores';
import { authorize, requireAdmin, requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import type { LiveHub } from '../services/live.hub.js';
import { BuildingsService } from '../services/buildings.service.js';
import { markHistoryPending } from '../services/history.recompute.js';

// Other routes check their free text with the same rule.
export { refuseControlCharacters } from '../services/buildings.service.js';

const Params = Type.Object({ id: Id });
const TokenParams = Type.Object({ id: Id, tokenId: Type.String({ minLength: 1, maxLength: 100 }) });
const MemberParams = Type.Object({ id: Id, userId: Type.String({ minLength: 1, maxLength: 200 }) });
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const memberList = (members: MemberWithEmail[]): MemberList => ({
  members: members.map((m) => ({ user_id: m.userId, email: m.email, role: m.role })),
});

export function registerBuildingRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  live?: Pick<LiveHub, 'revoke'>,
): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  const buildings = new BuildingsService({
    metadata,
    timeseries: deps.timeseries,
    defaultTimezone: deps.config.DEFAULT_TIMEZONE,
    externalAuth: deps.config.externalAuth,
    findModel: (ref) => deps.engine.registry.find(ref),
    // A new model for the building: its whole history is estimated again with it.
    recompute: async (buildingId) => {
      await markHistoryPending(deps, buildingId);
      await deps.queue.enqueue(buildingId);
    },
  });
  const view = async (request: FastifyRequest, b: Building): Promise<BuildingSchema> => ({
    id: b.id,
    name: b.name,
    timezone: b.timezone,
    is_demo: b.isDemo,
    model_ref: b.modelRef,
    my_role: await buildings.roleOf(requireUser(request), b.id),
    created_at: new Date(b.createdAt).toISOString(),
  });

  api.get(
    '/buildings',
    {
      schema: {
        tags: ['buildings'],
        security: [{ bearer: [] }],
        response: { 200: BuildingList, 401: ErrorBody },
      },
    },
    async (request) => {
      const list = await buildings.list(requireUser(request));
      return { buildings: await Promise.all(list.map((b) => view(request, b))) };
    },
  );

  api.post(
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
      const { id, name, timezone, owner_id } = request.body;
      const b = await buildings.create(
        admin,
        { id, name, ...(timezone === undefined ? {} : { timezone }), ownerId: owner_id },
        request.log,
      );
      return reply.status(201).send(await view(request, b));
    },
  );

  api.get(
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

  api.patch(
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
      const b = await buildings.update(request.params.id, { name, timezone, modelRef: model_ref });
      return view(request, b);
    },
  );

  api.delete(
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
      await buildings.delete(request.params.id);
      live?.revoke(request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.get(
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
      return memberList(await buildings.members(request.params.id));
    },
  );

  api.post(
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
      const members = await buildings.setMember(request.params.id, {
        userId: user_id,
        email,
        role,
      });
      return reply.status(201).send(memberList(members));
    },
  );

  api.delete(
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
      await buildings.removeMember(request.params.id, request.params.userId);
      live?.revoke(request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  api.get(
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
      const tokens = await buildings.tokens(request.params.id);
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

  api.post(
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
      const { token: t, secret } = await buildings.createToken(
        request.params.id,
        request.body.name,
      );
      return reply
        .status(201)
        .send({ id: t.id, name: t.name, created_at: iso(t.createdAt)!, token: secret });
    },
  );

  api.delete(
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
      await buildings.revokeToken(request.params.id, request.params.tokenId);
      return reply.status(204).send(null);
    },
  );
}
