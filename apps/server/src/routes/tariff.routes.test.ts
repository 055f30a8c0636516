// Proves the tariff and price routes through app.inject on embedded parts: standing charge,
// export price and dynamic source kept; price CSV uploads stored whole or refused with a 422
// naming the bad line (nothing stored); Octopus prices fetched from a local stand-in (pagination,
// gaps, errors and timeouts recorded and shown); the scheduled refresher; and the cheapest hours
// of the next local day priced dynamic > band > flat (stored prices only while the tariff has a
// dynamic source).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { PriceRefresher, PricesService } from '../prices/prices.service.js';
import { startOctopusStandIn, type OctopusStandIn } from '../prices/octopus.standin.fixture.js';

const PRODUCT = 'AGILE-24-10-01';
const TARIFF = 'E-1R-AGILE-24-10-01-C';
/** The app's clock: 2026-03-28 12:00 UTC, the day before the UK's clocks go forward. */
const NOW = Date.UTC(2026, 2, 28, 12, 0);

/** Stand-in prices in pence: 20p, except 02:00-05:00 UTC at 5p and 17:00-19:00 at 40p. */
const pence = (startMs: number): number => {
  const h = new Date(startMs).getUTCHours();
  return h >= 2 && h < 5 ? 5 : h >= 17 && h < 19 ? 40 : 20;
};

let t: TestApp;
let octopus: OctopusStandIn;
let admin: Record<string, string>;
let alice: Record<string, string>;

beforeAll(async () => {
  octopus = await startOctopusStandIn({ product: PRODUCT, tariff: TARIFF, pence, pageSize: 40 });
  t = await openTestApp(
    { PRICE_API_URL: octopus.url, PRICE_FETCH_TIMEOUT_MS: '300' },
    { now: () => NOW },
  );
  admin = await t.auth('admin');
  alice = await t.auth('alice');
  await t.parts.metadata.createBuilding({
    id: 'london',
    name: 'London',
    timezone: 'Europe/London',
    isDemo: false,
    modelRef: null,
  });
  await t.parts.metadata.setMember({ buildingId: 'london', userId: 'alice', role: 'viewer' });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await octopus?.close();
}, 60_000);

const tariffUrl = (id: string) => `/api/v1/buildings/${id}/tariff`;
const pricesUrl = (id: string, q = '') => `/api/v1/buildings/${id}/prices${q}`;
const agile = {
  currency: 'GBP',
  price_per_kwh: 0.3,
  bands: [{ name: 'Night', start: '00:00', end: '07:00', price_per_kwh: 0.1 }],
  standing_charge_per_day: 0.61,
  export_price_per_kwh: 0.15,
  dynamic: { source: 'octopus', product: PRODUCT, tariff: TARIFF },
};
const putCsv = (id: string, body: string, headers = admin, type = 'text/csv') =>
  t.app.inject({
    method: 'PUT',
    url: pricesUrl(id),
    headers: { ...headers, 'content-type': type },
    payload: body,
  });

describe('tariff with a standing charge, an export price and a dynamic source', () => {
  it('is kept whole and read back by members', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: tariffUrl('london'),
      headers: admin,
      payload: agile,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ building_id: 'london', ...agile, is_default: false });
    const got = await t.app.inject({ url: tariffUrl('london'), headers: alice });
    expect(got.json()).toEqual({ building_id: 'london', ...agile, is_default: false });
  });

  it.each([
    ['a negative standing charge', { standing_charge_per_day: -1 }, /standing_charge_per_day/],
    ['an export price over 100', { export_price_per_kwh: 101 }, /export_price_per_kwh/],
    ['an unknown dynamic source', { dynamic: { source: 'tibber' } }, /dynamic/],
    [
      'an Octopus tariff code in lower case',
      { dynamic: { source: 'octopus', product: PRODUCT, tariff: 'e-1r-agile' } },
      /dynamic/,
    ],
  ])('refuses %s with 422 and keeps the tariff', async (_, change, message) => {
    const r = await t.app.inject({
      method: 'PUT',
      url: tariffUrl('london'),
      headers: admin,
      payload: { ...agile, ...change },
    });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.message).toMatch(message);
    const got = await t.app.inject({ url: tariffUrl('london'), headers: admin });
    expect(got.json().standing_charge_per_day).toBe(0.61);
  });
});

describe('price CSV upload (PUT /buildings/{id}/prices)', () => {
  const csv = [
    'start,price_per_kwh',
    '2026-03-01T00:00:00Z,0.20',
    '2026-03-01T00:30:00Z,-0.02',
    '2026-03-01T01:30:00Z,0.15',
  ].join('\n');

  it('stores half hours (a missing row stays a gap) and reads them back by window', async () => {
    const r = await putCsv('home', csv);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      building_id: 'home',
      imported: 3,
      start: '2026-03-01T00:00:00.000Z',
      end: '2026-03-01T02:00:00.000Z',
      slot_minutes: 30,
    });
    const got = await t.app.inject({
      url: pricesUrl('home', '?start=2026-03-01T00:00:00Z&end=2026-03-02T00:00:00Z'),
      headers: admin,
    });
    expect(got.json().slots).toEqual([
      { start: '2026-03-01T00:00:00.000Z', end: '2026-03-01T00:30:00.000Z', price_per_kwh: 0.2 },
      { start: '2026-03-01T00:30:00.000Z', end: '2026-03-01T01:00:00.000Z', price_per_kwh: -0.02 },
      { start: '2026-03-01T01:30:00.000Z', end: '2026-03-01T02:00:00.000Z', price_per_kwh: 0.15 },
    ]);
    expect(got.json().fetch).toBeNull();
  });

  it.each([
    [
      'a price that is not a number',
      'start,price_per_kwh\n2026-03-02T00:00:00Z,0.2\n2026-03-02T00:30:00Z,abc',
      3,
      /line 3: price_per_kwh "abc"/,
    ],
    [
      'a time without a zone',
      'start,price_per_kwh\n2026-03-02T00:00:00Z,0.2\n2026-03-02 00:30,0.2',
      3,
      /line 3: start: .*has no zone/,
    ],
    [
      'a missing price column',
      'start,price\n2026-03-02T00:00:00Z,0.2',
      1,
      /line 1: .*needs the columns start and price_per_kwh/,
    ],
    [
      'a repeated start',
      'start,price_per_kwh\n2026-03-02T00:00:00Z,0.2\n2026-03-02T00:30:00Z,0.2\n2026-03-02T00:00:00Z,0.3',
      4,
      /line 4: .*repeats line 2/,
    ],
    [
      'starts 20 minutes apart',
      'start,price_per_kwh\n2026-03-02T00:00:00Z,0.2\n2026-03-02T00:20:00Z,0.2',
      3,
      /20 minutes apart/,
    ],
    [
      'overlapping slots',
      'start,end,price_per_kwh\n2026-03-02T00:00:00Z,2026-03-02T01:00:00Z,0.2\n2026-03-02T00:30:00Z,2026-03-02T01:30:00Z,0.2',
      3,
      /line 3: .*overlaps line 2/,
    ],
    [
      'a price of 250 per kWh',
      'start,price_per_kwh\n2026-03-02T00:00:00Z,250\n2026-03-02T00:30:00Z,0.2',
      2,
      /line 2: .*0.2415 for 24.15p/,
    ],
    ['an empty file', '', 1, /empty/],
  ])('refuses %s with 422 naming line %#, and stores nothing', async (_, body, line, message) => {
    const r = await putCsv('home', body);
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('VALIDATION_FAILED');
    expect(r.json().error.message).toMatch(message);
    expect(r.json().error.details.line).toBe(line);
    const got = await t.app.inject({
      url: pricesUrl('home', '?start=2026-03-02T00:00:00Z&end=2026-03-03T00:00:00Z'),
      headers: admin,
    });
    expect(got.json().slots).toEqual([]);
  });

  it('refuses JSON (415), a viewer (403) and a non-member (404); the window is bounded', async () => {
    expect((await putCsv('home', csv, admin, 'application/json')).statusCode).toBe(415);
    expect((await putCsv('london', csv, alice)).statusCode).toBe(403);
    expect((await putCsv('home', csv, alice)).statusCode).toBe(404);
    const wide = await t.app.inject({
      url: pricesUrl('home', '?start=2020-01-01T00:00:00Z&end=2026-01-01T00:00:00Z'),
      headers: admin,
    });
    expect(wide.statusCode).toBe(422);
    expect(wide.json().error.code).toBe('VALIDATION_WINDOW');
  });

  it('DELETE forgets the stored prices', async () => {
    await putCsv('home', csv);
    const del = await t.app.inject({ method: 'DELETE', url: pricesUrl('home'), headers: admin });
    expect(del.statusCode).toBe(204);
    const got = await t.app.inject({
      url: pricesUrl('home', '?start=2026-03-01T00:00:00Z&end=2026-03-02T00:00:00Z'),
      headers: admin,
    });
    expect(got.json().slots).toEqual([]);
  });
});

describe('Octopus prices from the stand-in (POST /buildings/{id}/prices/refresh)', () => {
  const refresh = () =>
    t.app.inject({ method: 'POST', url: pricesUrl('london', '/refresh'), headers: admin });
  const window = '?start=2026-03-27T12:00:00Z&end=2026-03-30T12:00:00Z';

  it('follows every page, stores 72 h of half hours in pounds, and counts the gaps', async () => {
    octopus.gaps.add(Date.UTC(2026, 2, 29, 10, 0));
    octopus.gaps.add(Date.UTC(2026, 2, 29, 10, 30));
    const before = octopus.requests.length;
    const r = await refresh();
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      provider: 'octopus',
      attempted_at: new Date(NOW).toISOString(),
      succeeded_at: new Date(NOW).toISOString(),
      error: null,
      slots: 142,
      gaps: 2,
    });
    // 142 rates at 40 a page: four pages, each asked for once.
    const asked = octopus.requests.slice(before);
    expect(asked).toHaveLength(4);
    expect(asked[0]).toContain(
      `/v1/products/${PRODUCT}/electricity-tariffs/${TARIFF}/standard-unit-rates/`,
    );
    expect(asked[0]).toContain('period_from=2026-03-27T12%3A00%3A00.000Z');
    const got = (await t.app.inject({ url: pricesUrl('london', window), headers: alice })).json();
    expect(got.slots).toHaveLength(142);
    expect(got.slots[0]).toEqual({
      start: '2026-03-27T12:00:00.000Z',
      end: '2026-03-27T12:30:00.000Z',
      price_per_kwh: 0.2,
    });
    expect(got.fetch).toMatchObject({ slots: 142, gaps: 2, error: null });
    octopus.gaps.clear();
  });

  it('an error answer is shown as 502 and recorded; the prices and last success stay', async () => {
    octopus.failWith = 503;
    const r = await refresh();
    octopus.failWith = null;
    expect(r.statusCode).toBe(502);
    expect(r.json().error.code).toBe('PRICE_API_FAILED');
    expect(r.json().error.message).toMatch(/answered 503/);
    const got = (await t.app.inject({ url: pricesUrl('london', window), headers: admin })).json();
    expect(got.slots).toHaveLength(142);
    expect(got.fetch).toMatchObject({
      error: expect.stringMatching(/answered 503/),
      succeeded_at: new Date(NOW).toISOString(),
      slots: 142,
    });
  });

  it('a price API that does not answer in time fails the fetch with a timeout', async () => {
    octopus.delayMs = 2000;
    const r = await refresh();
    octopus.delayMs = 0;
    expect(r.statusCode).toBe(502);
    expect(r.json().error.message).toMatch(/did not answer within 0.3 s/);
  });

  it('an unknown tariff code says which codes to check', async () => {
    const other = {
      ...agile,
      dynamic: { source: 'octopus', product: PRODUCT, tariff: 'E-1R-NOPE-Z' },
    };
    await t.app.inject({ method: 'PUT', url: tariffUrl('london'), headers: admin, payload: other });
    const r = await refresh();
    await t.app.inject({ method: 'PUT', url: tariffUrl('london'), headers: admin, payload: agile });
    expect(r.statusCode).toBe(502);
    expect(r.json().error.message).toMatch(
      /no tariff E-1R-NOPE-Z of product AGILE-24-10-01 \(404\)/,
    );
  });

  it('a tariff without an Octopus source is refused (422), and a viewer may not refresh', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: pricesUrl('home', '/refresh'),
      headers: admin,
    });
    expect(r.statusCode).toBe(422);
    const v = await t.app.inject({
      method: 'POST',
      url: pricesUrl('london', '/refresh'),
      headers: alice,
    });
    expect(v.statusCode).toBe(403);
  });

  it('the scheduled refresher fetches every building with an Octopus tariff', async () => {
    const logged: object[] = [];
    const service = new PricesService({
      metadata: t.parts.metadata,
      now: () => NOW + 3_600_000,
      priceApiUrl: octopus.url,
      timeoutMs: 1000,
    });
    const refresher = new PriceRefresher(service, { warn: (o) => logged.push(o) });
    await refresher.tick();
    expect((await t.parts.metadata.getPriceFetch('london'))?.attemptedAt).toBe(NOW + 3_600_000);
    expect(await t.parts.metadata.getPriceFetch('home')).toBeNull();
    octopus.failWith = 500;
    await refresher.tick();
    octopus.failWith = null;
    expect(logged).toEqual([{ buildings: 1, failed: 1 }]);
  });
});

describe('cheapest hours (GET /buildings/{id}/prices/cheapest)', () => {
  it("finds tomorrow's cheapest 3-hour block in the building's zone (a 23-hour DST day)", async () => {
    // Tomorrow in London is 2026-03-29, when clocks go forward: 23 hours, 00:00 GMT to 23:00 UTC.
    await t.app.inject({ method: 'POST', url: pricesUrl('london', '/refresh'), headers: admin });
    const r = await t.app.inject({ url: pricesUrl('london', '/cheapest'), headers: alice });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({
      building_id: 'london',
      currency: 'GBP',
      date: '2026-03-29',
      timezone: 'Europe/London',
      block: {
        start: '2026-03-29T02:00:00.000Z',
        end: '2026-03-29T05:00:00.000Z',
        price_per_kwh: 0.05,
      },
      minutes: 23 * 60,
    });
    expect(body.hours).toHaveLength(23);
    expect(body.hours.slice(0, 3).map((h: { start: string }) => h.start)).toEqual([
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
      '2026-03-29T04:00:00.000Z',
    ]);
    expect(body.hours.at(-1)).toMatchObject({ price_per_kwh: 0.4 });
    // Prices reach 12:00 UTC on the 30th (now + 48 h), so the whole day is dynamic.
    expect(body.dynamic_minutes).toBe(23 * 60);
  });

  it('where dynamic prices are missing, falls back to the bands and says how much was dynamic', async () => {
    const r = await t.app.inject({
      url: pricesUrl('london', '/cheapest?date=2026-04-02&hours=2'),
      headers: alice,
    });
    const body = r.json();
    expect(body.dynamic_minutes).toBe(0);
    // The Night band (00:00-07:00 local, BST) at 0.10 beats the flat 0.30.
    expect(body.block).toEqual({
      start: '2026-04-01T23:00:00.000Z',
      end: '2026-04-02T01:00:00.000Z',
      price_per_kwh: 0.1,
    });
    const bad = await t.app.inject({
      url: pricesUrl('london', '/cheapest?date=2026-02-30'),
      headers: alice,
    });
    expect(bad.statusCode).toBe(422);
  });

  it('stored prices count only while the tariff has a dynamic source', async () => {
    // "home" (UTC): a Night band at 0.10 from 00:00 to 03:00, flat 0.30, and a cheap CSV hour.
    const banded = {
      currency: 'GBP',
      price_per_kwh: 0.3,
      bands: [{ name: 'Night', start: '00:00', end: '03:00', price_per_kwh: 0.1 }],
    };
    const setTariff = (dynamic: object | null) =>
      t.app.inject({
        method: 'PUT',
        url: tariffUrl('home'),
        headers: admin,
        payload: { ...banded, dynamic },
      });
    const cheapest = async () =>
      (
        await t.app.inject({
          url: pricesUrl('home', '/cheapest?date=2026-05-10&hours=1'),
          headers: admin,
        })
      ).json();
    await setTariff(null);
    const csv = 'start,end,price_per_kwh\n2026-05-10T12:00:00Z,2026-05-10T13:00:00Z,0.01';
    expect((await putCsv('home', csv)).statusCode).toBe(200);

    const off = await cheapest();
    expect(off.dynamic_minutes).toBe(0);
    expect(off.block).toEqual({
      start: '2026-05-10T00:00:00.000Z',
      end: '2026-05-10T01:00:00.000Z',
      price_per_kwh: 0.1,
    });

    await setTariff({ source: 'csv' });
    const on = await cheapest();
    expect(on.dynamic_minutes).toBe(60);
    expect(on.block).toEqual({
      start: '2026-05-10T12:00:00.000Z',
      end: '2026-05-10T13:00:00.000Z',
      price_per_kwh: 0.01,
    });
    await t.app.inject({ method: 'DELETE', url: pricesUrl('home'), headers: admin });
  });
});
