// Proves the fine-tune loop through app.inject on embedded parts (PGlite, DuckDB, a tiny model
// with kettle and washing-machine heads): a home whose fridge is on a smart plug for 5 days; an
// owner queues a fine-tune of "fridge" (refused for members, for an appliance with nothing known,
// for an unknown one, and a second while one is queued); a worker's runner claims and runs it;
// the job shows done with its model `tiny+home@1`, a candidate whose scorecard holds base and
// fine-tuned scores on the held-out minutes; activating it pins it to the building, marks the
// history for estimating again, and the worker then writes fridge estimates with it; the model
// in use cannot be discarded; its card is served to the building's members only (others get an
// unknown model's answer); a job that cannot run fails with its reason in words; the routes are
// in the OpenAPI document.
import { join } from 'node:path';
import type { PinnedModelList } from '@nilm/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { FinetuneRunner } from '../finetune/finetune.runner.js';
import { Worker } from '../worker.js';

/** The app's clock: 2026-11-10 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 10, 12);
const MIN = 60_000;
const D = 86_400_000;

let t: TestApp;
let owner: Record<string, string>;
let member: Record<string, string>;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  t = await openTestApp({}, { now: () => NOW });
  owner = await t.auth('admin');
  member = await t.auth('alice');
  await t.parts.metadata.setMember({ buildingId: 'home', userId: 'alice', role: 'member' });
  // Five days: 150-170 W always on, and a 120 W fridge on 15 minutes of every 40.
  const readings = [];
  const plug = [];
  let x = 7;
  for (let ts = NOW - 5 * D; ts < NOW; ts += MIN) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const fridge = (ts / MIN) % 40 < 15 ? 120 : 0;
    readings.push({ ts, powerW: 150 + (x / 2 ** 31) * 20 + fridge });
    plug.push({ ts, powerW: fridge });
  }
  await t.parts.timeseries.writeReadings('home', readings);
  await t.parts.timeseries.writeSubmeter('home', 'fridge', plug);
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const base = '/api/v1/buildings/home';
const post = (url: string, payload?: object, headers = owner) =>
  t.app.inject({ method: 'POST', url: `${base}${url}`, headers, ...(payload ? { payload } : {}) });
const get = async (url: string, headers = member) =>
  (await t.app.inject({ url: `${base}${url}`, headers })).json() as Record<string, unknown>;

describe('fine-tune', () => {
  let jobId = '';
  let ref = '';

  it('queues a fine-tune for owners only, of appliances the building has data for', async () => {
    expect((await post('/finetune', { appliances: ['fridge'] }, member)).statusCode).toBe(403);
    const none = await post('/finetune', { appliances: ['kettle'] });
    expect(none.statusCode).toBe(422);
    expect(none.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'no_data', appliance: 'kettle' },
    });
    expect(none.json().error.message).toMatch(/attach a sub-meter/);
    const unknown = await post('/finetune', { appliances: ['pond pump'] });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.message).toMatch(/unknown appliance "pond pump"/);
    expect((await post('/finetune', { appliances: [] })).statusCode).toBe(422);
    const res = await post('/finetune', { appliances: ['Fridge'], epochs: 4 });
    expect(res.statusCode).toBe(202);
    const job = res.json() as Record<string, unknown>;
    expect(job).toMatchObject({
      building_id: 'home',
      base: 'tiny@1',
      appliances: ['fridge'],
      status: 'queued',
      model: null,
    });
    jobId = String(job.id);
    expect((await post('/finetune', { appliances: ['fridge'] })).statusCode).toBe(409);
    expect(((await get('/finetune')).jobs as unknown[]).length).toBe(1);
  });

  it('a worker runs it: done, with a candidate model and its scorecard', async () => {
    const runner = new FinetuneRunner({
      ...t.parts,
      workDir: join(t.dir, 'finetune'),
      now: () => NOW,
      log: quiet,
    });
    const ran = await runner.runNext('home');
    expect(ran).toMatchObject({ id: jobId, status: 'done' });
    const job = await get(`/finetune/${jobId}`);
    expect(job).toMatchObject({ status: 'done', error: null, attempts: 1 });
    ref = String(job.model);
    expect(ref).toBe('tiny+home@1');
    const { models } = (await get('/models')) as unknown as PinnedModelList;
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({
      ref,
      n: 1,
      base: 'tiny@1',
      status: 'candidate',
      heads: ['fridge'],
      added: ['fridge'],
      appliances: ['kettle', 'washing_machine', 'fridge'],
      job_id: jobId,
    });
    const card = models[0]!.scorecard;
    // The newest fifth of the 5 days, never trained on; the base has no fridge head.
    expect(card.held_out.minutes).toBeGreaterThan(1400);
    expect(card.appliances.fridge!.base).toMatchObject({ f1: 0, energy_pred_kwh: 0 });
    const fridge = card.appliances.fridge!;
    expect(fridge.tuned.minutes).toBe(card.held_out.minutes);
    expect(fridge.tuned.mae_w!).toBeLessThan(fridge.base.mae_w!);
  }, 300_000);

  it('activating it pins it to the building and estimates the history again with it', async () => {
    expect((await post(`/models/${ref}/activate`, undefined, member)).statusCode).toBe(403);
    expect((await post('/models/tiny+home@9/activate')).statusCode).toBe(404);
    const res = await post(`/models/${encodeURIComponent(ref)}/activate`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ref, status: 'active' });
    expect((await get('')).model_ref).toBe(ref);
    const backlog = await t.parts.metadata.backlogSummary('home');
    expect(backlog.fromMs).toBeLessThanOrEqual(NOW - 5 * D);
    const worker = new Worker({ ...t.parts, log: quiet });
    for (let i = 0; i < 20; i++) if (!(await worker.service.run('home')).more) break;
    const est = await t.parts.timeseries.readEstimates('home', NOW - 2 * 3_600_000, NOW, 'fridge');
    expect(est.length).toBeGreaterThan(60);
    expect((await post(`/models/${ref}/discard`)).statusCode).toBe(409);
    expect((await post(`/finetune/${jobId}/cancel`)).statusCode).toBe(409);
  }, 300_000);

  it("serves the building's own model card to its members only; to others as an unknown model", async () => {
    const card = (headers: Record<string, string>, r = ref) =>
      t.app.inject({ url: `/api/v1/models/${encodeURIComponent(r)}/card`, headers });
    for (const who of [owner, member]) {
      const res = await card(who);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: 'tiny+home', version: '1' });
      expect(
        (res.json() as { appliances: { name: string }[] }).appliances.map((a) => a.name),
      ).toEqual(['kettle', 'washing_machine', 'fridge']);
    }
    // A user of another building gets exactly what a ref nobody made gets (the ref asked for aside).
    const stranger = await t.auth('mallory');
    const hidden = await card(stranger);
    const unknown = await card(stranger, 'tiny+home@9');
    const nobody = await card(member, 'tiny+home@9');
    expect(hidden.statusCode).toBe(404);
    for (const other of [unknown, nobody]) {
      expect(other.statusCode).toBe(404);
      const { error } = other.json() as { error: object };
      expect(JSON.stringify(error).replaceAll('tiny+home@9', ref)).toBe(
        JSON.stringify((hidden.json() as { error: object }).error),
      );
    }
    expect((await card({}, ref)).statusCode).toBe(401);
    const doc = (await t.app.inject('/docs/json')).json() as {
      paths: Record<string, { get: { parameters: { name: string }[]; responses: object } }>;
    };
    const op = doc.paths['/api/v1/models/{ref}/card']!.get;
    expect(op.parameters.map((p) => p.name)).toContain('ref');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '401', '404']));
  });

  it('a job that cannot run fails with the reason in words, and the next can be queued', async () => {
    // Queued past the API's checks (the data went away meanwhile): nothing known of the kettle.
    const job = await t.parts.metadata.createFinetuneJob({
      buildingId: 'home',
      baseRef: 'tiny@1',
      appliances: ['kettle'],
      settings: {},
      createdBy: 'admin',
    });
    const runner = new FinetuneRunner({ ...t.parts, workDir: join(t.dir, 'ft2'), log: quiet });
    expect(await runner.runNext()).toMatchObject({ id: job.id, status: 'failed' });
    const seen = await get(`/finetune/${job.id}`);
    expect(seen).toMatchObject({ status: 'failed', model: null });
    expect(String(seen.error)).toMatch(/nothing is known of "kettle".*attach a sub-meter/);
    expect(await runner.runNext()).toBeNull();
  }, 120_000);

  it('is in the OpenAPI document', async () => {
    const doc = (await t.app.inject('/docs/json')).json() as {
      paths: Record<string, unknown>;
    };
    for (const p of [
      '/api/v1/buildings/{id}/finetune',
      '/api/v1/buildings/{id}/finetune/{jobId}',
      '/api/v1/buildings/{id}/finetune/{jobId}/cancel',
      '/api/v1/buildings/{id}/models',
      '/api/v1/buildings/{id}/models/{ref}/activate',
      '/api/v1/buildings/{id}/models/{ref}/discard',
    ])
      expect(doc.paths[p], p).toBeDefined();
  });
});
