/** POST /api/v1/ingest: mains readings from a meter (device token) or a signed-in user. */
import type { FastifyInstance } from 'fastify';
import { ErrorBody, IngestBody, IngestResponse } from '@nilm/contracts';
import { authorize } from '../access.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { IngestService } from '../services/ingest.service.js';

export function registerIngestRoutes(app: FastifyInstance, deps: AppDeps): void {
  const service = new IngestService({
    timeseries: deps.timeseries,
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
}

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestService;
  }
}
