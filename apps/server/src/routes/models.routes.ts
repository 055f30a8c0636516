/** The model registry over HTTP: list, run a window (/infer), and admin switching and reload. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ActivateModelBody,
  ErrorBody,
  InferBody,
  InferResponse,
  ModelCard,
  ModelList,
  ModelRefParams,
  ReloadResponse,
} from '@nilm/contracts';
import { readModelCard, type ModelCard as Card } from '@nilm/ml';
import type { MetadataStore } from '@nilm/stores';
import { authorize, requireAdmin, requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { pinnedBuilding, pinnedCard } from '../finetune/pinned.models.js';
import { inferWindow } from '../services/infer.service.js';

export function registerModelRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = deps;

  api.get(
    '/models',
    {
      schema: {
        tags: ['models'],
        security: [{ bearer: [] }],
        response: { 200: ModelList, 401: ErrorBody },
      },
    },
    async (request) => {
      requireUser(request);
      const loaded = new Set(engine.loadedRefs);
      const models = await Promise.all(
        engine.registry.list().map(async (e) => {
          const card = await readModelCard(e.dir);
          return {
            ref: e.ref,
            id: e.id,
            version: e.version,
            active: e.active,
            loaded: loaded.has(e.ref),
            appliances: card.appliances.map((a) => a.name),
            window: card.window,
            period_s: card.period_s,
            created: card.created,
            test_mean_f1: card.test?.mean.f1 ?? null,
            test_mean_mae_w: card.test?.mean.mae_w ?? null,
          };
        }),
      );
      return { active: engine.registry.active()?.ref ?? null, models };
    },
  );

  api.get(
    '/models/:ref/card',
    {
      schema: {
        tags: ['models'],
        summary:
          "A model's card: its appliances, training data and held-out scores (a registry model, or a building's own for its members)",
        security: [{ bearer: [] }],
        params: ModelRefParams,
        response: { 200: ModelCard, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      requireUser(request);
      const ref = decodeURIComponent(request.params.ref);
      const own = await readablePinnedCard(request, deps.metadata, ref);
      // Anything else, a building's model included that the caller may not read, answers as a
      // model the registry does not have: refs do not leak.
      return own ?? readModelCard(engine.registry.find(ref).dir);
    },
  );

  api.post(
    '/infer',
    {
      schema: {
        tags: ['models'],
        summary: "One window of mains in, each appliance's power and on-probability out",
        security: [{ bearer: [] }],
        body: InferBody,
        response: { 200: InferResponse, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      requireUser(request);
      const { window, model: ref, building_id } = request.body;
      let modelRef = ref;
      if (building_id) {
        const b = await authorize(request, deps.metadata, building_id, 'read');
        modelRef ??= b.modelRef ?? undefined;
      }
      return inferWindow(engine, window, modelRef);
    },
  );

  api.post(
    '/admin/models/activate',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        body: ActivateModelBody,
        response: { 200: ReloadResponse, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      requireAdmin(request);
      const e = await engine.registry.activate(request.body.ref);
      deps.metrics.setActiveModel(e.ref);
      return { models: engine.registry.list().length, dropped: [], active: e.ref };
    },
  );

  api.post(
    '/admin/models/reload',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        response: { 200: ReloadResponse, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => {
      requireAdmin(request);
      const r = await engine.reload();
      return { ...r, active: engine.registry.active()?.ref ?? null };
    },
  );
}

/**
 * The card of a building's own model (`<base id>+<building>@<n>`) when the caller may read that
 * building; undefined for any other ref, and for a building the caller is not a member of.
 */
async function readablePinnedCard(
  request: FastifyRequest,
  metadata: MetadataStore,
  ref: string,
): Promise<Card | undefined> {
  const buildingId = pinnedBuilding(ref);
  if (buildingId === null) return undefined;
  try {
    await authorize(request, metadata, buildingId, 'read');
  } catch (e) {
    if (e instanceof ApiError) return undefined;
    throw e;
  }
  const m = (await metadata.listPinnedModels(buildingId)).find((p) => p.ref === ref);
  return m && pinnedCard(m);
}
