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
import { ingestServiceFor, type IngestService } from '../services/ingest.service.js';
import { parseReadingTime } from '../time.parse.js';

/**
 * Refuse a batch that gives one time twice (also as two spellings of one instant): which value
 * should win is a guess, and the meter that sent it has a bug worth hearing about. Times that do
 * not parse are left to the service, which says why.
 */
function refuseRepeatedTimes(readings: IngestBody['readings']): void {
  const firstIndex = new Map<number, number>();
  readings.forEach((r, i) => {
    const ts = parseReadingTime(r.ts);
    if (Number.isNaN(ts)) return;
    const first = firstIndex.get(ts);
    if (first !== undefined)
      throw new ApiError(
        'VALIDATION_TIME',
        `readings[${i}].ts ${new Date(ts).toISOString()} is the same time as readings[${first}].ts; send each time once per batch`,
        { index: i, first_index: first },
      );
    firstIndex.set(ts, i);
  });
}

export function registerIngestRoutes(app: FastifyInstance, deps: AppDeps): void {
  const service = ingestServiceFor(deps, app.log, 'http');
  app.decorate('ingest', service);
  app.post<{ Body: IngestBody }>(
    '/ingest',
    {
      schema: {
        tags: ['ingest'],
        summary:
          'Store mains readings; idempotent per (building, ts); a time repeated within a batch is refused',
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
        refuseRepeatedTimes(readings);
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
