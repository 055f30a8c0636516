// Proves a head for a named found device (issue 13.4) through app.inject on embedded parts
// (PGlite, DuckDB, the tiny kettle/washing-machine model): 10 days of mains with a 900 W pump
// running 20 minutes every 3 hours; discovery finds it, the owner names it "Pond pump", and a
// fine-tune asked for by its id (refused while unnamed, and for a missing, dismissed or merged
// device, one with too few runs, and too many heads) adds a "Pond pump" head labelled with the
// name and an on threshold at 30 % of its step, trained on its runs (0 W between them); the
// scorecard's held-out F1 of that head passes 0.8 where the base's is 0; once the model is
// active it estimates the pump, and discovery no longer writes run-based estimates under that
// name (before activation it does); the OpenAPI document describes `devices`.
import { join } from 'node:path';
import type { FoundDevice, PinnedModelList } from '@nilm/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { Worker } from '../worker.js';
import { DEVICE_ON_SHARE, MIN_DEVICE_RUNS } from './finetune.devices.js';
import { FinetuneRunner } from './finetune.runner.js';

/** The app's clock: 2026-11-10 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 10, 12);
const MIN = 60_000;
const D = 86_400_000;
const START = NOW - 10 * D;
const PUMP = 'Pond pump';
/** The held-out F1 the pump's head must pass (the base model has no head for it: F1 0). */
const F1_NEEDED = 0.8;

let t: TestApp;
let owner: Record<string, string>;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Whether the pump runs in minute `m` of the 10 days: 20 minutes of every 180. */
const pumpOn = (m: number): boolean => (m + 37) % 180 < 20;

beforeAll(async () => {
  t = await openTestApp({}, { now: () => NOW });
  owner = await t.auth('admin');
  const readings = [];
  let x = 11;
  for (let ts = START; ts < NOW; ts += MIN) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    readings.push({
      ts,
      powerW: 150 + (x / 2 ** 31) * 20 + (pumpOn((ts - START) / MIN) ? 900 : 0),
    });
  }
  await t.parts.timeseries.writeReadings('home', readings);
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const base = '/api/v1/buildings/home';
const inject = (method: 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url: `${base}${url}`, headers: owner, ...(payload ? { payload } : {}) });
const get = async (url: string) =>
  (await t.app.inject({ url: `${base}${url}`, headers: owner })).json() as Record<string, unknown>;
const pumpEstimates = () => t.parts.timeseries.readEstimates('home', START, NOW, PUMP);

describe('a head for a named found device', () => {
  let pump: FoundDevice;
  let ref = '';
  /** The run-based estimates discovery wrote when the pump was named: power by minute. */
  const runBased = new Map<number, number>();

  it('refuses a device that is not named, missing, dismissed, merged or has too few runs', async () => {
    const found = await inject('POST', '/devices/discover', {
      start: new Date(START).toISOString(),
      end: new Date(NOW).toISOString(),
    });
    expect(found.statusCode).toBe(200);
    const devices = (found.json() as { devices: FoundDevice[] }).devices;
    pump = devices.find((d) => Math.abs(d.power_w - 900) < 100)!;
    expect(pump).toBeDefined();
    expect(pump.runs).toBeGreaterThanOrEqual(70);
    const refused = async (payload: object, reason: string) => {
      const res = await inject('POST', '/finetune', payload);
      expect(res.statusCode, reason).toBe(422);
      const { error } = res.json() as { error: { code: string; details: object; message: string } };
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason } });
      return error.message;
    };
    expect(await refused({ devices: [pump.id] }, 'not_named')).toMatch(/name it/);
    expect(await refused({ devices: ['nope'] }, 'not_found')).toMatch(/no found device "nope"/);
    // Devices stored as a pass would: a 2 kW load seen 3 times (named), and two more to drop.
    const runList = (n: number, w: number) =>
      Array.from({ length: n }, (_, k) => ({
        startMs: START + k * D,
        endMs: START + k * D + 30 * MIN,
        powerW: w,
      }));
    const stats = (n: number, w: number) => ({
      runs: n,
      runsPerDay: n / 10,
      energyPerMonthKWh: 1,
      hourProfile: Array.from({ length: 24 }, () => 1 / 24),
      examples: [],
      fromMs: START,
      toMs: NOW,
      runList: runList(n, w),
    });
    const stored = await t.parts.metadata.recordDiscovery(
      'home',
      [2000, 3000, 4000].map((w) => ({
        signature: { powerW: w, runMinutes: 30, periodMinutes: null },
        stats: stats(w === 2000 ? MIN_DEVICE_RUNS - 2 : 12, w),
      })),
      { same: () => false, label: (n) => `Fixture ${n}` },
    );
    const [rare, dismissed, merged] = stored.devices.map((d) => d.id) as [string, string, string];
    expect((await inject('PATCH', `/devices/${rare}`, { name: 'Sauna' })).statusCode).toBe(200);
    expect((await inject('POST', `/devices/${dismissed}/dismiss`)).statusCode).toBe(200);
    expect((await inject('POST', `/devices/${merged}/merge`, { into: rare })).statusCode).toBe(200);
    expect(await refused({ devices: [rare] }, 'too_few_runs')).toMatch(
      /Sauna has 3 stored runs; a head of its own needs 5/,
    );
    expect(await refused({ devices: [dismissed] }, 'dismissed')).toMatch(/is dismissed/);
    expect(await refused({ devices: [merged] }, 'merged')).toMatch(/is merged/);
    expect(await refused({}, 'no_heads')).toMatch(/nothing to teach/);
    const doc = (await t.app.inject('/docs/json')).json() as {
      paths: Record<string, { post: { requestBody: { content: Record<string, unknown> } } }>;
    };
    const body = doc.paths['/api/v1/buildings/{id}/finetune']!.post.requestBody.content[
      'application/json'
    ] as { schema: { properties: Record<string, { description?: string }> } };
    expect(body.schema.properties.devices?.description).toMatch(/named found devices/);
  });

  it('teaches the named device a head of its own through the API and the runner', async () => {
    const named = await inject('PATCH', `/devices/${pump.id}`, { name: PUMP });
    expect(named.statusCode).toBe(200);
    // Named on the default model: its runs are written as estimates under its name.
    for (const e of await pumpEstimates()) runBased.set(e.ts, e.powerW);
    expect(runBased.size).toBeGreaterThan(pump.runs * 15);
    expect([...runBased.values()].every((w) => Math.abs(w - pump.power_w) < 100)).toBe(true);
    expect(
      (
        await inject('POST', '/finetune', {
          appliances: ['kettle', 'fridge', 'dishwasher', 'washing machine'],
          devices: [pump.id],
        })
      ).json(),
    ).toMatchObject({ error: { details: { reason: 'too_many_heads' } } });
    const res = await inject('POST', '/finetune', { devices: [pump.id], epochs: 20, seed: 3 });
    expect(res.statusCode).toBe(202);
    const job = res.json() as { id: string; appliances: string[] };
    expect(job.appliances).toEqual([PUMP]);
    const runner = new FinetuneRunner({
      ...t.parts,
      workDir: join(t.dir, 'finetune'),
      now: () => NOW,
      log: quiet,
    });
    expect(await runner.runNext('home')).toMatchObject({ id: job.id, status: 'done' });
    const { models } = (await get('/models')) as unknown as PinnedModelList;
    const m = models[0]!;
    ref = m.ref;
    expect(m).toMatchObject({
      heads: [PUMP],
      added: [PUMP],
      appliances: ['kettle', 'washing_machine', PUMP],
    });
    const card = (
      await t.app.inject({
        url: `/api/v1/models/${encodeURIComponent(ref)}/card`,
        headers: owner,
      })
    ).json() as { appliances: { name: string; label: string; on_threshold_w: number }[] };
    const head = card.appliances[2]!;
    expect(head.label).toBe(PUMP);
    expect(head.on_threshold_w).toBeCloseTo(DEVICE_ON_SHARE * pump.power_w, -1);
    const score = m.scorecard.appliances[PUMP]!;
    console.log(
      `Pond pump head, held-out ${m.scorecard.held_out.minutes} min: F1 ${score.tuned.f1?.toFixed(3)} (base ${score.base.f1}), MAE ${score.tuned.mae_w?.toFixed(1)} W (base ${score.base.mae_w?.toFixed(1)} W), threshold ${head.on_threshold_w} W`,
    );
    expect(score.base.f1).toBe(0);
    expect(score.tuned.f1!).toBeGreaterThan(F1_NEEDED);
    expect(score.tuned.mae_w!).toBeLessThan(score.base.mae_w!);
  }, 300_000);

  it('once active, the model estimates the device and discovery writes no second estimate of it', async () => {
    expect((await inject('POST', `/models/${encodeURIComponent(ref)}/activate`)).statusCode).toBe(
      200,
    );
    const worker = new Worker({ ...t.parts, log: quiet });
    for (let i = 0; i < 40; i++) if (!(await worker.service.run('home')).more) break;
    const byModel = await pumpEstimates();
    // The model estimates every minute (0 W between runs), not only the runs' minutes.
    expect(byModel.length).toBeGreaterThan(9 * 1440);
    // Activation estimated the history again: the run minutes hold the model's power now.
    expect(byModel.filter((e) => runBased.get(e.ts) === e.powerW)).toEqual([]);
    // A pass after activation (on demand here; the worker's daily one does the same).
    const again = await inject('POST', '/devices/discover', {
      start: new Date(START).toISOString(),
      end: new Date(NOW).toISOString(),
    });
    expect(again.statusCode).toBe(200);
    expect(await pumpEstimates()).toEqual(byModel);
  }, 300_000);
});
