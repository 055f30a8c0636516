/**
 * POST /api/v1/ingest: mains readings from a meter (device token) or a signed-in user;
 * GET /api/v1/ingest/info: how a meter sends them (HTTP and MQTT details, no secrets).
 */
import type { FastifyInstance } from 'fastify';
import { ErrorBody, IngestBody, IngestInfo, IngestResponse } from '@nilm/contracts';
import { authorize, requireUser } from '../access.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { describeIngest } from '../services/ingest.info.js';
import { IngestService } from '../services/ingest.service.js';

export function registerIngestRoutes(app: FastifyInstance, deps: AppDeps): void {
  const service = new IngestService({
    timeseries: deps.timeseries,
    backlog: deps.metadata,
    queue: deps.queue,
    now: deps.now,
    log: app.log,
    onIngest: (_b, r) => deps.metrics.readingsIngested.inc({ source: 'http' }, r.length),
  });
  app.decorate('ingest', service);
  app.post<{ Body: IngestBody }>(
    '/ingest',
    {
      schema: {
        tags: ['ingest'],
        summary: 'Store mains readings; idempotent per (building, ts)',
        security: [{ ingestToken: [] }, { bearer: [] }],
        body: IngestBody,
        response: {
          202: IngestResponse,
          401: ErrorBody,
          404: ErrorBody,
          413: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { building_id, readings } = request.body;
      await authorize(request, deps.metadata, building_id, 'write');
      try {
        const accepted = await service.ingest(building_id, readings);
        return reply.status(202).send({ accepted });
      } catch (e) {
        if (e instanceof ApiError) deps.metrics.ingestRejected.inc({ code: e.code });
        throw e;
      }
    },
  );

  app.get(
    '/ingest/info',
    {
      schema: {
        tags: ['ingest'],
        summary: 'How a meter sends readings here: the HTTP path, and the MQTT broker and topic',
        security: [{ bearer: [] }],
        response: { 200: IngestInfo, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request): Promise<IngestInfo> => {
      requireUser(request);
      return describeIngest(deps.config, request.hostname);
    },
  );
}

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestService;
  }
}
