// The readings' columnar shape (`?shape=columns`: the same numbers as the point shape, one array
// per series) and HTTP caching of finished history: an ETag on ranges that are over and
// estimated, 304 on If-None-Match, and a new ETag once the span is re-estimated or re-imported.
import { ReadingsColumns, type ReadingsResponse } from '@nilm/contracts';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const RANGE = `start=${T0}&end=${T0 + 2 * HOUR}&resolution=15m`;
const READINGS = `/api/v1/buildings/home/readings?${RANGE}`;
const ENERGY = `/api/v1/buildings/home/energy?start=${T0}&end=${T0 + 86_400_000}&period=day`;

let t: TestApp;
let auth: Record<string, string>;

const estimates = (kettleW: number) =>
  Array.from({ length: 120 }, (_, i) => [
    { ts: T0 + i * 60_000, appliance: 'kettle', powerW: i < 30 ? kettleW : 0, onProb: 0.9 },
    { ts: T0 + i * 60_000, appliance: 'washing_machine', powerW: 10, onProb: 0.1 },
  ]).flat();

beforeAll(async () => {
  t = await openTestApp();
  auth = await t.auth('admin', 'admin');
  const ts = t.parts.timeseries;
  // Two hours of readings, estimated; a gap from 00:30 to 00:45 (no readings, no estimates).
  const minutes = Array.from({ length: 120 }, (_, i) => i).filter((i) => i < 30 || i >= 45);
  await ts.writeReadings(
    'home',
    minutes.map((i) => ({ ts: T0 + i * 60_000, powerW: 2000 + i })),
  );
  await ts.writeEstimates(
    'home',
    'tiny@1',
    estimates(1800).filter((e) => minutes.includes((e.ts - T0) / 60_000)),
  );
  await ts.writeGrid('home', [
    { ts: T0, importW: 2000, exportW: 0, productionW: null, phasesW: [700, 650, 650] },
  ]);
}, 120_000);

afterAll(async () => t?.close(), 60_000);

describe('GET /buildings/{id}/readings?shape=columns', () => {
  it('answers the numbers of the point shape as one array per series', async () => {
    const points = (await t.app.inject({ url: READINGS, headers: auth })).json<ReadingsResponse>();
    const r = await t.app.inject({ url: `${READINGS}&shape=columns`, headers: auth });
    expect(r.statusCode).toBe(200);
    const c = r.json<ReadingsColumns>();
    expect(Value.Check(ReadingsColumns, c)).toBe(true);
    expect(c.shape).toBe('columns');
    expect(c.appliances).toEqual(points.appliances);
    expect(c.resolution_s).toBe(900);
    expect(c.estimate_coverage).toBe(points.estimate_coverage);
    // The empty quarter (00:30-00:45) is left out in both shapes.
    expect(c.time_ms).toEqual(points.points.map((p) => Date.parse(p.time)));
    expect(c.time_ms).not.toContain(T0 + 30 * 60_000);
    expect(c.power_w).toEqual(points.points.map((p) => p.power_w));
    for (const a of c.appliances) {
      expect(c.appliance_power_w[a]).toEqual(
        points.points.map((p) => p.appliances[a]?.power_w ?? null),
      );
      expect(c.appliance_on_prob[a]).toEqual(
        points.points.map((p) => p.appliances[a]?.on_prob ?? null),
      );
    }
    expect(c.power_w[0]).toBe(2007); // mean of 2000..2014
    expect(c.appliance_power_w.kettle!.slice(0, 3)).toEqual([1800, 1800, 0]);
    // Grid only in the first bucket; the others null.
    expect(c.grid!.import_w).toEqual([2000, ...Array(c.time_ms.length - 1).fill(null)]);
    expect(c.grid!.phases_w[0]).toEqual([700, 650, 650]);
    expect(c.grid!.phases_w[1]).toBeNull();
    expect(r.body.length).toBeLessThan(JSON.stringify(points).length);
  });

  it('refuses an unknown shape with 422 and says which are known', async () => {
    const r = await t.app.inject({ url: `${READINGS}&shape=rows`, headers: auth });
    expect(r.statusCode).toBe(422);
    expect(r.body).toMatch(/shape/);
  });
});

describe('HTTP caching of finished history', () => {
  it('gives a finished, estimated range an ETag and answers 304 to it; a re-estimate changes it', async () => {
    for (const url of [READINGS, `${READINGS}&shape=columns`]) {
      const first = await t.app.inject({ url, headers: auth });
      const tag = first.headers.etag as string;
      expect(tag).toMatch(/^W\/".+"$/);
      expect(first.headers['cache-control']).toBe('private, no-cache');
      const again = await t.app.inject({ url, headers: { ...auth, 'if-none-match': tag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      const other = await t.app.inject({ url, headers: { ...auth, 'if-none-match': 'W/"x"' } });
      expect(other.statusCode).toBe(200);
      expect(other.json()).toEqual(first.json());
    }
    const before = (await t.app.inject({ url: READINGS, headers: auth })).headers.etag as string;
    // The span re-estimated (a newer model): same range, new numbers, new ETag.
    await t.parts.timeseries.writeEstimates(
      'home',
      'tiny@2',
      estimates(2100).filter((e) => e.ts < T0 + 30 * 60_000),
    );
    const after = await t.app.inject({
      url: READINGS,
      headers: { ...auth, 'if-none-match': before },
    });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before);
    expect(after.json<ReadingsResponse>().points[0]!.appliances.kettle!.power_w).toBe(2100);
  });

  it('gives no ETag to a range still being estimated, nor to one that is still open', async () => {
    // Readings imported after 02:00 with no estimates yet.
    await t.parts.timeseries.writeReadings('home', [{ ts: T0 + 2 * HOUR, powerW: 500 }]);
    const pending = await t.app.inject({
      url: `/api/v1/buildings/home/readings?start=${T0}&end=${T0 + 3 * HOUR}&resolution=15m`,
      headers: auth,
    });
    expect(pending.json<ReadingsResponse>().estimate_coverage).toBeLessThan(1);
    expect(pending.headers.etag).toBeUndefined();
    const open = await t.app.inject({
      url: '/api/v1/buildings/home/readings?start=-1h',
      headers: auth,
    });
    expect(open.statusCode).toBe(200);
    expect(open.headers.etag).toBeUndefined();
  });

  it('caches a finished energy report the same way; a re-import changes its ETag', async () => {
    const day = `/api/v1/buildings/home/energy?start=${T0 - 86_400_000}&end=${T0}&period=day`;
    await t.parts.timeseries.writeReadings('home', [{ ts: T0 - HOUR, powerW: 300 }]);
    await t.parts.timeseries.writeEstimates('home', 'tiny@1', [
      { ts: T0 - HOUR, appliance: 'kettle', powerW: 0, onProb: 0 },
    ]);
    const first = await t.app.inject({ url: day, headers: auth });
    const tag = first.headers.etag as string;
    expect(tag).toMatch(/^W\//);
    const again = await t.app.inject({ url: day, headers: { ...auth, 'if-none-match': tag } });
    expect(again.statusCode).toBe(304);
    // Re-imported with another value: the day's total changes, and so does its ETag.
    await t.parts.timeseries.writeReadings('home', [{ ts: T0 - HOUR, powerW: 600 }]);
    const reimported = await t.app.inject({ url: day, headers: { ...auth, 'if-none-match': tag } });
    expect(reimported.statusCode).toBe(200);
    expect(reimported.headers.etag).not.toBe(tag);
    expect(reimported.json().periods[0].total_kwh).toBeCloseTo(0.01, 6);
    // The report of a day with minutes not yet estimated has none.
    const pending = await t.app.inject({ url: ENERGY, headers: auth });
    expect(pending.headers.etag).toBeUndefined();
  });
});
