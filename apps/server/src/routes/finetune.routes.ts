/**
 * Teaching a building's model (issue 13.4-13.6): `/buildings/{id}/finetune` queues a fine-tune
 * of some heads from the building's sub-meters and labels and shows its progress; the models it
 * makes, pinned to the building, are at `/buildings/{id}/models` with their scorecards, and an
 * owner activates one (the building's history is then estimated again with it) or discards it.
 * Members read; owners write.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  ErrorBody,
  FinetuneBody,
  FinetuneJob,
  FinetuneJobList,
  FinetuneJobParams,
  Id,
  PinnedModel,
  PinnedModelList,
  PinnedModelParams,
  type Scorecard,
} from '@nilm/contracts';
import { canonicalAppliance, isPinnedRef, type NilmError } from '@nilm/ml';
import { ConflictError, type FinetuneJob as Job, type PinnedModel as Pinned } from '@nilm/stores';
import { authorize, requireUser } from '../route.guards.js';
import type { AppDeps } from '../app.deps.js';
import { ApiError } from '../errors.js';
import { readHomeData } from '../finetune/finetune.data.js';
import { readDeviceHeads } from '../finetune/finetune.devices.js';
import { markHistoryPending } from '../services/history.recompute.js';

const Params = Type.Object({ id: Id });
/** Heads one fine-tune teaches at most (appliances and devices together), as the body allows each. */
const FINETUNE_MAX_HEADS = 4;
const Errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };
const iso = (ms: number): string => new Date(ms).toISOString();

function jobView(j: Job): FinetuneJob {
  return {
    id: j.id,
    building_id: j.buildingId,
    base: j.baseRef,
    appliances: j.appliances,
    status: j.status,
    progress: j.progress,
    model: j.resultRef,
    error: j.error,
    attempts: j.attempts,
    created_at: iso(j.createdAt),
    updated_at: iso(j.updatedAt),
  };
}

function modelView(m: Pinned): PinnedModel {
  const card = m.card as {
    appliances?: Array<{ name: string }>;
    finetune?: { heads?: string[]; added?: string[]; seconds?: number };
  };
  return {
    ref: m.ref,
    building_id: m.buildingId,
    n: m.n,
    base: m.baseRef,
    status: m.status,
    heads: card.finetune?.heads ?? [],
    added: card.finetune?.added ?? [],
    appliances: (card.appliances ?? []).map((a) => a.name),
    training_seconds: card.finetune?.seconds ?? null,
    scorecard: m.scorecard as unknown as Scorecard,
    job_id: m.jobId,
    created_at: iso(m.createdAt),
  };
}

export function registerFinetuneRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { metadata, engine } = deps;
  const now = deps.now ?? Date.now;

  api.post(
    '/buildings/:id/finetune',
    {
      schema: {
        tags: ['models'],
        summary:
          "Teach the building's model some appliances, or named found devices, from its sub-meters, labels and the devices' runs (owners): queued, any worker runs it",
        security: [{ bearer: [] }],
        params: Params,
        body: FinetuneBody,
        response: { 202: FinetuneJob, 409: ErrorBody, ...Errors },
      },
    },
    async (request, reply) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const user = requireUser(request);
      const body = request.body;
      let named: string[];
      try {
        named = (body.appliances ?? []).map(canonicalAppliance);
      } catch (e) {
        throw new ApiError(
          'VALIDATION_FAILED',
          `${(e as NilmError).message}. A fine-tune teaches appliances of this list; for a found device you named, pass its id in devices`,
        );
      }
      const devices = await readDeviceHeads(metadata, b.id, body.devices ?? []);
      const appliances = [...new Set([...named, ...devices.map((d) => d.name)])];
      if (appliances.length === 0)
        throw new ApiError(
          'VALIDATION_FAILED',
          'nothing to teach: give appliances, devices (ids of named found devices) or both',
          { reason: 'no_heads' },
        );
      if (appliances.length > FINETUNE_MAX_HEADS)
        throw new ApiError(
          'VALIDATION_FAILED',
          `${appliances.length} heads asked for (${appliances.join(', ')}); a fine-tune teaches ${FINETUNE_MAX_HEADS} at most`,
          { reason: 'too_many_heads' },
        );
      const baseRef = body.base ?? b.modelRef ?? engine.registry.active()?.ref;
      if (!baseRef)
        throw new ApiError('VALIDATION_FAILED', 'no base model: the registry has no active model');
      let base: Awaited<ReturnType<typeof engine.files>>;
      try {
        base = await engine.files(baseRef);
      } catch (e) {
        throw new ApiError('MODEL_NOT_FOUND', (e as Error).message);
      }
      if (isPinnedRef(base.ref) && !base.ref.includes(`+${b.id}@`))
        throw new ApiError('MODEL_NOT_FOUND', `model "${base.ref}" belongs to another building`);
      // Refused here, before queueing, when the building has too little to learn from; the job
      // learns from the same span (up to now).
      const until = now();
      await readHomeData(deps, b.id, appliances, until, devices);
      let job: Job;
      try {
        job = await metadata.createFinetuneJob({
          buildingId: b.id,
          baseRef: base.ref,
          appliances,
          settings: {
            dataUntilMs: until,
            ...(devices.length === 0 ? {} : { devices: devices.map((d) => d.id) }),
            ...(body.epochs === undefined ? {} : { epochs: body.epochs }),
            ...(body.max_seconds === undefined ? {} : { maxSeconds: body.max_seconds }),
            ...(body.seed === undefined ? {} : { seed: body.seed }),
          },
          createdBy: user.userId,
        });
      } catch (e) {
        if (e instanceof ConflictError)
          throw new ApiError(
            'CONFLICT',
            'this building already has a fine-tune queued or running; wait for it or cancel it',
          );
        throw e;
      }
      // On the disaggregation queue: the worker that takes the building's job runs it after.
      await deps.queue.enqueue(b.id).catch(() => undefined);
      return reply.status(202).send(jobView(job));
    },
  );

  api.get(
    '/buildings/:id/finetune',
    {
      schema: {
        tags: ['models'],
        summary: "The building's fine-tunes, newest first, with their progress",
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: FinetuneJobList, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      return { jobs: (await metadata.listFinetuneJobs(b.id)).map(jobView) };
    },
  );

  api.get(
    '/buildings/:id/finetune/:jobId',
    {
      schema: {
        tags: ['models'],
        summary: 'One fine-tune and its progress',
        security: [{ bearer: [] }],
        params: FinetuneJobParams,
        response: { 200: FinetuneJob, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      const job = await metadata.getFinetuneJob(b.id, request.params.jobId);
      if (!job)
        throw new ApiError('NOT_FOUND', `no fine-tune "${request.params.jobId}" in this building`);
      return jobView(job);
    },
  );

  api.post(
    '/buildings/:id/finetune/:jobId/cancel',
    {
      schema: {
        tags: ['models'],
        summary:
          'Cancel a queued or running fine-tune (owners); a running one stops at its next report',
        security: [{ bearer: [] }],
        params: FinetuneJobParams,
        response: { 200: FinetuneJob, 409: ErrorBody, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const job = await metadata.getFinetuneJob(b.id, request.params.jobId);
      if (!job)
        throw new ApiError('NOT_FOUND', `no fine-tune "${request.params.jobId}" in this building`);
      if (!(await metadata.cancelFinetuneJob(b.id, job.id, now())))
        throw new ApiError('CONFLICT', `the fine-tune already ended (${job.status})`);
      return jobView((await metadata.getFinetuneJob(b.id, job.id))!);
    },
  );

  api.get(
    '/buildings/:id/models',
    {
      schema: {
        tags: ['models'],
        summary:
          "The building's own models (fine-tuned for it), newest first, with their scorecards",
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: PinnedModelList, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'read');
      // One the owner has since switched away from (PATCH model_ref) is a candidate again.
      return {
        models: (await metadata.listPinnedModels(b.id)).map((m) =>
          modelView(
            m.status === 'active' && b.modelRef !== m.ref ? { ...m, status: 'candidate' } : m,
          ),
        ),
      };
    },
  );

  /** Set the status of one of the building's own models; 404 when it has none by that ref. */
  const setStatus = async (buildingId: string, ref: string, status: Pinned['status']) => {
    const m = await metadata.setPinnedModelStatus(buildingId, ref, status);
    if (!m) throw new ApiError('MODEL_NOT_FOUND', `this building has no model "${ref}"`);
    return m;
  };

  api.post(
    '/buildings/:id/models/:ref/activate',
    {
      schema: {
        tags: ['models'],
        summary:
          "Use one of the building's own models from now on (owners); its history is estimated again with it",
        security: [{ bearer: [] }],
        params: PinnedModelParams,
        response: { 200: PinnedModel, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      const ref = request.params.ref;
      const m = await setStatus(b.id, ref, 'active');
      await metadata.updateBuilding(b.id, { modelRef: ref });
      await markHistoryPending(deps, b.id);
      await deps.queue.enqueue(b.id).catch(() => undefined);
      return modelView(m);
    },
  );

  api.post(
    '/buildings/:id/models/:ref/discard',
    {
      schema: {
        tags: ['models'],
        summary: "Discard one of the building's own models (owners); not the one in use",
        security: [{ bearer: [] }],
        params: PinnedModelParams,
        response: { 200: PinnedModel, 409: ErrorBody, ...Errors },
      },
    },
    async (request) => {
      const b = await authorize(request, metadata, request.params.id, 'admin');
      if (b.modelRef === request.params.ref)
        throw new ApiError(
          'CONFLICT',
          'this model estimates the building now: activate another (or the default) first',
        );
      return modelView(await setStatus(b.id, request.params.ref, 'discarded'));
    },
  );
}
