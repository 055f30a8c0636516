/**
 * Readings with disaggregation, energy reports, CSV exports, appliances and their runs, and live
 * updates (SSE).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  ApplianceList,
  ApplianceParams,
  EnergyQuery,
  EnergyResponse,
  CsvText,
  ErrorBody,
  Id,
  RangeQuery,
  ReadingsColumns,
  ReadingsQuery,
  type GridValue,
  ReadingsResponse,
  RunsQuery,
  RunsResponse,
} from '@nilm/contracts';
import { authorize, requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import type { LiveHub } from '../services/live.hub.js';
import {
  applianceView,
  buildingAppliances,
  presentAppliances,
} from '../services/appliances.service.js';
import {
  chooseResolution,
  energyCsv,
  readingsCsv,
  ReadingsService,
  type ReadingsResult,
} from '../services/readings.service.js';
import { MAX_RUNS, RunsService } from '../services/runs.service.js';
import { parseQueryTime } from '../time.parse.js';
import { etagOf, etagOfText, matches } from './http.etag.js';
import { readingsColumns } from './readings.columns.js';
import {
  answerKey,
  negotiateEncoding,
  rangeFingerprint,
  ReadingsAnswerCache,
  viewSignature,
  type CachedAnswer,
} from './readings.cache.js';
import { FreshReads } from '../fresh.reads.js';
import type { GridPoint } from '@nilm/stores';

const Params = Type.Object({ id: Id });
const NotModified = Type.Null({
  description: 'Not modified: the ETag in If-None-Match is still the answer',
});

/**
 * Mark a finished answer with its ETag (revalidated on every use); true when the client's
 * If-None-Match already holds it, so the caller answers 304.
 */
function notModified(ifNoneMatch: string | undefined, body: unknown, reply: FastifyReply): boolean {
  const tag = etagOf(body);
  reply.header('etag', tag).header('cache-control', 'private, no-cache');
  return matches(ifNoneMatch, tag);
}

/** A computed readings answer: its body, and its bytes when it is finished. */
interface Computed {
  body: ReadingsResponse | ReadingsColumns;
  answer?: CachedAnswer;
}

/** What the route's serializer made, as bytes (it makes strings; the type allows buffers). */
function bytesOf(serialized: string | ArrayBuffer | Buffer): Buffer {
  if (typeof serialized === 'string') return Buffer.from(serialized, 'utf8');
  return Buffer.isBuffer(serialized) ? serialized : Buffer.from(serialized);
}

/** A finished answer that is not cached. */
function answerOf(body: Buffer): CachedAnswer {
  return { body, etag: etagOfText(body) };
}

/**
 * Send a finished answer with its ETag (304 when If-None-Match holds it), compressed here as the
 * client accepts: from the cache's kept forms when `answers` holds it under `key`. The reply then
 * carries Content-Encoding, which @fastify/compress leaves alone (it passes on any reply already
 * encoded); an answer sent plain is negotiated and compressed by it as any other.
 */
async function sendAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  answers: ReadingsAnswerCache | null,
  key: string,
  answer: CachedAnswer,
): Promise<FastifyReply> {
  reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
  if (matches(request.headers['if-none-match'], answer.etag)) return reply.code(304).send(null);
  reply.header('content-type', 'application/json; charset=utf-8');
  const encoding =
    answers && answer.body.byteLength >= COMPRESS_FROM_BYTES && !request.headers['x-no-compression']
      ? negotiateEncoding(request.headers['accept-encoding'])
      : null;
  if (!encoding) return reply.send(answer.body);
  const bytes = await answers!.encoded(key, answer, encoding);
  const vary = reply.getHeader('vary');
  const varies = (Array.isArray(vary) ? vary : vary === undefined ? [] : [String(vary)]).filter(
    (v) => v !== '',
  );
  if (!varies.some((v) => v.toLowerCase().includes('accept-encoding')))
    reply.header('vary', [...varies, 'accept-encoding'].join(', '));
  return reply.header('content-encoding', encoding).send(bytes);
}

/** `v` rounded to 1/`per` (10: 0.1, 1000: 0.001). */
const round = (v: number, per: number) => Math.round(v * per) / per;

/** Options of the readings routes beyond the app's dependencies. */
export interface ReadingRoutesOptions {
  /**
   * Finished readings answers kept in memory (readings.cache.ts): a 64 MB cache by default;
   * null keeps none (every answer computed afresh).
   */
  answerCache?: ReadingsAnswerCache | null;
}

/** Bodies smaller than this leave uncompressed (the threshold @fastify/compress is given). */
const COMPRESS_FROM_BYTES = 1024;

export function registerReadingRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  live: LiveHub,
  options: ReadingRoutesOptions = {},
): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const now = deps.now ?? Date.now;
  // Every view shows only the appliances the building has (the others' power is "other").
  const viewOf = (id: string) => applianceView(deps.engine, deps.metadata, id);
  // The service's finished days are those before the app's clock, as the routes' ranges are.
  const service = new ReadingsService(deps.timeseries, viewOf, { now });
  const runs = new RunsService(deps);
  const answers =
    options.answerCache === undefined ? new ReadingsAnswerCache() : options.answerCache;
  const fingerprints = new FreshReads<string | null>();
  const views = new FreshReads<string>();
  /** Answers being computed, by key and fingerprint, so many clients at once compute one. */
  const computing = new Map<string, Promise<Computed>>();
  // One clock reading for both ends: "start=-31d" to "now" is exactly 31 days however long
  // the request took between them (two readings made it 31 days and a few ms under load).
  const range = (q: { start: string; end?: string }): [number, number] => {
    const t = now();
    return [parseQueryTime(q.start, 'start', t), parseQueryTime(q.end ?? 'now', 'end', t)];
  };

  const readings = async (id: string, q: RangeQuery) => {
    const [start, end] = range(q);
    const r = await service.readings(id, start, end, q.resolution, q.points);
    return { r, start, end };
  };

  api.get(
    '/buildings/:id/readings',
    {
      schema: {
        tags: ['readings'],
        summary: 'Mains and per-appliance estimates on one time axis',
        security: [{ bearer: [] }],
        params: Params,
        description:
          '`shape=columns` answers one array per series (ReadingsColumns) instead of one object per point. A range that ended over a minute ago, with its estimates done, carries an ETag; If-None-Match with it answers 304.',
        querystring: ReadingsQuery,
        response: {
          200: Type.Union([ReadingsColumns, ReadingsResponse]),
          304: NotModified,
          401: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      await authorize(request, deps.metadata, id, 'read');
      const q = request.query;
      const [start, end] = range(q);
      const shape = q.shape ?? 'points';
      const bodyOf = (r: ReadingsResult) =>
        shape === 'columns' ? readingsColumns(id, start, end, r) : pointsOf(id, start, end, r);
      // History that is over and estimated: the answer can change only by a re-estimate or a
      // re-import, which changes its content and so its ETag (and the cache's fingerprint).
      const over = end > start && end <= now() - 60_000;
      if (over && answers) {
        // Both read after this request arrived (FreshReads), before the data on a miss: a write
        // in between changes the fingerprint, so what is cached is never newer than its key says.
        // Of the building's view an answer depends only on the appliances shown (`present`, which
        // `applianceView` takes from `presentAppliances`): one metadata read, not the model's.
        const [fingerprint, view] = await Promise.all([
          fingerprints.get(`${id}\u0002${start}\u0002${end}`, () =>
            rangeFingerprint(deps.timeseries, id, start, end, now()),
          ),
          views.get(id, async () => viewSignature(await presentAppliances(deps.metadata, id))),
        ]);
        if (fingerprint !== null) {
          const resolutionS = chooseResolution(start, end, q.resolution, q.points);
          const key = answerKey({
            buildingId: id,
            startMs: start,
            endMs: end,
            resolutionS,
            shape,
            view,
          });
          const cached = answers.get(key, fingerprint);
          if (cached) return sendAnswer(request, reply, answers, key, cached);
          const flight = `${key}\u0003${fingerprint}`;
          let computed = computing.get(flight);
          if (!computed) {
            computed = (async (): Promise<Computed> => {
              const r = await service.readings(id, start, end, q.resolution, q.points);
              const body = bodyOf(r);
              if (!(r.estimateCoverage === null || r.estimateCoverage === 1)) return { body };
              const text = bytesOf(reply.serialize(body));
              // A view changed while computing may have shaped the data: keep it uncached.
              const viewAfter = viewSignature(await presentAppliances(deps.metadata, id));
              if (viewAfter !== view) return { body, answer: answerOf(text) };
              return { body, answer: answers.set(key, fingerprint, text) };
            })().finally(() => computing.delete(flight));
            computing.set(flight, computed);
          }
          const { body, answer } = await computed;
          return answer ? sendAnswer(request, reply, answers, key, answer) : body;
        }
      }
      const r = await service.readings(id, start, end, q.resolution, q.points);
      const body = bodyOf(r);
      if (!(over && (r.estimateCoverage === null || r.estimateCoverage === 1))) return body;
      return sendAnswer(request, reply, null, '', answerOf(bytesOf(reply.serialize(body))));
    },
  );

  api.get(
    '/buildings/:id/readings.csv',
    {
      schema: {
        tags: ['readings'],
        summary: 'The readings as CSV',
        security: [{ bearer: [] }],
        params: Params,
        querystring: RangeQuery,
        response: { 200: CsvText, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      await authorize(request, deps.metadata, request.params.id, 'read');
      const { r } = await readings(request.params.id, request.query);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.id}-readings.csv"`)
        .send(readingsCsv(r));
    },
  );

  const energy = async (id: string, timeZone: string, q: EnergyQuery) => {
    const [start, end] = range(q);
    return service.energy(id, start, end, q.period ?? 'day', timeZone);
  };

  api.get(
    '/buildings/:id/energy',
    {
      schema: {
        tags: ['readings'],
        summary: 'kWh per appliance per day/week/month, with other and baseload',
        security: [{ bearer: [] }],
        params: Params,
        description:
          'Periods that ended over a minute ago, with their estimates done, carry an ETag; If-None-Match with it answers 304.',
        querystring: EnergyQuery,
        response: {
          200: EnergyResponse,
          304: NotModified,
          401: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const b = await authorize(request, deps.metadata, request.params.id, 'read');
      const periods = await energy(request.params.id, b.timezone, request.query);
      const finished = periods.every(
        (p) =>
          p.endMs <= now() - 60_000 && (p.estimateCoverage === null || p.estimateCoverage === 1),
      );
      const body = {
        building_id: b.id,
        period: request.query.period ?? 'day',
        timezone: b.timezone,
        periods: periods.map((p) => ({
          start: new Date(p.startMs).toISOString(),
          end: new Date(p.endMs).toISOString(),
          total_kwh: p.totalKwh,
          appliances: p.appliances,
          appliance_ranges: Object.fromEntries(
            Object.entries(p.ranges).map(([a, r]) => [
              a,
              r ? { kwh_low: r.lowKwh, kwh_high: r.highKwh } : { kwh_low: null, kwh_high: null },
            ]),
          ),
          other_kwh: p.otherKwh,
          pending_kwh: p.pendingKwh,
          import_kwh: p.importKwh,
          export_kwh: p.exportKwh,
          production_kwh: p.productionKwh,
          self_consumption_kwh: p.selfConsumptionKwh,
          baseload_kwh: p.baseloadKwh,
          coverage: p.coverage,
          estimate_coverage: p.estimateCoverage,
        })),
      };
      if (finished && notModified(request.headers['if-none-match'], body, reply))
        return reply.code(304).send(null);
      return body;
    },
  );

  api.get(
    '/buildings/:id/energy.csv',
    {
      schema: {
        tags: ['readings'],
        summary: 'The energy report as CSV',
        security: [{ bearer: [] }],
        params: Params,
        querystring: EnergyQuery,
        response: { 200: CsvText, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const b = await authorize(request, deps.metadata, request.params.id, 'read');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.id}-energy.csv"`)
        .send(energyCsv(await energy(request.params.id, b.timezone, request.query)));
    },
  );

  api.get(
    '/buildings/:id/appliances',
    {
      schema: {
        tags: ['readings'],
        summary: "The appliances the building's model estimates and the building has",
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: ApplianceList, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const b = await authorize(request, deps.metadata, request.params.id, 'read');
      const { model, appliances } = await buildingAppliances(deps.engine, deps.metadata, b);
      return {
        building_id: b.id,
        model,
        appliances: appliances
          .filter((a) => a.present)
          .map((a) => ({
            name: a.name,
            label: a.label,
            enabled: a.enabled,
            on_threshold_w: a.onThresholdW,
            on_prob_threshold: a.onProbThreshold,
          })),
      };
    },
  );

  api.get(
    '/buildings/:id/appliances/:name/runs',
    {
      schema: {
        tags: ['readings'],
        summary:
          "An appliance's runs at the model's resolution, with count, typical length and energy",
        security: [{ bearer: [] }],
        params: ApplianceParams,
        querystring: RunsQuery,
        response: {
          200: RunsResponse,
          401: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const b = await authorize(request, deps.metadata, request.params.id, 'read');
      const [start, end] = range(request.query);
      const r = await runs.runs(b, request.params.name, start, end);
      const iso = (ms: number): string => new Date(ms).toISOString();
      return {
        building_id: b.id,
        appliance: request.params.name,
        start: iso(start),
        end: iso(end),
        threshold: r.threshold,
        runs: r.runs.map((x) => ({
          start: iso(x.startMs),
          end: iso(x.endMs),
          minutes: x.minutes,
          energy_kwh: x.energyKwh,
          peak_w: x.peakW,
        })),
        count: r.count,
        typical_minutes: r.typicalMinutes,
        mean_energy_kwh: r.meanEnergyKwh,
        limit: MAX_RUNS,
        truncated: r.truncated,
      };
    },
  );

  // Live updates as server-sent events, from the building's one feed in the live hub (which
  // reads the store, so it shows readings and estimates written by any API or worker process).
  // The stream ends with an `end` event when the token expires or the access is revoked.
  api.get(
    '/buildings/:id/live',
    {
      schema: {
        tags: ['readings'],
        summary:
          'Server-sent events: each new reading and estimate; `end` says why the server closed the stream',
        security: [{ bearer: [] }],
        params: Params,
        response: { 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      await authorize(request, deps.metadata, request.params.id, 'read');
      const u = requireUser(request);
      const viewer = { userId: u.userId, role: u.role, expiresAt: u.expiresAt };
      live.admit(viewer);
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': request.id,
      });
      live.open(request.params.id, viewer, reply.raw);
    },
  );
}

/** The readings as one object per point (the default shape). */
function pointsOf(id: string, start: number, end: number, r: ReadingsResult): ReadingsResponse {
  return {
    building_id: id,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    resolution_s: r.resolutionS,
    appliances: r.appliances,
    estimate_coverage: r.estimateCoverage === null ? null : round(r.estimateCoverage, 1000),
    // Watts to 0.1 W and probabilities to 0.001, as in the CSV: bucket means otherwise
    // carry 17 digits of noise, and the response shrinks by about a third.
    points: r.buckets.map((b) => ({
      time: new Date(b.ts).toISOString(),
      power_w: b.powerW === null ? null : round(b.powerW, 10),
      appliances: Object.fromEntries(
        Object.entries(b.appliances).map(([a, v]) => [
          a,
          { power_w: round(v.powerW, 10), on_prob: round(v.onProb, 1000) },
        ]),
      ),
      ...gridOf(r.grid.get(b.ts)),
    })),
  };
}

/** The point's grid measurements, rounded like power, or nothing when the meter reports none. */
function gridOf(g: GridPoint | undefined): { grid?: GridValue } {
  if (!g) return {};
  const w = (v: number | null): number | null => (v === null ? null : round(v, 10));
  return {
    grid: {
      import_w: w(g.importW),
      export_w: w(g.exportW),
      production_w: w(g.productionW),
      ...(g.phasesW ? { phases_w: g.phasesW.map((v) => round(v, 10)) } : {}),
    },
  };
}
