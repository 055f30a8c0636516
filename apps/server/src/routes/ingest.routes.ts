/**
 * POST /api/v1/ingest: mains readings from a meter (device token) or a signed-in user, or with
 * `appliance` a sub-meter's readings (a plug that posts over HTTP);
 * GET /api/v1/ingest/info: how a meter sends them (HTTP and MQTT details, no secrets).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorBody, IngestBody, IngestInfo, IngestResponse } from '@nilm/contracts';
import { findAppliance } from '@nilm/ml';
import { authorize, requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { describeIngest } from '../services/ingest.info.js';
import { ingestServiceFor, type IngestService } from '../services/ingest.service.js';
import { SubmeterService } from '../services/submeter.service.js';
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

/**
 * Store a sub-meter's readings sent over HTTP: only for an appliance an owner bound a source
 * with role `submeter` to (a device token may not start a new ground-truth series, which
 * fine-tunes learn from), as `ts` and `power_w` alone; the source's status gets the newest
 * value. Resolves with the count stored; a refusal stores nothing.
 */
async function ingestSubmeter(
  deps: AppDeps,
  submeters: SubmeterService,
  buildingId: string,
  appliance: string,
  readings: IngestBody['readings'],
): Promise<number> {
  const name = findAppliance(appliance)?.name ?? appliance;
  const source = (await deps.metadata.listSources(buildingId)).find(
    (s) => s.role === 'submeter' && s.appliance === name,
  );
  if (!source)
    throw new ApiError(
      'VALIDATION_FAILED',
      `building "${buildingId}" has no sub-meter for "${appliance}"; an owner adds one first (POST /api/v1/buildings/${buildingId}/sources with role "submeter" and appliance "${name}"; docs/ingest.md)`,
      { setting: 'appliance' },
    );
  readings.forEach((r, i) => {
    if (r.production_w !== undefined || r.phases_w !== undefined)
      throw new ApiError(
        'VALIDATION_FAILED',
        `readings[${i}] gives production_w or phases_w; a sub-meter reading is one appliance's power: send ts and power_w only`,
        { index: i },
      );
  });
  const parsed = readings.map((r, i) => {
    const ts = parseReadingTime(r.ts);
    if (Number.isNaN(ts))
      throw new ApiError(
        'VALIDATION_TIME',
        `readings[${i}].ts ${JSON.stringify(r.ts)} is not a time: send epoch milliseconds or ISO-8601 with a zone`,
        { index: i },
      );
    return { ts, powerW: r.power_w };
  });
  const stored = await submeters.ingest(buildingId, name, parsed);
  const newest = parsed.reduce((a, b) => (b.ts > a.ts ? b : a));
  await deps.metadata.recordSourceEvent(source.id, {
    kind: 'value',
    valueW: newest.powerW,
    at: (deps.now ?? Date.now)(),
  });
  return stored;
}

export function registerIngestRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const service = ingestServiceFor(deps, app.log, 'http');
  const submeters = new SubmeterService(deps);
  app.decorate('ingest', service);
  api.post(
    '/ingest',
    {
      schema: {
        tags: ['ingest'],
        summary:
          "Store mains readings, or with appliance a sub-meter's; idempotent per (building, ts); a time repeated within a batch is refused",
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
      const { building_id, readings, appliance } = request.body;
      await authorize(request, deps.metadata, building_id, 'write');
      try {
        refuseRepeatedTimes(readings);
        const accepted =
          appliance === undefined
            ? await service.ingest(building_id, readings)
            : await ingestSubmeter(deps, submeters, building_id, appliance, readings);
        return reply.status(202).send({ accepted });
      } catch (e) {
        if (e instanceof ApiError) deps.metrics.ingestRejected.inc({ code: e.code });
        throw e;
      }
    },
  );

  api.get(
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
