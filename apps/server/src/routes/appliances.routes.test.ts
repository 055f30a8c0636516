// Proves the appliances-present checklist over HTTP (app.inject on the whole app): all heads by
// default, owners change it and viewers only read it, unknown names answer 422 naming them and
// change nothing, and an absent appliance disappears from the appliance list, readings, energy
// and both CSVs (history included) with its power moved into "other"; energy per appliance
// comes with its likely range from the stored band (hand-computed values).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliancesPresentResponse, EnergyResponse, ReadingsResponse } from '@nilm/contracts';
import { openTestApp, type TestApp } from '../app.fixture.js';

const T = Date.UTC(2024, 0, 10, 12);
const MIN = 60_000;
const kwh = (wattMinutes: number): number => wattMinutes / 60_000;

describe('appliances present', () => {
  let t: TestApp;
  let heads: string[];
  let kettleThreshold: number;
  /** The head that the building will say it lacks. */
  let hidden: string;
  const url = '/api/v1/buildings/home/appliances-present';

  beforeAll(async () => {
    t = await openTestApp();
    const { metadata, timeseries } = t.parts;
    for (const id of ['bob', 'vera'])
      await metadata.upsertUser({ id, email: `${id}@test`, role: 'user', passwordHash: null });
    await metadata.setMember({ buildingId: 'home', userId: 'bob', role: 'owner' });
    await metadata.setMember({ buildingId: 'home', userId: 'vera', role: 'viewer' });
    const list = await t.app.inject({
      url: '/api/v1/buildings/home/appliances',
      headers: await t.auth('vera'),
    });
    const appliances = list.json<{
      appliances: Array<{ name: string; on_prob_threshold: number }>;
    }>().appliances;
    heads = appliances.map((a) => a.name);
    expect(heads).toContain('kettle');
    kettleThreshold = appliances.find((a) => a.name === 'kettle')!.on_prob_threshold;
    expect(kettleThreshold).toBeGreaterThan(0.05);
    expect(kettleThreshold).toBeLessThanOrEqual(1);
    hidden = heads.find((h) => h !== 'kettle')!;

    // Ten minutes at 3000 W. The kettle is on for five (2000 W, band 1800-2300 W) and off for
    // five (10 W); the other head draws 500 W for the first five, without a band.
    await timeseries.writeReadings(
      'home',
      Array.from({ length: 10 }, (_, i) => ({ ts: T + i * MIN, powerW: 3000 })),
    );
    await timeseries.writeEstimates(
      'home',
      'tiny@1',
      Array.from({ length: 10 }, (_, i) => [
        i < 5
          ? {
              ts: T + i * MIN,
              appliance: 'kettle',
              powerW: 2000,
              onProb: 1,
              lowW: 1800,
              highW: 2300,
            }
          : { ts: T + i * MIN, appliance: 'kettle', powerW: 10, onProb: 0, lowW: 0, highW: 60 },
        { ts: T + i * MIN, appliance: hidden, powerW: i < 5 ? 500 : 0, onProb: i < 5 ? 1 : 0 },
      ]).flat(),
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  const energy = async (): Promise<EnergyResponse['periods'][number]> => {
    const r = await t.app.inject({
      url: `/api/v1/buildings/home/energy?start=${new Date(T).toISOString()}&end=${new Date(T + 10 * MIN).toISOString()}`,
      headers: await t.auth('vera'),
    });
    expect(r.statusCode).toBe(200);
    return r.json<EnergyResponse>().periods[0]!;
  };

  it('lists every head as present, with plain names, until someone says otherwise', async () => {
    const r = await t.app.inject({ url, headers: await t.auth('vera') });
    expect(r.statusCode).toBe(200);
    const body = r.json<AppliancesPresentResponse>();
    expect(body.is_default).toBe(true);
    expect(body.model).toBe('tiny@1');
    expect(body.appliances.map((a) => a.name)).toEqual(heads);
    expect(body.appliances.every((a) => a.present)).toBe(true);
    expect(body.appliances.find((a) => a.name === 'kettle')!.label).toBe('Kettle');
  });

  it('shows every appliance with its likely range while all are present', async () => {
    const p = await energy();
    expect(Object.keys(p.appliances).sort()).toEqual(['kettle', hidden].sort());
    expect(p.appliances.kettle).toBeCloseTo(kwh(5 * 2000 + 5 * 10), 9);
    // On-minutes take the band's ends, off-minutes their estimate.
    expect(p.appliance_ranges!.kettle!.kwh_low).toBeCloseTo(kwh(5 * 1800 + 5 * 10), 9);
    expect(p.appliance_ranges!.kettle!.kwh_high).toBeCloseTo(kwh(5 * 2300 + 5 * 10), 9);
    // On-minutes without a stored band: no range rather than a made-up one.
    expect(p.appliance_ranges![hidden]).toEqual({ kwh_low: null, kwh_high: null });
    expect(p.other_kwh).toBeCloseTo(kwh(30_000 - 10_050 - 2500), 9);
  });

  it('refuses unknown names with 422 naming them, and changes nothing', async () => {
    const r = await t.app.inject({
      method: 'PUT',
      url,
      headers: await t.auth('bob'),
      payload: { appliances: ['kettle', 'jacuzzi', 'hot tub', 'jacuzzi'] },
    });
    expect(r.statusCode).toBe(422);
    const { error } = r.json<{ error: { message: string; details: { unknown: string[] } } }>();
    expect(error.message).toMatch(/"jacuzzi", "hot tub" are not appliances of the model tiny@1/);
    expect(error.details.unknown).toEqual(['jacuzzi', 'hot tub']);
    expect(await t.parts.metadata.getAppliancesPresent('home')).toBeNull();
  });

  it('lets a viewer read the list but not change it', async () => {
    const r = await t.app.inject({
      method: 'PUT',
      url,
      headers: await t.auth('vera'),
      payload: { appliances: ['kettle'] },
    });
    expect(r.statusCode).toBe(403);
    expect(await t.parts.metadata.getAppliancesPresent('home')).toBeNull();
  });

  it('hides an absent appliance everywhere, history included, and moves its power to other', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url,
      headers: await t.auth('bob'),
      payload: { appliances: heads.filter((h) => h !== hidden) },
    });
    expect(put.statusCode).toBe(200);
    const body = put.json<AppliancesPresentResponse>();
    expect(body.is_default).toBe(false);
    expect(body.appliances.find((a) => a.name === hidden)!.present).toBe(false);
    expect(body.appliances.find((a) => a.name === 'kettle')!.present).toBe(true);

    const viewer = await t.auth('vera');
    const list = await t.app.inject({ url: '/api/v1/buildings/home/appliances', headers: viewer });
    expect(
      list.json<{ appliances: Array<{ name: string }> }>().appliances.map((a) => a.name),
    ).toEqual(heads.filter((h) => h !== hidden));

    const p = await energy();
    expect(Object.keys(p.appliances)).toEqual(['kettle']);
    expect(Object.keys(p.appliance_ranges!)).toEqual(['kettle']);
    // Shares still add up: the hidden 2500 W-minutes are now "other".
    expect(p.other_kwh).toBeCloseTo(kwh(30_000 - 10_050), 9);
    expect(p.estimate_coverage).toBe(1);

    const range = `start=${new Date(T).toISOString()}&end=${new Date(T + 10 * MIN).toISOString()}`;
    const readings = await t.app.inject({
      url: `/api/v1/buildings/home/readings?${range}&resolution=1m`,
      headers: viewer,
    });
    const r = readings.json<ReadingsResponse>();
    expect(r.appliances).toEqual(['kettle']);
    expect(r.points.every((x) => Object.keys(x.appliances).join() === 'kettle')).toBe(true);
    expect(r.estimate_coverage).toBe(1);

    const csv = await t.app.inject({
      url: `/api/v1/buildings/home/readings.csv?${range}&resolution=1m`,
      headers: viewer,
    });
    expect(csv.body.split('\n')[0]).toBe('time,mains_w,kettle_w,kettle_on_prob');
    const energyCsv = await t.app.inject({
      url: `/api/v1/buildings/home/energy.csv?${range}`,
      headers: viewer,
    });
    const [head, row] = energyCsv.body.split('\n');
    expect(head).toBe(
      'start,end,total_kwh,kettle_kwh,kettle_kwh_low,kettle_kwh_high,other_kwh,baseload_kwh,coverage,pending_kwh,estimate_coverage',
    );
    expect(row!.split(',').slice(3, 6)).toEqual(['0.168', '0.151', '0.193']);
  });

  it('shows the appliance again, with its history, once it is ticked again', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url,
      headers: await t.auth('admin'),
      payload: { appliances: heads },
    });
    expect(put.statusCode).toBe(200);
    const p = await energy();
    expect(p.appliances[hidden]).toBeCloseTo(kwh(2500), 9);
  });
});
