/**
 * The fine-tune part of the metadata store conformance suite (registered by
 * `metadataConformance`): jobs kept as given and listed newest first; one queued or running job
 * per building (ConflictError, also for two at once, and for a missing building); claims take
 * the oldest claimable job, a running one only once its lease has passed, and two claims at once
 * never take the same job; progress and finish count only from the lease holder; a finished job
 * stores its model numbered per building as `<base id>+<building>@<n>` with its exact bytes,
 * a non-holder's finish and a wrong card store nothing; cancel; one active model per building;
 * jobs and models go with their building.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FinetuneJob, NewFinetuneJob, NewPinnedModel, PinnedModel } from './finetune.store.js';
import { ConflictError, type Building, type MetadataStore } from './metadata.store.js';

export interface FinetuneConformanceContext {
  store: () => MetadataStore;
  id: (prefix: string) => string;
  building: (id: string) => Promise<Building>;
}

const MIN = 60_000;
const T = Date.UTC(2026, 11, 1, 9);
/**
 * Claims without a building may take any building's job, also one another test left queued or
 * running. Tests that make them claim until nothing is left at a time far past every lease
 * other tests give, and look only at their own jobs.
 */
const FAR = Date.UTC(2100, 0, 1);
const BASE_ID = 'nilm-transformer';

/** Register the fine-tune store tests inside the metadata conformance suite. */
export function finetuneConformance(ctx: FinetuneConformanceContext): void {
  const { id, building } = ctx;

  const job = (buildingId: string, baseRef = `${BASE_ID}@3`): NewFinetuneJob => ({
    buildingId,
    baseRef,
    appliances: ['fridge', 'kettle'],
    settings: { epochs: 2, seed: 7, heads: 'only' },
    createdBy: 'u-owner',
  });

  /** What a fine-tune of `buildingId` hands to finish: the card id is `<base id>+<building>`. */
  const model = (
    buildingId: string,
    onnx: Uint8Array,
    baseRef = `${BASE_ID}@3`,
  ): Omit<NewPinnedModel, 'jobId'> => ({
    buildingId,
    baseRef,
    card: { id: `${BASE_ID}+${buildingId}`, version: 'pending', appliances: ['fridge'] },
    onnx,
    scorecard: { fridge: { base: { f1: 0.41 }, tuned: { f1: 0.83 } } },
  });

  /** Queue, claim and finish one job of the building with a model of `onnx`. */
  const fineTuned = async (
    buildingId: string,
    onnx: Uint8Array = Uint8Array.from([1, 2, 3]),
    baseRef?: string,
  ): Promise<{ job: FinetuneJob; model: PinnedModel }> => {
    const store = ctx.store();
    const queued = await store.createFinetuneJob(job(buildingId, baseRef));
    const claimed = await store.claimFinetuneJob({ owner: 'w', now: T, leaseMs: MIN, buildingId });
    expect(claimed?.id).toBe(queued.id);
    const done = await store.finishFinetuneJob(
      queued.id,
      'w',
      { model: model(buildingId, onnx, baseRef) },
      T + 1,
    );
    if (!done.model) throw new Error('the finished job stored no model');
    return { job: queued, model: done.model };
  };

  /** Claim at `now` until nothing is left; the jobs in the order they were claimed. */
  const claimAll = async (now: number): Promise<FinetuneJob[]> => {
    const store = ctx.store();
    const claimed: FinetuneJob[] = [];
    for (let i = 0; i < 10_000; i++) {
      const c = await store.claimFinetuneJob({ owner: 'sweeper', now, leaseMs: MIN });
      if (c === null) return claimed;
      claimed.push(c);
    }
    throw new Error('claims never ran out');
  };

  describe('fine-tune jobs and pinned models', () => {
    it('queues a job as given, reads it in its own building only, and lists newest first', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const other = await building(id('ft'));
      const before = Date.now();
      const first = await store.createFinetuneJob(job(b.id));
      expect(first).toMatchObject({
        ...job(b.id),
        status: 'queued',
        progress: null,
        resultRef: null,
        error: null,
        attempts: 0,
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(first.id).toMatch(/.+/);
      expect(first.createdAt).toBeGreaterThanOrEqual(before);
      expect(first.updatedAt).toBe(first.createdAt);
      expect(await store.getFinetuneJob(b.id, first.id)).toEqual(first);
      expect(await store.getFinetuneJob(other.id, first.id)).toBeNull();
      expect(await store.getFinetuneJob(b.id, id('none'))).toBeNull();

      expect(await store.cancelFinetuneJob(b.id, first.id, T)).toBe(true);
      const second = await store.createFinetuneJob(job(b.id));
      expect(await store.cancelFinetuneJob(b.id, second.id, T)).toBe(true);
      const third = await store.createFinetuneJob(job(b.id));
      expect((await store.listFinetuneJobs(b.id)).map((j) => j.id)).toEqual([
        third.id,
        second.id,
        first.id,
      ]);
      expect((await store.listFinetuneJobs(b.id, 2)).map((j) => j.id)).toEqual([
        third.id,
        second.id,
      ]);
      expect(await store.listFinetuneJobs(other.id)).toEqual([]);
      await expect(store.listFinetuneJobs(b.id, 0)).rejects.toThrow(/limit/);
      await store.cancelFinetuneJob(b.id, third.id, T);
    });

    it('allows one queued or running job per building: another is a ConflictError, also two at once', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const first = await store.createFinetuneJob(job(b.id));
      await expect(store.createFinetuneJob(job(b.id))).rejects.toBeInstanceOf(ConflictError);
      await store.claimFinetuneJob({ owner: 'w', now: T, leaseMs: MIN, buildingId: b.id });
      await expect(store.createFinetuneJob(job(b.id))).rejects.toBeInstanceOf(ConflictError);
      // Another building is not held up.
      const other = await building(id('ft'));
      const elsewhere = await store.createFinetuneJob(job(other.id));
      // Once the job has ended, the next one may be queued.
      await store.finishFinetuneJob(first.id, 'w', { error: 'no labels' }, T + 1);
      const next = await store.createFinetuneJob(job(b.id));
      expect(next.status).toBe('queued');
      expect(await store.listFinetuneJobs(b.id)).toHaveLength(2);

      const raced = await building(id('ft'));
      const results = await Promise.allSettled([
        store.createFinetuneJob(job(raced.id)),
        store.createFinetuneJob(job(raced.id)),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      expect(await store.listFinetuneJobs(raced.id)).toHaveLength(1);

      await expect(store.createFinetuneJob(job(id('missing')))).rejects.toBeInstanceOf(
        ConflictError,
      );
      for (const [bid, jid] of [
        [b.id, next.id],
        [other.id, elsewhere.id],
      ]) {
        await store.cancelFinetuneJob(bid, jid, T);
      }
      await store.deleteBuilding(raced.id);
    });

    it('a claim runs the job under a lease; another takes it over only once the lease has passed', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const queued = await store.createFinetuneJob(job(b.id));
      const claim = (owner: string, now: number) =>
        store.claimFinetuneJob({ owner, now, leaseMs: MIN, buildingId: b.id });

      const first = await claim('w1', T);
      expect(first).toEqual({
        ...queued,
        status: 'running',
        leaseOwner: 'w1',
        leaseUntil: T + MIN,
        attempts: 1,
        updatedAt: T,
      });
      expect(await claim('w2', T + MIN / 2)).toBeNull();
      // At the lease's end it still runs; only past it may another worker take it.
      expect(await claim('w2', T + MIN)).toBeNull();
      const second = await claim('w2', T + MIN + 1);
      expect(second).toMatchObject({
        id: queued.id,
        status: 'running',
        leaseOwner: 'w2',
        leaseUntil: T + 2 * MIN + 1,
        attempts: 2,
      });
      expect(await store.getFinetuneJob(b.id, queued.id)).toEqual(second);

      // The first worker lost it: its progress is refused and changes nothing.
      const progress = { epoch: 1, epochs: 2, step: 10, steps: 40, loss: 0.25 };
      expect(await store.reportFinetuneProgress(queued.id, 'w1', progress, T + 9 * MIN)).toBe(
        false,
      );
      expect(await store.getFinetuneJob(b.id, queued.id)).toEqual(second);
      // The holder's progress is kept and extends its lease.
      expect(await store.reportFinetuneProgress(queued.id, 'w2', progress, T + 5 * MIN)).toBe(true);
      const reported = await store.getFinetuneJob(b.id, queued.id);
      expect(reported).toMatchObject({ progress, leaseOwner: 'w2', leaseUntil: T + 5 * MIN });
      expect(await claim('w3', T + 3 * MIN)).toBeNull();
      expect(
        await store.reportFinetuneProgress(
          queued.id,
          'w2',
          { ...progress, step: 20, loss: null },
          T + 6 * MIN,
        ),
      ).toBe(true);
      expect((await store.getFinetuneJob(b.id, queued.id))?.progress).toEqual({
        ...progress,
        step: 20,
        loss: null,
      });

      const empty = await building(id('ft'));
      expect(
        await store.claimFinetuneJob({ owner: 'w1', now: T, leaseMs: MIN, buildingId: empty.id }),
      ).toBeNull();
      await store.cancelFinetuneJob(b.id, queued.id, T);
    });

    it('claims without a building take the oldest claimable job of any building, a lapsed running one included', async () => {
      const store = ctx.store();
      const [b1, b2, b3] = [
        await building(id('ft')),
        await building(id('ft')),
        await building(id('ft')),
      ];
      const a = await store.createFinetuneJob(job(b1.id));
      const runningJob = await store.createFinetuneJob(job(b2.id));
      const c = await store.createFinetuneJob(job(b3.id));
      await store.claimFinetuneJob({ owner: 'w1', now: T, leaseMs: MIN, buildingId: b2.id });

      const mine = new Set([a.id, runningJob.id, c.id]);
      const claimed = (await claimAll(FAR)).filter((j) => mine.has(j.id));
      expect(claimed.map((j) => j.id)).toEqual([a.id, runningJob.id, c.id]);
      expect(claimed.map((j) => [j.leaseOwner, j.leaseUntil, j.attempts])).toEqual([
        ['sweeper', FAR + MIN, 1],
        ['sweeper', FAR + MIN, 2],
        ['sweeper', FAR + MIN, 1],
      ]);
      for (const b of [b1, b2, b3]) await store.deleteBuilding(b.id);
    });

    it('two claims at once never get the same job', async () => {
      const store = ctx.store();
      // One job: one claim gets it, the other nothing.
      const b = await building(id('ft'));
      const only = await store.createFinetuneJob(job(b.id));
      const pair = await Promise.all(
        ['w1', 'w2'].map((owner) =>
          store.claimFinetuneJob({ owner, now: T, leaseMs: MIN, buildingId: b.id }),
        ),
      );
      expect(pair.filter((j) => j !== null).map((j) => j?.id)).toEqual([only.id]);
      expect(pair.filter((j) => j === null)).toHaveLength(1);
      expect((await store.getFinetuneJob(b.id, only.id))?.attempts).toBe(1);

      // Several jobs: claimed two at a time until none is left, each exactly once.
      const buildings = [
        await building(id('ft')),
        await building(id('ft')),
        await building(id('ft')),
      ];
      const mine = new Set<string>();
      for (const x of buildings) mine.add((await store.createFinetuneJob(job(x.id))).id);
      const at = FAR + 10 * MIN;
      const seen: string[] = [];
      for (let round = 0; round < 10_000; round++) {
        const got = await Promise.all(
          ['w1', 'w2'].map((owner) => store.claimFinetuneJob({ owner, now: at, leaseMs: MIN })),
        );
        for (const j of got) if (j !== null) seen.push(j.id);
        if (got.every((j) => j === null)) break;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((s) => mine.has(s)).sort()).toEqual([...mine].sort());
      for (const x of [b, ...buildings]) await store.deleteBuilding(x.id);
    });

    it('a finished job stores its model numbered per building as <base id>+<building>@<n>, with the exact bytes', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const other = await building(id('ft'));
      const bytes = new Uint8Array(randomBytes(100_000));
      bytes.set([0, 255, 0, 0], 0);

      const first = await fineTuned(b.id, bytes);
      expect(first.model).toEqual({
        ...model(b.id, bytes),
        onnx: undefined,
        ref: `${BASE_ID}+${b.id}@1`,
        n: 1,
        status: 'candidate',
        jobId: first.job.id,
        createdAt: T + 1,
      });
      expect(first.model).not.toHaveProperty('onnx');
      expect(await store.getFinetuneJob(b.id, first.job.id)).toMatchObject({
        status: 'done',
        resultRef: `${BASE_ID}+${b.id}@1`,
        error: null,
        updatedAt: T + 1,
      });

      // A fine-tune of the pinned model: the card keeps the registry's base id, the number goes on.
      const second = await fineTuned(b.id, Uint8Array.from([9, 8, 7]), first.model.ref);
      expect(second.model).toMatchObject({
        ref: `${BASE_ID}+${b.id}@2`,
        n: 2,
        baseRef: `${BASE_ID}+${b.id}@1`,
      });
      // Numbers are per building.
      expect((await fineTuned(other.id)).model.ref).toBe(`${BASE_ID}+${other.id}@1`);

      const listed = await store.listPinnedModels(b.id);
      expect(listed).toEqual([second.model, first.model]);
      for (const m of listed) expect(m).not.toHaveProperty('onnx');

      const got = await store.getPinnedModel(first.model.ref);
      expect(got).not.toBeNull();
      expect(got?.onnx).toBeInstanceOf(Uint8Array);
      expect(got?.onnx.byteLength).toBe(bytes.byteLength);
      expect(Buffer.compare(Buffer.from(got?.onnx ?? []), Buffer.from(bytes))).toBe(0);
      expect({ ...got, onnx: undefined }).toEqual(first.model);
      expect(await store.getPinnedModel(`${BASE_ID}+${b.id}@9`)).toBeNull();
      expect(await store.listPinnedModels(id('none'))).toEqual([]);
    });

    it('a finish or progress from a worker that lost the job stores nothing; a wrong card is refused', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const queued = await store.createFinetuneJob(job(b.id));
      await store.claimFinetuneJob({ owner: 'w1', now: T, leaseMs: MIN, buildingId: b.id });
      await store.claimFinetuneJob({
        owner: 'w2',
        now: T + 2 * MIN,
        leaseMs: MIN,
        buildingId: b.id,
      });
      const held = await store.getFinetuneJob(b.id, queued.id);

      const late = await store.finishFinetuneJob(
        queued.id,
        'w1',
        { model: model(b.id, Uint8Array.from([1])) },
        T + 3 * MIN,
      );
      expect(late).toEqual({ finished: false });
      expect(await store.finishFinetuneJob(queued.id, 'w1', { error: 'x' }, T + 3 * MIN)).toEqual({
        finished: false,
      });
      expect(await store.listPinnedModels(b.id)).toEqual([]);
      expect(await store.getFinetuneJob(b.id, queued.id)).toEqual(held);

      // The holder's card must say `<base id>+<this building>`; otherwise nothing changes.
      for (const cardId of [BASE_ID, `${BASE_ID}+elsewhere`, `+${b.id}`, 42]) {
        const wrong = model(b.id, Uint8Array.from([1]));
        await expect(
          store.finishFinetuneJob(
            queued.id,
            'w2',
            { model: { ...wrong, card: { ...wrong.card, id: cardId } } },
            T + 3 * MIN,
          ),
        ).rejects.toThrow(/card's id/);
      }
      const otherBuilding = model(`${b.id}x`, Uint8Array.from([1]));
      await expect(
        store.finishFinetuneJob(queued.id, 'w2', { model: otherBuilding }, T + 3 * MIN),
      ).rejects.toThrow(/belongs to building/);
      expect(await store.listPinnedModels(b.id)).toEqual([]);
      expect(await store.getFinetuneJob(b.id, queued.id)).toEqual(held);

      // A failure is kept with its reason, and stores no model.
      const failed = await store.finishFinetuneJob(
        queued.id,
        'w2',
        { error: 'the labels cover no readings' },
        T + 4 * MIN,
      );
      expect(failed).toEqual({ finished: true });
      expect(await store.getFinetuneJob(b.id, queued.id)).toMatchObject({
        status: 'failed',
        error: 'the labels cover no readings',
        resultRef: null,
        updatedAt: T + 4 * MIN,
      });
      expect(await store.listPinnedModels(b.id)).toEqual([]);
      // Ended: no more progress, finish or cancel.
      const p = { epoch: 1, epochs: 1, step: 1, steps: 1, loss: 0.1 };
      expect(await store.reportFinetuneProgress(queued.id, 'w2', p, T + 9 * MIN)).toBe(false);
      expect(await store.finishFinetuneJob(queued.id, 'w2', { error: 'y' }, T)).toEqual({
        finished: false,
      });
      expect(await store.cancelFinetuneJob(b.id, queued.id, T)).toBe(false);
    });

    it('cancel ends a queued or running job of its own building; its runner then holds nothing', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const other = await building(id('ft'));
      const queued = await store.createFinetuneJob(job(b.id));
      expect(await store.cancelFinetuneJob(other.id, queued.id, T)).toBe(false);
      expect(await store.cancelFinetuneJob(b.id, queued.id, T + 5)).toBe(true);
      expect(await store.getFinetuneJob(b.id, queued.id)).toMatchObject({
        status: 'cancelled',
        updatedAt: T + 5,
      });
      expect(await store.cancelFinetuneJob(b.id, queued.id, T + 6)).toBe(false);
      expect(
        await store.claimFinetuneJob({ owner: 'w', now: T, leaseMs: MIN, buildingId: b.id }),
      ).toBeNull();

      const running = await store.createFinetuneJob(job(b.id));
      await store.claimFinetuneJob({ owner: 'w', now: T, leaseMs: MIN, buildingId: b.id });
      expect(await store.cancelFinetuneJob(b.id, running.id, T + 7)).toBe(true);
      const p = { epoch: 1, epochs: 2, step: 1, steps: 2, loss: 0.5 };
      expect(await store.reportFinetuneProgress(running.id, 'w', p, T + MIN)).toBe(false);
      const after = await store.finishFinetuneJob(
        running.id,
        'w',
        { model: model(b.id, Uint8Array.from([1])) },
        T + 8,
      );
      expect(after).toEqual({ finished: false });
      expect(await store.listPinnedModels(b.id)).toEqual([]);
      expect(await store.getFinetuneJob(b.id, running.id)).toMatchObject({
        status: 'cancelled',
        progress: null,
        resultRef: null,
        updatedAt: T + 7,
      });
      // A claim far later does not bring a cancelled job back.
      expect(
        await store.claimFinetuneJob({ owner: 'w', now: FAR, leaseMs: MIN, buildingId: b.id }),
      ).toBeNull();
    });

    it('activating a model makes the previously active one a candidate: one active per building', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const other = await building(id('ft'));
      const one = (await fineTuned(b.id)).model;
      const two = (await fineTuned(b.id)).model;
      const elsewhere = (await fineTuned(other.id)).model;
      const statuses = async () => (await store.listPinnedModels(b.id)).map((m) => [m.n, m.status]);

      expect(await store.setPinnedModelStatus(b.id, one.ref, 'active')).toEqual({
        ...one,
        status: 'active',
      });
      await store.setPinnedModelStatus(other.id, elsewhere.ref, 'active');
      expect(await store.setPinnedModelStatus(b.id, two.ref, 'active')).toMatchObject({
        ref: two.ref,
        status: 'active',
      });
      expect(await statuses()).toEqual([
        [2, 'active'],
        [1, 'candidate'],
      ]);
      // Another building's active model is its own.
      expect((await store.listPinnedModels(other.id)).map((m) => m.status)).toEqual(['active']);

      expect(await store.setPinnedModelStatus(b.id, one.ref, 'discarded')).toMatchObject({
        status: 'discarded',
      });
      expect(await store.setPinnedModelStatus(b.id, two.ref, 'active')).toMatchObject({
        status: 'active',
      });
      expect(await statuses()).toEqual([
        [2, 'active'],
        [1, 'discarded'],
      ]);
      // A ref of another building, or none, is not this building's: null, nothing changed.
      expect(await store.setPinnedModelStatus(b.id, elsewhere.ref, 'discarded')).toBeNull();
      expect(await store.setPinnedModelStatus(b.id, `${BASE_ID}+${b.id}@7`, 'active')).toBeNull();
      expect((await store.listPinnedModels(other.id)).map((m) => m.status)).toEqual(['active']);
      expect(await statuses()).toEqual([
        [2, 'active'],
        [1, 'discarded'],
      ]);

      // Two activations at once: both succeed, one after the other, and one model stays active.
      const three = (await fineTuned(b.id)).model;
      await Promise.all([
        store.setPinnedModelStatus(b.id, one.ref, 'active'),
        store.setPinnedModelStatus(b.id, three.ref, 'active'),
      ]);
      const active = (await store.listPinnedModels(b.id)).filter((m) => m.status === 'active');
      expect(active).toHaveLength(1);
      expect([one.ref, three.ref]).toContain(active[0].ref);
    });

    it('jobs and models go with their building', async () => {
      const store = ctx.store();
      const b = await building(id('ft'));
      const { job: done, model: made } = await fineTuned(b.id);
      const queued = await store.createFinetuneJob(job(b.id));
      expect(await store.deleteBuilding(b.id)).toBe(true);
      expect(await store.listFinetuneJobs(b.id)).toEqual([]);
      expect(await store.getFinetuneJob(b.id, done.id)).toBeNull();
      expect(await store.getFinetuneJob(b.id, queued.id)).toBeNull();
      expect(await store.listPinnedModels(b.id)).toEqual([]);
      expect(await store.getPinnedModel(made.ref)).toBeNull();
    });
  });
}
