/**
 * A building's tariff and its dynamic prices, each behind the access policy:
 * `GET/PUT /buildings/{id}/tariff`; `GET /buildings/{id}/prices` (stored prices over a window and
 * the last fetch), `PUT` (a CSV of prices, checked whole: 422 naming the first bad line, nothing
 * stored), `DELETE`; `POST /buildings/{id}/prices/refresh` (fetch from the price API now);
 * `GET /buildings/{id}/prices/cheapest` (the cheapest block and hours of a local day).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  CheapestQuery,
  CheapestResponse,
  DEFAULT_TARIFF,
  ErrorBody,
  Id,
  PriceFetchStatus,
  PricesImportResponse,
  PricesQuery,
  PricesResponse,
  TariffBody,
  TariffResponse,
  tariffBandsProblem,
} from '@nilm/contracts';
import type { PriceFetchRecord, Tariff } from '@nilm/stores';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { parseQueryTime } from '../time.parse.js';
import { PricesService } from '../prices/prices.service.js';
import { refuseControlCharacters } from './buildings.routes.js';

const Params = Type.Object({ id: Id });
/** Widest window `GET /prices` answers (a year of half hours is 17 520 slots). */
const MAX_PRICE_WINDOW_MS = 366 * 86_400_000;
/** Largest price CSV accepted (a year of half hours with an end column is about 1.3 MB). */
const PRICE_CSV_MAX_BYTES = 4 * 1024 * 1024;

const iso = (ms: number) => new Date(ms).toISOString();

/** The API's snake_case tariff from the store's (fields stored before they existed are 0). */
function tariffBody(t: Tariff): Required<TariffBody> {
  return {
    currency: t.currency,
    price_per_kwh: t.pricePerKwh,
    bands: t.bands.map((b) => ({
      name: b.name,
      start: b.start,
      end: b.end,
      price_per_kwh: b.pricePerKwh,
    })),
    standing_charge_per_day: t.standingChargePerDay ?? 0,
    export_price_per_kwh: t.exportPricePerKwh ?? 0,
    dynamic: t.dynamic ?? null,
  };
}

function fetchStatus(r: PriceFetchRecord | null): PriceFetchStatus | null {
  return r
    ? {
        provider: r.provider,
        attempted_at: iso(r.attemptedAt),
        succeeded_at: r.succeededAt === null ? null : iso(r.succeededAt),
        error: r.error,
        slots: r.slots,
        gaps: r.gaps,
      }
    : null;
}

/** Register the tariff and price routes. */
export function registerTariffRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  const now = deps.now ?? Date.now;
  const prices = new PricesService({
    metadata,
    now,
    priceApiUrl: deps.config.PRICE_API_URL,
    timeoutMs: deps.config.PRICE_FETCH_TIMEOUT_MS,
  });
  const currencyOf = async (id: string) =>
    (await metadata.getTariff(id))?.currency ?? DEFAULT_TARIFF.currency;

  api.get(
    '/buildings/:id/tariff',
    {
      schema: {
        tags: ['tariff'],
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: TariffResponse, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request): Promise<TariffResponse> => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      const stored = await metadata.getTariff(b.id);
      return {
        building_id: b.id,
        ...(stored ? tariffBody(stored) : DEFAULT_TARIFF),
        is_default: stored === null,
      };
    },
  );

  // The tariff is the building's contract, so changing it takes the same right as renaming it.
  api.put(
    '/buildings/:id/tariff',
    {
      schema: {
        tags: ['tariff'],
        security: [{ bearer: [] }],
        params: Params,
        body: TariffBody,
        response: {
          200: TariffResponse,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request): Promise<TariffResponse> => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const body = request.body;
      body.bands.forEach((x, i) => refuseControlCharacters(`bands[${i}].name`, x.name));
      const problem = tariffBandsProblem(body.bands);
      if (problem) throw new ApiError('VALIDATION_FAILED', problem);
      const saved = await metadata.setTariff(b.id, {
        currency: body.currency,
        pricePerKwh: body.price_per_kwh,
        bands: body.bands.map((x) => ({
          name: x.name,
          start: x.start,
          end: x.end,
          pricePerKwh: x.price_per_kwh,
        })),
        standingChargePerDay: body.standing_charge_per_day ?? 0,
        exportPricePerKwh: body.export_price_per_kwh ?? 0,
        dynamic: body.dynamic ?? null,
      });
      return { building_id: b.id, ...tariffBody(saved), is_default: false };
    },
  );

  api.get(
    '/buildings/:id/prices',
    {
      schema: {
        tags: ['tariff'],
        summary: 'Stored dynamic prices overlapping [start, end), oldest first, and the last fetch',
        security: [{ bearer: [] }],
        params: Params,
        querystring: PricesQuery,
        response: {
          200: PricesResponse,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request): Promise<PricesResponse> => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      const t = now();
      const fromMs = parseQueryTime(request.query.start, 'start', t);
      const toMs =
        request.query.end === undefined ? t : parseQueryTime(request.query.end, 'end', t);
      if (!(toMs > fromMs) || toMs - fromMs > MAX_PRICE_WINDOW_MS)
        throw new ApiError(
          'VALIDATION_WINDOW',
          'end must be after start, and the window at most 366 days; ask for less',
        );
      const [slots, fetch, currency] = await Promise.all([
        metadata.listPrices(b.id, fromMs, toMs),
        metadata.getPriceFetch(b.id),
        currencyOf(b.id),
      ]);
      return {
        building_id: b.id,
        currency,
        slots: slots.map((s) => ({
          start: iso(s.startMs),
          end: iso(s.endMs),
          price_per_kwh: s.pricePerKwh,
        })),
        fetch: fetchStatus(fetch),
      };
    },
  );

  api.delete(
    '/buildings/:id/prices',
    {
      schema: {
        tags: ['tariff'],
        summary: 'Forget every stored dynamic price (bands and the flat price apply again)',
        security: [{ bearer: [] }],
        params: Params,
        response: { 204: Type.Null(), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      await metadata.deletePrices(b.id);
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/buildings/:id/prices/refresh',
    {
      schema: {
        tags: ['tariff'],
        summary: 'Fetch dynamic prices from the price API now (the worker also does, hourly)',
        security: [{ bearer: [] }],
        params: Params,
        response: {
          200: PriceFetchStatus,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
          502: ErrorBody,
        },
      },
    },
    async (request): Promise<PriceFetchStatus> => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const r = await prices.refresh(b.id);
      if (r.error) throw new ApiError('PRICE_API_FAILED', r.error, { fetch: fetchStatus(r) });
      return fetchStatus(r)!;
    },
  );

  api.get(
    '/buildings/:id/prices/cheapest',
    {
      schema: {
        tags: ['tariff'],
        summary:
          "The cheapest block of `hours` and every hour of a local day (default: the building's next day), cheapest first",
        security: [{ bearer: [] }],
        params: Params,
        querystring: CheapestQuery,
        response: {
          200: CheapestResponse,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request): Promise<CheapestResponse> => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      const r = await prices.cheapest(
        b.id,
        b.timezone,
        request.query.hours ?? 3,
        request.query.date,
      );
      const span = (w: { startMs: number; endMs: number; pricePerKwh: number }) => ({
        start: iso(w.startMs),
        end: iso(w.endMs),
        // A mean of minute prices: rounded so 0.05 answers 0.05, not 0.04999999999999996.
        price_per_kwh: Math.round(w.pricePerKwh * 1e10) / 1e10,
      });
      return {
        building_id: b.id,
        currency: await currencyOf(b.id),
        date: r.date,
        timezone: b.timezone,
        block: r.block && span(r.block),
        hours: r.hours.map(span),
        dynamic_minutes: r.dynamicMinutes,
        minutes: r.minutes,
      };
    },
  );

  // The CSV upload: its own scope, where the body is the file (text), never JSON.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['text/csv', 'text/plain'],
      { parseAs: 'string', bodyLimit: PRICE_CSV_MAX_BYTES },
      (_r, body, done) => done(null, body),
    );
    scope.addContentTypeParser('*', (request, _payload, done) =>
      done(
        new ApiError(
          'UNSUPPORTED_MEDIA_TYPE',
          `send the price CSV as the body with Content-Type: text/csv (got ${request.headers['content-type'] ?? 'none'})`,
        ),
      ),
    );
    scope.setErrorHandler((err: FastifyError) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        throw new ApiError(
          'BODY_TOO_LARGE',
          `the price file is larger than ${PRICE_CSV_MAX_BYTES} bytes; split it by time`,
          { limit: PRICE_CSV_MAX_BYTES },
        );
      throw err;
    });
    scope.withTypeProvider<TypeBoxTypeProvider>().put(
      '/buildings/:id/prices',
      {
        bodyLimit: PRICE_CSV_MAX_BYTES,
        onRequest: async (request) => {
          await authorize(request, metadata, request.params.id, 'admin');
        },
        schema: {
          tags: ['tariff'],
          summary:
            'Upload dynamic prices as CSV (start,price_per_kwh[,end]); they replace stored prices over the span they cover',
          security: [{ bearer: [] }],
          params: Params,
          response: {
            200: PricesImportResponse,
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
            413: ErrorBody,
            415: ErrorBody,
            422: ErrorBody,
          },
        },
      },
      async (request): Promise<PricesImportResponse> => {
        const r = await prices.importCsv(
          request.params.id,
          typeof request.body === 'string' ? request.body : '',
        );
        return {
          building_id: request.params.id,
          imported: r.imported,
          start: iso(r.startMs),
          end: iso(r.endMs),
          slot_minutes: r.slotMinutes,
        };
      },
    );
  });
}
