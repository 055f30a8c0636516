/**
 * The live scorecard (`/api/v1/buildings/{id}/submeters/scorecard`, issue 13.5): per appliance
 * with a sub-meter, the stored estimate against the plug over the last 7 and 30 days, and
 * whether the model drifted (services/submeter.scorecard.service.ts). Members read.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorBody, Id, SubmeterScorecard } from '@nilm/contracts';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import {
  SubmeterScorecardService,
  type ScoreSpan,
} from '../services/submeter.scorecard.service.js';

/** `v` to `digits` decimals (null stays null). */
function round(v: number, digits: number): number;
function round(v: number | null, digits: number): number | null;
function round(v: number | null, digits: number): number | null {
  if (v === null) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const spanBody = (s: ScoreSpan) => ({
  start: new Date(s.startMs).toISOString(),
  end: new Date(s.endMs).toISOString(),
  f1: round(s.f1, 3),
  mae_w: round(s.maeW, 1),
  energy_true_kwh: round(s.energyTrueKwh, 3),
  energy_estimated_kwh: round(s.energyEstimatedKwh, 3),
  energy_error: round(s.energyError, 3),
  minutes: s.minutes,
  coverage: round(s.coverage, 3),
});

export function registerSubmeterScorecardRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const service = new SubmeterScorecardService(deps);

  api.get(
    '/buildings/:id/submeters/scorecard',
    {
      schema: {
        tags: ['readings'],
        summary:
          'Estimate against sub-meter over the last 7 and 30 days per appliance, and model drift',
        security: [{ bearer: [] }],
        params: Type.Object({ id: Id }),
        response: { 200: SubmeterScorecard, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const b = await authorize(request, deps.metadata, request.params.id, 'read');
      const card = await service.scorecard(b);
      return {
        building_id: b.id,
        model: card.model,
        end: new Date(card.endMs).toISOString(),
        appliances: card.appliances.map((a) => ({
          appliance: a.appliance,
          label: a.label,
          on_prob_threshold: a.onProbThreshold,
          last_7_days: spanBody(a.last7Days),
          last_30_days: spanBody(a.last30Days),
          drift: {
            status: a.drift.status,
            before: {
              f1: round(a.drift.before.f1, 3),
              mae_w: round(a.drift.before.maeW, 1),
              minutes: a.drift.before.minutes,
            },
            reasons: a.drift.reasons.map((r) => ({
              kind: r.kind,
              before: round(r.before, 3),
              now: round(r.now, 3),
            })),
            message: a.drift.message,
          },
        })),
      };
    },
  );
}
