// Proves sub-meters through app.inject on embedded parts: a source with role "submeter" must
// name an appliance the building can use (an alias is kept as its canonical name), and only a
// sub-meter may name one (each refusal a 422 naming `appliance`, nothing stored); a role change
// sets or clears it; SubmeterService stores a plug's readings as the appliance's series apart from
// the mains (a bad batch stores nothing); and /submeters/{appliance}/readings gives the plug's
// power beside the model's estimate per bucket, to members.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { SubmeterService } from '../services/submeter.service.js';

/** The app's clock: 2026-11-10 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 10, 12);
const MIN = 60_000;

let t: TestApp;
let owner: Record<string, string>;
let viewer: Record<string, string>;

beforeAll(async () => {
  t = await openTestApp({}, { now: () => NOW });
  owner = await t.auth('admin');
  viewer = await t.auth('alice');
  await t.parts.metadata.setMember({ buildingId: 'home', userId: 'alice', role: 'viewer' });
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const sources = '/api/v1/buildings/home/sources';
const plug = { type: 'tasmota', name: 'Kettle plug', settings: { topic: 'tele/plug/SENSOR' } };

describe('a sub-meter source', () => {
  it('names an appliance, only as a sub-meter; each refusal is a 422 naming it', async () => {
    for (const body of [
      { ...plug, role: 'submeter' },
      { ...plug, role: 'submeter', appliance: 'hot tub' },
      { ...plug, role: 'mains', appliance: 'kettle' },
      { ...plug, appliance: 'kettle' },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: sources,
        headers: owner,
        payload: body,
      });
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
      expect(res.json()).toMatchObject({ error: { details: { setting: 'appliance' } } });
    }
    expect((await t.parts.metadata.listSources('home')).length).toBe(0);

    const res = await t.app.inject({
      method: 'POST',
      url: sources,
      headers: owner,
      payload: { ...plug, role: 'submeter', appliance: 'Kettle' },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as { id: string };
    expect(created).toMatchObject({ role: 'submeter', appliance: 'kettle', transport: 'mqtt' });
    const patch = (payload: object) =>
      t.app.inject({ method: 'PATCH', url: `${sources}/${created.id}`, headers: owner, payload });
    expect((await patch({ name: 'Plug' })).json()).toMatchObject({ appliance: 'kettle' });
    expect((await patch({ appliance: 'microwave' })).json()).toMatchObject({
      role: 'submeter',
      appliance: 'microwave',
    });
    expect((await patch({ role: 'mains', appliance: 'kettle' })).statusCode).toBe(422);
    expect((await patch({ role: 'mains' })).json()).toMatchObject({
      role: 'mains',
      appliance: null,
    });
    expect((await patch({ appliance: 'kettle' })).statusCode).toBe(422);
    expect((await patch({ role: 'submeter' })).statusCode).toBe(422);
    expect((await patch({ role: 'submeter', appliance: 'fridge' })).json()).toMatchObject({
      role: 'submeter',
      appliance: 'fridge',
    });
  });
});

describe("a sub-meter's readings", () => {
  it('are stored apart from the mains and read beside the estimate per bucket', async () => {
    const service = new SubmeterService({ timeseries: t.parts.timeseries, now: () => NOW });
    const start = NOW - 10 * MIN;
    expect(
      await service.ingest('home', 'kettle', [
        { ts: start, powerW: 2000 },
        { ts: start + 30_000, powerW: 3000 },
        { ts: start + 2 * MIN, powerW: 0 },
      ]),
    ).toBe(3);
    // A bad batch stores nothing, also its good readings.
    await expect(
      service.ingest('home', 'kettle', [
        { ts: start + 3 * MIN, powerW: 10 },
        { ts: start + 4 * MIN, powerW: -5 },
      ]),
    ).rejects.toMatchObject({ code: 'VALIDATION_POWER' });
    await expect(
      service.ingest('home', 'kettle', [{ ts: NOW + 60 * MIN, powerW: 10 }]),
    ).rejects.toMatchObject({ code: 'VALIDATION_TIME' });
    expect(await t.parts.timeseries.readReadings('home', start, NOW)).toEqual([]);

    await t.parts.timeseries.writeEstimates('home', 'tiny@1', [
      { ts: start, appliance: 'kettle', powerW: 2200, onProb: 0.9 },
      { ts: start + MIN, appliance: 'kettle', powerW: 100, onProb: 0.1 },
      { ts: start + MIN, appliance: 'fridge', powerW: 80, onProb: 0.8 },
    ]);
    const url = `/api/v1/buildings/home/submeters/kettle/readings?start=${start}&end=${start + 5 * MIN}&resolution=1m`;
    const res = await t.app.inject({ url, headers: viewer });
    expect(res.statusCode).toBe(200);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(res.json()).toEqual({
      building_id: 'home',
      appliance: 'kettle',
      start: iso(start),
      end: iso(start + 5 * MIN),
      resolution_s: 60,
      points: [
        { time: iso(start), power_w: 2500, estimate_w: 2200 },
        { time: iso(start + MIN), power_w: null, estimate_w: 100 },
        { time: iso(start + 2 * MIN), power_w: 0, estimate_w: null },
      ],
    });
    const bad = await t.app.inject({
      url: `/api/v1/buildings/home/submeters/kettle/readings?start=${start}&end=${start - MIN}`,
      headers: viewer,
    });
    expect(bad.statusCode).toBe(422);
    const stranger = await t.auth('mallory');
    expect((await t.app.inject({ url, headers: stranger })).statusCode).toBe(404);
  });
});
