// Proves the found-devices routes through app.inject on embedded parts: a discovery pass over
// stored readings finds a 100 W compressor (periodic) and a 2 kW load, members read them, owners
// name, merge and dismiss (members may not), a named device's runs become estimates under its
// name (energy shows it), a second pass updates instead of duplicating and leaves a dismissed
// device dismissed, the model's estimates are taken out of the mains, every bad request answers
// 4xx by name and changes nothing, the worker's daily pass runs once, and the routes are in the
// OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FoundDevice } from '@nilm/contracts';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { DiscoveryService, dailySlotHour } from '../services/discovery.service.js';

const DAY_MS = 86_400_000;
/** Two days of minutes from 2026-01-05 00:00 UTC; the app's clock is the end of them. */
const START = Date.UTC(2026, 0, 5);
const NOW = START + 2 * DAY_MS;
const KETTLE_MINUTES = [7 * 60, 12 * 60, 18 * 60, 21 * 60];

/** Baseload 150 W, a 100 W compressor 20 min of every hour, a 2 kW load 3 min four times a day. */
function readings(): { ts: number; powerW: number }[] {
  return Array.from({ length: 2 * 1440 }, (_, i) => {
    const m = i % 1440;
    const fridge = (i - 10 + 1440) % 60 < 20 ? 100 : 0;
    const kettle = KETTLE_MINUTES.some((k) => m >= k && m < k + 3) ? 2000 : 0;
    return { ts: START + i * 60_000, powerW: 150 + fridge + kettle + (i % 3) };
  });
}

let t: TestApp;
let owner: Record<string, string>;
let member: Record<string, string>;

beforeAll(async () => {
  t = await openTestApp({}, { now: () => NOW });
  owner = await t.auth('bob');
  member = await t.auth('alice');
  const m = t.parts.metadata;
  await m.upsertUser({ id: 'bob', email: 'bob@test', role: 'user', passwordHash: null });
  for (const id of ['house', 'known', 'empty']) {
    await m.createBuilding({ id, name: id, timezone: 'UTC', isDemo: false, modelRef: null });
    await m.setMember({ buildingId: id, userId: 'bob', role: 'owner' });
    await m.setMember({ buildingId: id, userId: 'alice', role: 'member' });
  }
  await t.parts.timeseries.writeReadings('house', readings());
  await t.parts.timeseries.writeReadings('known', readings());
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const url = (b: string, rest = '') => `/api/v1/buildings/${b}/devices${rest}`;
const discover = (b: string, payload: object = {}, headers = owner) =>
  t.app.inject({ method: 'POST', url: url(b, '/discover'), headers, payload });
const list = async (b: string): Promise<FoundDevice[]> =>
  (await t.app.inject({ url: url(b), headers: member })).json().devices;

describe('found devices', () => {
  let fridge: FoundDevice;
  let kettle: FoundDevice;

  it('a pass over the last 30 days finds the compressor and the 2 kW load; members read them', async () => {
    const res = await discover('house');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      building_id: 'house',
      start: new Date(NOW - 30 * DAY_MS).toISOString(),
      end: new Date(NOW).toISOString(),
      covered_days: 2,
      created: 2,
      updated: 0,
    });
    [fridge, kettle] = body.devices;
    expect(fridge).toMatchObject({
      label: 'Device A',
      status: 'found',
      name: null,
      appliance: null,
      run_minutes: 20,
      period_minutes: 60,
      runs: 48,
    });
    expect(Math.abs(fridge.power_w - 100)).toBeLessThan(5);
    expect(kettle).toMatchObject({ label: 'Device B', run_minutes: 3, runs: 8, runs_per_day: 4 });
    expect(Math.abs(kettle.energy_per_month_kwh - 12)).toBeLessThan(0.5);
    expect(kettle.hour_profile[7]).toBe(0.25);
    expect(kettle.examples[0].start).toBe('2026-01-05T07:00:00.000Z');
    // The mean above the minute before: 2 kW, give or take the 0-2 W ripple of the baseload.
    expect(Math.abs(kettle.examples[0].mean_w - 2000)).toBeLessThan(3);
    expect(await list('house')).toEqual(body.devices);
  });

  it('refuses members, bad spans and too few readings, changing nothing', async () => {
    expect((await discover('house', {}, member)).statusCode).toBe(403);
    const reversed = await discover('house', { start: '2026-01-06', end: '2026-01-05' });
    expect([reversed.statusCode, reversed.json().error.code]).toEqual([422, 'VALIDATION_WINDOW']);
    const long = await discover('house', { start: '-100d' });
    expect(long.json().error.message).toMatch(/the span is 100 days; one pass looks at 92 days/);
    const bad = await discover('house', { start: 'yesterday-ish' });
    expect([bad.statusCode, bad.json().error.code]).toEqual([422, 'VALIDATION_TIME']);
    const extra = await discover('house', { span: 3 });
    expect(extra.statusCode).toBe(422);
    const empty = await discover('empty');
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error.message).toMatch(
      /at least 12 hours of readings in the span; it has 0/,
    );
    expect(await list('empty')).toEqual([]);
    expect(await list('house')).toHaveLength(2);
  });

  it('owners name a device with an appliance type (an alias is stored canonical); bad input changes nothing', async () => {
    const named = await t.app.inject({
      method: 'PATCH',
      url: url('house', `/${fridge.id}`),
      headers: owner,
      payload: { name: 'Garage fridge', appliance: 'Refrigerator' },
    });
    expect(named.statusCode).toBe(200);
    expect(named.json()).toMatchObject({
      status: 'named',
      name: 'Garage fridge',
      appliance: 'fridge',
    });
    for (const [payload, status] of [
      [{ appliance: 'hovercraft' }, 422],
      [{ name: '   ' }, 422],
      [{}, 422],
      [{ colour: 'red' }, 422],
    ] as const) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: url('house', `/${fridge.id}`),
        headers: owner,
        payload,
      });
      expect([JSON.stringify(payload), res.statusCode]).toEqual([JSON.stringify(payload), status]);
    }
    const refused = await t.app.inject({
      method: 'PATCH',
      url: url('house', `/${fridge.id}`),
      headers: member,
      payload: { name: 'Mine' },
    });
    expect(refused.statusCode).toBe(403);
    const missing = await t.app.inject({
      method: 'PATCH',
      url: url('house', '/no-such-device'),
      headers: owner,
      payload: { name: 'x' },
    });
    expect(missing.statusCode).toBe(404);
    expect((await list('house'))[0]).toMatchObject({ name: 'Garage fridge', appliance: 'fridge' });
  });

  it('a named device becomes an appliance: its runs are estimates under its name, in energy too', async () => {
    const points = await t.parts.timeseries.readEstimates('house', START, NOW, 'Garage fridge');
    // 48 runs of 20 minutes, each at the device's step (100 W give or take the ripple).
    expect(points).toHaveLength(48 * 20);
    expect(points.every((p) => Math.abs(p.powerW - 100) < 5 && p.onProb === 1)).toBe(true);
    const energy = await t.app.inject({
      url: '/api/v1/buildings/house/energy?start=2026-01-05&end=2026-01-06&period=day',
      headers: member,
    });
    // 24 runs x 20 min x 100 W = 0.8 kWh on the first day.
    expect(Math.abs(energy.json().periods[0].appliances['Garage fridge'] - 0.8)).toBeLessThan(0.05);
    // The unnamed 2 kW device is no appliance.
    expect(await t.parts.timeseries.readEstimates('house', START, NOW, 'Device B')).toEqual([]);
  });

  it('merges and dismisses only what may be, and a second pass updates without reviving', async () => {
    const merge = (id: string, into: string) =>
      t.app.inject({
        method: 'POST',
        url: url('house', `/${id}/merge`),
        headers: owner,
        payload: { into },
      });
    expect((await merge(kettle.id, kettle.id)).json().error.message).toMatch(/into itself/);
    expect((await merge(kettle.id, 'nothing')).statusCode).toBe(422);
    const dismiss = (id: string) =>
      t.app.inject({ method: 'POST', url: url('house', `/${id}/dismiss`), headers: owner });
    const dismissed = await dismiss(kettle.id);
    expect([dismissed.statusCode, dismissed.json().status]).toEqual([200, 'dismissed']);
    const again = await dismiss(kettle.id);
    expect([again.statusCode, again.json().error.message]).toEqual([
      409,
      'Device B is dismissed; only a found or named device can be dismissed',
    ]);
    expect((await merge(fridge.id, kettle.id)).statusCode).toBe(409);

    const second = (await discover('house')).json();
    expect([second.created, second.updated]).toEqual([0, 2]);
    expect(second.devices.map((d: FoundDevice) => [d.label, d.status])).toEqual([
      ['Device A', 'named'],
      ['Device B', 'dismissed'],
    ]);
    // Its own estimates did not hide the named device from the pass.
    expect(second.devices[0].runs).toBe(48);
  });

  it("takes the model's estimates out of the mains: an explained load is no device", async () => {
    await t.parts.timeseries.writeEstimates(
      'known',
      'tiny@1',
      readings()
        .filter((r) => r.powerW >= 2000)
        .map((r) => ({ ts: r.ts, appliance: 'kettle', powerW: 2000, onProb: 1 })),
    );
    const body = (await discover('known')).json();
    expect(body.devices.map((d: FoundDevice) => [d.label, d.period_minutes])).toEqual([
      ['Device A', 60],
    ]);
  });

  it("the worker's daily pass discovers each building once a day, from its hour on", async () => {
    const at = NOW + 23 * 3_600_000;
    const worker = new DiscoveryService({
      timeseries: t.parts.timeseries,
      metadata: t.parts.metadata,
      now: () => at,
    });
    const first = await worker.tick();
    expect(first).toEqual(expect.arrayContaining(['house', 'known']));
    expect(dailySlotHour('house')).toBeLessThanOrEqual(23);
    expect(await worker.tick()).toEqual([]);
    expect((await list('house')).map((d) => d.status)).toEqual(['named', 'dismissed']);
  });

  it('are in the OpenAPI document with their schemas', async () => {
    const doc = (await t.app.inject('/docs/json')).json();
    const path = (p: string) => doc.paths[`/api/v1/buildings/{id}/devices${p}`];
    expect(Object.keys(path(''))).toEqual(['get']);
    expect(path('/discover').post.requestBody).toBeDefined();
    expect(
      path('/{deviceId}').patch.responses['200'].content['application/json'].schema.properties,
    ).toHaveProperty('energy_per_month_kwh');
    expect(path('/{deviceId}/merge').post.requestBody).toBeDefined();
    expect(path('/{deviceId}/dismiss').post.responses).toHaveProperty('409');
  });
});
