// Proves a range given relative to now ("start=-31d", end now) is read against one clock reading
// per request: with a clock that moves on every call, a 31-day range is still at most 31 days
// (two readings made it 31 days and a few ms on a loaded machine, and the route refused it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';

let t: TestApp;
let auth: Record<string, string>;
let clock = Date.UTC(2024, 5, 1);

beforeAll(async () => {
  // Every reading of the clock is 7 ms after the one before.
  t = await openTestApp({}, { now: () => (clock += 7) });
  auth = await t.auth('admin', 'admin');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('relative ranges', () => {
  it('answers runs over exactly 31 days, whatever the clock did meanwhile', async () => {
    const r = await t.app.inject({
      url: '/api/v1/buildings/home/appliances/kettle/runs?start=-31d',
      headers: auth,
    });
    expect(r.statusCode, r.body).toBe(200);
  });

  it('answers readings and labels of a relative range', async () => {
    for (const url of [
      '/api/v1/buildings/home/readings?start=-31d&resolution=1d',
      '/api/v1/buildings/home/labels?from=-31d&to=now',
    ]) {
      const r = await t.app.inject({ url, headers: auth });
      expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
    }
  });
});
