/**
 * A sub-meter's readings (`/api/v1/buildings/{id}/submeters/{appliance}/readings`, issue 13.3):
 * what the plug bound to the appliance measured, beside the model's estimate for it, per bucket.
 * Members read. The sub-meter itself is a source with role `submeter` (sources.routes.ts).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorBody, SubmeterParams, SubmeterQuery, SubmeterReadings } from '@nilm/contracts';
import { findAppliance } from '@nilm/ml';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { SubmeterService } from '../services/submeter.service.js';
import { parseQueryTime } from '../time.parse.js';

/** `v` rounded to 0.1 W, as /readings does. */
const tenth = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);

export function registerSubmeterRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const service = new SubmeterService(deps);
  const now = deps.now ?? Date.now;

  api.get(
    '/buildings/:id/submeters/:appliance/readings',
    {
      schema: {
        tags: ['readings'],
        summary: "A sub-meter's power beside the model's estimate for its appliance",
        security: [{ bearer: [] }],
        params: SubmeterParams,
        querystring: SubmeterQuery,
        response: {
          200: SubmeterReadings,
          401: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const b = await authorize(request, deps.metadata, request.params.id, 'read');
      // An alias reads the series of the name it stands for, as sub-meters are stored by it.
      const appliance = findAppliance(request.params.appliance)?.name ?? request.params.appliance;
      const t = now();
      const start = parseQueryTime(request.query.start, 'start', t);
      const end = parseQueryTime(request.query.end ?? 'now', 'end', t);
      const r = await service.readings(b.id, appliance, start, end, request.query.resolution);
      return {
        building_id: b.id,
        appliance,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        resolution_s: r.resolutionS,
        points: r.points.map((p) => ({
          time: new Date(p.ts).toISOString(),
          power_w: tenth(p.powerW),
          estimate_w: tenth(p.estimateW),
        })),
      };
    },
  );
}
