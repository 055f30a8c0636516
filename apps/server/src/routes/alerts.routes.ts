/**
 * Alerts (`/api/v1/buildings/{id}/alerts...`): a building's rules and channels (viewers read,
 * owners change; every bad threshold answers 422 by name and nothing is stored), its alert
 * history with each delivery's status, and a retry of a failed delivery (members). Web Push
 * (`/api/v1/push/...`): the server's VAPID public key and the caller's browser subscriptions.
 * The worker evaluates the rules and sends (alerts/).
 */
import { randomBytes } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  AlertList,
  AlertSettingsBody,
  AlertSettingsResponse,
  ErrorBody,
  Id,
  PushSubscriptionBody,
  PushUnsubscribeBody,
  VapidKeyResponse,
  alertSettingsProblems,
} from '@nilm/contracts';
import type { AlertRecord, Building, MetadataStore } from '@nilm/stores';
import { authorize, requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { vapidKeys } from '../alerts/alert.channels.js';
import { effectiveSettings } from '../alerts/alert.evaluator.js';

const Params = Type.Object({ id: Id });
const RetryParams = Type.Object({
  id: Id,
  deliveryId: Type.String({ minLength: 1, maxLength: 64 }),
});
const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) });
const Errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The API's view of a stored alert. */
function alertView(a: AlertRecord): AlertList['alerts'][number] {
  return {
    id: a.id,
    building_id: a.buildingId,
    kind: a.kind,
    title: a.title,
    message: a.message,
    at: iso(a.at)!,
    created_at: iso(a.createdAt)!,
    deliveries: a.deliveries.map((d) => ({
      id: d.id,
      channel: d.channel,
      status: d.status,
      attempts: d.attempts,
      last_error: d.lastError,
      next_attempt_at: iso(d.status === 'pending' ? d.nextAttemptAt : null),
      sent_at: iso(d.sentAt),
    })),
  };
}

/** Whether the caller may change the building (an owner, or a platform admin). */
async function canAdmin(
  request: FastifyRequest,
  metadata: MetadataStore,
  b: Building,
): Promise<boolean> {
  try {
    await authorize(request, metadata, b.id, 'admin');
    return true;
  } catch {
    return false;
  }
}

/** Settings as shown: the webhook secret to owners only, an ntfy token never. */
function shown(s: AlertSettingsBody, owner: boolean): AlertSettingsBody {
  const { token: _token, ...ntfy } = s.channels.ntfy;
  return {
    rules: s.rules,
    channels: {
      ...s.channels,
      webhook: {
        ...s.channels.webhook,
        secret: owner ? (s.channels.webhook.secret ?? null) : null,
      },
      ntfy: { ...ntfy, token: null },
    },
  };
}

export function registerAlertRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  const now = deps.now ?? Date.now;

  api.get(
    '/buildings/:id/alerts/settings',
    {
      schema: {
        tags: ['alerts'],
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: AlertSettingsResponse, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      const stored = await metadata.getAlertSettings(b.id);
      return {
        building_id: b.id,
        ...shown(effectiveSettings(stored), await canAdmin(request, metadata, b)),
        is_default: stored === null,
      };
    },
  );

  api.put(
    '/buildings/:id/alerts/settings',
    {
      schema: {
        tags: ['alerts'],
        security: [{ bearer: [] }],
        params: Params,
        body: AlertSettingsBody,
        response: { 200: AlertSettingsResponse, ...Errors, 422: ErrorBody },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const body = request.body;
      const problems = alertSettingsProblems(body);
      if (problems.length > 0)
        throw new ApiError(
          'VALIDATION_FAILED',
          `alert settings not saved: ${problems.join('; ')}`,
          { problems },
        );
      const before = effectiveSettings(await metadata.getAlertSettings(b.id)).channels;
      // Left out: keep what is stored. The webhook always has a secret, so it is always signed.
      const secret =
        body.channels.webhook.secret ??
        before.webhook.secret ??
        randomBytes(24).toString('base64url');
      const token =
        body.channels.ntfy.token === undefined
          ? (before.ntfy.token ?? null)
          : body.channels.ntfy.token;
      const saved = await metadata.setAlertSettings(b.id, {
        rules: body.rules,
        channels: {
          ...body.channels,
          webhook: { ...body.channels.webhook, secret },
          ntfy: { ...body.channels.ntfy, token },
        },
      });
      return { building_id: b.id, ...shown(effectiveSettings(saved), true), is_default: false };
    },
  );

  api.get(
    '/buildings/:id/alerts',
    {
      schema: {
        tags: ['alerts'],
        security: [{ bearer: [] }],
        params: Params,
        querystring: ListQuery,
        response: { 200: AlertList, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      const alerts = await metadata.listAlerts(b.id, request.query.limit ?? 100);
      return { alerts: alerts.map(alertView) };
    },
  );

  api.post(
    '/buildings/:id/alerts/deliveries/:deliveryId/retry',
    {
      schema: {
        tags: ['alerts'],
        security: [{ bearer: [] }],
        params: RetryParams,
        response: { 204: Type.Null(), ...Errors },
      },
    },
    async (request, reply) => {
      const b = await authorize(request, metadata, request.params.id, 'write');
      if (!(await metadata.retryDelivery(b.id, request.params.deliveryId, now())))
        throw new ApiError(
          'NOT_FOUND',
          `no delivery "${request.params.deliveryId}" of building "${b.id}" waits for a retry (it was sent, or does not exist)`,
        );
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/push/vapid-public-key',
    {
      schema: {
        tags: ['alerts'],
        security: [{ bearer: [] }],
        response: { 200: VapidKeyResponse, 401: ErrorBody },
      },
    },
    async (request) => {
      requireUser(request);
      return { public_key: (await vapidKeys(metadata)).publicKey };
    },
  );

  api.post(
    '/push/subscriptions',
    {
      schema: {
        tags: ['alerts'],
        security: [{ bearer: [] }],
        body: PushSubscriptionBody,
        response: { 204: Type.Null(), 401: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const { endpoint, keys } = request.body;
      let url: URL | undefined;
      try {
        url = new URL(endpoint);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
        throw new ApiError(
          'VALIDATION_FAILED',
          'endpoint must be the push service URL of the subscription (subscription.toJSON().endpoint)',
        );
      await metadata.savePushSubscription({
        userId: user.userId,
        endpoint,
        p256dh: keys.p256dh,
        auth: keys.auth,
      });
      return reply.status(204).send(null);
    },
  );

  api.delete(
    '/push/subscriptions',
    {
      schema: {
        tags: ['alerts'],
        security: [{ bearer: [] }],
        body: PushUnsubscribeBody,
        response: { 204: Type.Null(), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      if (!(await metadata.deletePushSubscription(user.userId, request.body.endpoint)))
        throw new ApiError('NOT_FOUND', 'you have no push subscription with this endpoint');
      return reply.status(204).send(null);
    },
  );
}
