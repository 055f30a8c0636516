// Proves the live scorecard on the embedded stores (DuckDB, PGlite, the tiny model): stored
// kettle estimates against a kettle sub-meter over the last 7 and 30 days give the F1, MAE and
// energy worked out by hand below, over the minutes with both only (the card's 0.5 threshold on
// the on-probability); a week like the 23 days before is 'ok', a week that misses most boils is
// 'drifted' with the sentence, a week alone is judged on energy only; and
// GET /buildings/{id}/submeters/scorecard gives it rounded to members, 401/404 to others, and
// is in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';
import {
  kettleSpan as span,
  storeKettle,
  type KettleMinute,
} from '../services/submeter.scorecard.fixture.js';
import { SubmeterScorecardService } from '../services/submeter.scorecard.service.js';

const MIN = 60_000;
const DAY = 86_400_000;
/** The app's clock: 2026-11-30 12:00:30 UTC (the spans end at 12:00). */
const NOW = Date.UTC(2026, 10, 30, 12, 0, 30);
const END = Date.UTC(2026, 10, 30, 12);
const START_30 = END - 30 * DAY;
const START_7 = END - 7 * DAY;

let t: TestApp;

beforeAll(async () => {
  t = await openTestApp({}, { now: () => NOW });
  await t.parts.metadata.setMember({ buildingId: 'home', userId: 'alice', role: 'viewer' });
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

/** Minutes with only one side (never compared): 500 metered, then 500 estimated. */
function oneSided(from: number): KettleMinute[] {
  return Array.from({ length: 1000 }, (_, i) =>
    i < 500 ? { ts: from + i * MIN, truthW: 2000 } : { ts: from + i * MIN, estW: 2000, prob: 0.9 },
  );
}

const home = (id: string, minutes: KettleMinute[], create = true) =>
  storeKettle(t.parts, id, minutes, create);

const service = () => new SubmeterScorecardService({ ...t.parts, now: () => NOW });
const building = async (id: string) => (await t.parts.metadata.getBuilding(id))!;

describe('the live scorecard', () => {
  it('scores the minutes with both, and a week like the weeks before is ok', async () => {
    await home('steady', [
      ...span(START_30, 90),
      ...oneSided(START_30 + 4000 * MIN),
      ...span(START_7, 90),
    ]);
    const card = await service().scorecard(await building('steady'));
    expect(card.model).toBe('tiny@1');
    expect(card.endMs).toBe(END);
    expect(card.appliances).toHaveLength(1);
    const k = card.appliances[0]!;
    expect(k).toMatchObject({ appliance: 'kettle', label: 'Kettle', onProbThreshold: 0.5 });
    // Each span: F1 = 2*90 / (2*90 + 5 + 10); MAE = (10*2000 + 10*600) / 3000;
    // true 100 * 2000 W-min = 3.333 kWh, estimated (90*2000 + 10*600) W-min = 3.1 kWh.
    const week = k.last7Days;
    expect(week).toMatchObject({ startMs: START_7, endMs: END, minutes: 3000 });
    expect(week.f1).toBeCloseTo(180 / 195, 9);
    expect(week.maeW).toBeCloseTo(26_000 / 3000, 9);
    expect(week.energyTrueKwh).toBeCloseTo(200_000 / 60_000, 9);
    expect(week.energyEstimatedKwh).toBeCloseTo(186_000 / 60_000, 9);
    expect(week.energyError).toBeCloseTo(-0.07, 9);
    expect(week.coverage).toBeCloseTo(3000 / (7 * 1440), 9);
    const month = k.last30Days;
    // The one-sided minutes are not compared: 6000, not 7000.
    expect(month).toMatchObject({ startMs: START_30, endMs: END, minutes: 6000 });
    expect(month.f1).toBeCloseTo(360 / 390, 9);
    expect(month.maeW).toBeCloseTo(52_000 / 6000, 9);
    expect(month.energyTrueKwh).toBeCloseTo(400_000 / 60_000, 9);
    expect(month.coverage).toBeCloseTo(6000 / (30 * 1440), 9);
    expect(k.drift).toEqual({
      status: 'ok',
      before: { f1: 180 / 195, maeW: 26_000 / 3000, minutes: 3000 },
      reasons: [],
      message: null,
    });
  });

  it('says the model drifted when the week misses most boils', async () => {
    await home('drifted', [...span(START_30, 90), ...span(START_7, 40)]);
    const k = (await service().scorecard(await building('drifted'))).appliances[0]!;
    // Week: F1 = 80 / (80 + 5 + 60); MAE = (60*2000 + 10*600) / 3000 = 42 W;
    // estimated (40*2000 + 6000) W-min = 1.433 kWh against 3.333 kWh (-57 %).
    expect(k.last7Days.f1).toBeCloseTo(80 / 145, 9);
    expect(k.last7Days.maeW).toBeCloseTo(42, 9);
    expect(k.last7Days.energyError).toBeCloseTo(-0.57, 9);
    expect(k.last30Days.f1).toBeCloseTo(260 / 340, 9);
    expect(k.last30Days.maeW).toBeCloseTo(152_000 / 6000, 9);
    expect(k.drift.status).toBe('drifted');
    expect(k.drift.reasons.map((r) => r.kind)).toEqual(['f1', 'mae', 'energy']);
    expect(k.drift.reasons[0]!.before).toBeCloseTo(180 / 195, 9);
    expect(k.drift.reasons[2]!.now).toBeCloseTo(86_000 / 60_000, 9);
    expect(k.drift.message).toBe(
      'The kettle estimate has drifted: F1 0.92 → 0.55 this week; mean error 9 W → 42 W this week; 1.4 kWh estimated this week against 3.3 kWh metered (-57 %).',
    );
  });

  it('judges a week alone on its energy only, and too little data not at all', async () => {
    await home('fresh', span(START_7, 40));
    const fresh = (await service().scorecard(await building('fresh'))).appliances[0]!;
    expect(fresh.drift.status).toBe('drifted');
    expect(fresh.drift.reasons.map((r) => r.kind)).toEqual(['energy']);
    expect(fresh.drift.before).toEqual({ f1: null, maeW: null, minutes: 0 });

    await home('short', span(START_7, 40).slice(0, 1000));
    const short = (await service().scorecard(await building('short'))).appliances[0]!;
    expect(short.last7Days.minutes).toBe(1000);
    expect(short.drift).toMatchObject({ status: 'too_little_data', reasons: [], message: null });
  });

  it('is empty for a building without a sub-meter', async () => {
    await t.parts.metadata.createBuilding({
      id: 'bare',
      name: 'bare',
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    expect(await service().scorecard(await building('bare'))).toEqual({
      model: 'tiny@1',
      endMs: END,
      appliances: [],
    });
  });
});

describe('GET /buildings/{id}/submeters/scorecard', () => {
  const url = '/api/v1/buildings/home/submeters/scorecard';

  it('gives members the scorecard, rounded; others 401 or 404', async () => {
    await home('home', [...span(START_30, 90), ...span(START_7, 40)], false);
    const res = await t.app.inject({ url, headers: await t.auth('alice') });
    expect(res.statusCode).toBe(200);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(res.json()).toEqual({
      building_id: 'home',
      model: 'tiny@1',
      end: iso(END),
      appliances: [
        {
          appliance: 'kettle',
          label: 'Kettle',
          on_prob_threshold: 0.5,
          last_7_days: {
            start: iso(START_7),
            end: iso(END),
            f1: 0.552,
            mae_w: 42,
            energy_true_kwh: 3.333,
            energy_estimated_kwh: 1.433,
            energy_error: -0.57,
            minutes: 3000,
            coverage: 0.298,
          },
          last_30_days: {
            start: iso(START_30),
            end: iso(END),
            f1: 0.765,
            mae_w: 25.3,
            energy_true_kwh: 6.667,
            energy_estimated_kwh: 4.533,
            energy_error: -0.32,
            minutes: 6000,
            coverage: 0.139,
          },
          drift: {
            status: 'drifted',
            before: { f1: 0.923, mae_w: 8.7, minutes: 3000 },
            reasons: [
              { kind: 'f1', before: 0.923, now: 0.552 },
              { kind: 'mae', before: 8.667, now: 42 },
              { kind: 'energy', before: 3.333, now: 1.433 },
            ],
            message:
              'The kettle estimate has drifted: F1 0.92 → 0.55 this week; mean error 9 W → 42 W this week; 1.4 kWh estimated this week against 3.3 kWh metered (-57 %).',
          },
        },
      ],
    });
    expect((await t.app.inject({ url, headers: await t.auth('admin') })).statusCode).toBe(200);
    expect((await t.app.inject({ url })).statusCode).toBe(401);
    expect((await t.app.inject({ url, headers: await t.auth('mallory') })).statusCode).toBe(404);
    const other = '/api/v1/buildings/steady/submeters/scorecard';
    expect((await t.app.inject({ url: other, headers: await t.auth('alice') })).statusCode).toBe(
      404,
    );
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.app.inject('/docs/json')).json() as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    const path = doc.paths['/api/v1/buildings/{id}/submeters/scorecard'];
    expect(path?.get?.responses?.['200']).toBeDefined();
  });
});
