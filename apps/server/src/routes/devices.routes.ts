/**
 * Found devices (`/api/v1/buildings/{id}/devices...`, issue 13.1): the unnamed devices discovery
 * found in a building's mains (members read), a discovery pass run now over a span (default the
 * last 30 days), and what owners make of a device: a name and appliance type, a merge into
 * another, a dismissal. Bad input answers 4xx by name and changes nothing. The worker runs a
 * pass per building once a day (services/discovery.service.ts).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  DEFAULT_DISCOVERY_SPAN_MS,
  DeviceMergeBody,
  DevicePatchBody,
  DiscoverBody,
  DiscoverResponse,
  ErrorBody,
  FoundDevice,
  FoundDeviceList,
  Id,
  MAX_DISCOVERY_SPAN_MS,
} from '@nilm/contracts';
import type { FoundDeviceRecord } from '@nilm/stores';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { DiscoveryService } from '../services/discovery.service.js';
import { parseQueryTime } from '../time.parse.js';

const Params = Type.Object({ id: Id });
const DeviceParams = Type.Object({
  id: Id,
  deviceId: Type.String({ minLength: 1, maxLength: 64 }),
});
const Errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const Changes = { 200: FoundDevice, ...Errors, 409: ErrorBody, 422: ErrorBody };

const iso = (ms: number): string => new Date(ms).toISOString();

/** The API's view of a stored device. */
export function deviceView(d: FoundDeviceRecord): FoundDevice {
  return {
    id: d.id,
    building_id: d.buildingId,
    label: d.label,
    status: d.status,
    merged_into: d.mergedInto,
    name: d.name,
    appliance: d.appliance,
    power_w: d.signature.powerW,
    run_minutes: d.signature.runMinutes,
    period_minutes: d.signature.periodMinutes,
    runs: d.stats.runs,
    runs_per_day: d.stats.runsPerDay,
    energy_per_month_kwh: d.stats.energyPerMonthKWh,
    hour_profile: d.stats.hourProfile,
    examples: d.stats.examples.map((e) => ({
      start: iso(e.startMs),
      end: iso(e.endMs),
      mean_w: e.meanW,
    })),
    span: { start: iso(d.stats.fromMs), end: iso(d.stats.toMs) },
    found_at: iso(d.foundAt),
    updated_at: iso(d.updatedAt),
  };
}

export function registerDeviceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata } = deps;
  const now = deps.now ?? Date.now;
  const discovery = new DiscoveryService({ timeseries: deps.timeseries, metadata, now });
  const schema = <S extends object>(extra: S) => ({
    tags: ['devices'],
    security: [{ bearer: [] }],
    ...extra,
  });

  api.get(
    '/buildings/:id/devices',
    { schema: schema({ params: Params, response: { 200: FoundDeviceList, ...Errors } }) },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      return { devices: (await metadata.listFoundDevices(b.id)).map(deviceView) };
    },
  );

  api.post(
    '/buildings/:id/devices/discover',
    {
      schema: schema({
        params: Params,
        body: DiscoverBody,
        response: { 200: DiscoverResponse, ...Errors, 422: ErrorBody },
      }),
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const t = now();
      const body = request.body ?? {};
      const end = body.end === undefined ? t : parseQueryTime(body.end, 'end', t);
      const start =
        body.start === undefined
          ? end - DEFAULT_DISCOVERY_SPAN_MS
          : parseQueryTime(body.start, 'start', t);
      if (!(end > start))
        throw new ApiError('VALIDATION_WINDOW', 'start must be before end', {
          start: iso(start),
          end: iso(end),
        });
      if (end - start > MAX_DISCOVERY_SPAN_MS)
        throw new ApiError(
          'VALIDATION_WINDOW',
          `the span is ${Math.ceil((end - start) / 86_400_000)} days; one pass looks at ${MAX_DISCOVERY_SPAN_MS / 86_400_000} days at most`,
          { start: iso(start), end: iso(end) },
        );
      const pass = await discovery.discover(b, start, end);
      return {
        building_id: b.id,
        start: iso(pass.fromMs),
        end: iso(pass.toMs),
        covered_days: pass.coveredDays,
        baseload_w: pass.baseloadW,
        threshold_w: pass.thresholdW,
        runs_found: pass.runsFound,
        created: pass.created.length,
        updated: pass.updated.length,
        devices: pass.devices.map(deviceView),
      };
    },
  );

  api.patch(
    '/buildings/:id/devices/:deviceId',
    { schema: schema({ params: DeviceParams, body: DevicePatchBody, response: Changes }) },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      return deviceView(await discovery.name(b, request.params.deviceId, request.body));
    },
  );

  api.post(
    '/buildings/:id/devices/:deviceId/merge',
    { schema: schema({ params: DeviceParams, body: DeviceMergeBody, response: Changes }) },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      return deviceView(await discovery.merge(b, request.params.deviceId, request.body.into));
    },
  );

  api.post(
    '/buildings/:id/devices/:deviceId/dismiss',
    { schema: schema({ params: DeviceParams, response: Changes }) },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      return deviceView(await discovery.dismiss(b, request.params.deviceId));
    },
  );
}
