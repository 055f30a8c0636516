/**
 * Which appliances a building has: the checklist of its model's heads. Viewers read it; owners
 * and admins change it. Heads the building lacks are hidden from every view and their power
 * counts as "other"; the list is applied when reading, so it changes history too.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppliancesPresentBody, AppliancesPresentResponse, ErrorBody, Id } from '@nilm/contracts';
import type { Building } from '@nilm/stores';
import { authorize } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { buildingAppliances } from '../services/appliances.service.js';
import { ApiError } from '../errors.js';

const Params = Type.Object({ id: Id });

export function registerApplianceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { engine, metadata } = deps;

  const answer = async (b: Building): Promise<AppliancesPresentResponse> => {
    const { model, appliances, presentIsDefault } = await buildingAppliances(engine, metadata, b);
    return {
      building_id: b.id,
      model,
      is_default: presentIsDefault,
      appliances: appliances.map((a) => ({ name: a.name, label: a.label, present: a.present })),
    };
  };

  api.get(
    '/buildings/:id/appliances-present',
    {
      schema: {
        tags: ['buildings'],
        summary: "The model's appliances and whether the building has each one",
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: AppliancesPresentResponse, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => answer(await authorize(request, metadata, request.params.id, 'read')),
  );

  api.put(
    '/buildings/:id/appliances-present',
    {
      schema: {
        tags: ['buildings'],
        summary: 'Say which of the model’s appliances the building has (the rest are hidden)',
        security: [{ bearer: [] }],
        params: Params,
        body: AppliancesPresentBody,
        response: {
          200: AppliancesPresentResponse,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const { model, appliances } = await buildingAppliances(engine, metadata, b);
      const heads = new Set(appliances.map((a) => a.name));
      const unknown = [...new Set(request.body.appliances.filter((n) => !heads.has(n)))];
      if (unknown.length > 0)
        throw new ApiError(
          'VALIDATION_FAILED',
          model
            ? `${unknown.map((n) => JSON.stringify(n)).join(', ')} ${unknown.length === 1 ? 'is not an appliance' : 'are not appliances'} of the model ${model}; use names from GET /api/v1/buildings/${b.id}/appliances-present (${[...heads].join(', ')})`
            : `building "${b.id}" has no model that could be loaded, so it has no appliances to choose from; ask an admin to check the model registry`,
          { unknown },
        );
      await metadata.setAppliancesPresent(b.id, request.body.appliances);
      return answer(b);
    },
  );
}
