// Proves POST /ingest with `appliance` on embedded parts: a device token of the building stores a
// plug's readings as the sub-meter series of the appliance an owner bound a submeter source to
// (an alias finds it), never in the mains, and the source shows the newest value; an appliance
// without such a source, production or phases, a negative power, a bad time, or another
// building's token are refused and store nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { generateDeviceToken } from '../auth/device.token.js';

/** The app's clock: 2026-11-10 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 10, 12);
const MIN = 60_000;

let t: TestApp;
let device: Record<string, string>;

beforeAll(async () => {
  t = await openTestApp({}, { now: () => NOW });
  const token = generateDeviceToken();
  await t.parts.metadata.createDeviceToken({
    id: 'home-tok',
    buildingId: 'home',
    name: 'plug',
    tokenHash: token.hash,
  });
  device = { 'x-ingest-token': token.secret };
  await t.parts.metadata.createSource({
    id: 'kettle-plug',
    buildingId: 'home',
    name: 'Kettle plug',
    type: 'tasmota',
    role: 'submeter',
    appliance: 'kettle',
    settings: { topic: 'tele/kettle_plug/SENSOR' },
  });
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const post = (payload: object, headers = device) =>
  t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload });

const start = NOW - 10 * MIN;
const stored = () => t.parts.timeseries.readSubmeterBuckets('home', 'kettle', start, NOW, 60);

describe('POST /ingest with an appliance', () => {
  it("stores a plug's readings as the appliance's sub-meter series, not the mains", async () => {
    const res = await post({
      building_id: 'home',
      appliance: 'Kettle',
      readings: [
        { ts: start, power_w: 2000 },
        { ts: new Date(start + MIN).toISOString(), power_w: 0 },
      ],
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 2 });
    expect(await stored()).toEqual([
      { ts: start, powerW: 2000 },
      { ts: start + MIN, powerW: 0 },
    ]);
    expect(await t.parts.timeseries.readReadings('home', start, NOW)).toEqual([]);
    expect(await t.parts.metadata.getSource('kettle-plug')).toMatchObject({
      lastValueW: 0,
      lastSeenAt: NOW,
    });
  });

  it('refuses what is not a bound sub-meter reading, storing nothing', async () => {
    const at = start + 5 * MIN;
    const refusals: Array<[object, number, string]> = [
      [{ appliance: 'fridge', readings: [{ ts: at, power_w: 80 }] }, 422, 'VALIDATION_FAILED'],
      [
        { appliance: 'kettle', readings: [{ ts: at, power_w: 80, production_w: 10 }] },
        422,
        'VALIDATION_FAILED',
      ],
      [
        { appliance: 'kettle', readings: [{ ts: at, power_w: 80, phases_w: [80] }] },
        422,
        'VALIDATION_FAILED',
      ],
      [
        {
          appliance: 'kettle',
          readings: [
            { ts: at, power_w: 80 },
            { ts: at + MIN, power_w: -5 },
          ],
        },
        422,
        'VALIDATION_POWER',
      ],
      [
        { appliance: 'kettle', readings: [{ ts: 'yesterday', power_w: 80 }] },
        422,
        'VALIDATION_TIME',
      ],
    ];
    for (const [body, status, code] of refusals) {
      const res = await post({ building_id: 'home', ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json()).toMatchObject({ error: { code } });
    }
    const unbound = await post({
      building_id: 'home',
      appliance: 'fridge',
      readings: [{ ts: at, power_w: 80 }],
    });
    expect(unbound.json()).toMatchObject({ error: { details: { setting: 'appliance' } } });
    await t.parts.metadata.createBuilding({
      id: 'other',
      name: 'Other',
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    const foreign = await post({
      building_id: 'other',
      appliance: 'kettle',
      readings: [{ ts: at, power_w: 80 }],
    });
    expect(foreign.statusCode).toBe(404);
    expect(await stored()).toHaveLength(2);
    expect(await t.parts.timeseries.readSubmeterBuckets('home', 'fridge', start, NOW, 60)).toEqual(
      [],
    );
  });
});
