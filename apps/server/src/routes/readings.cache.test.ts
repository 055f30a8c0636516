// Proves the readings answer cache keeps finished answers within its byte bound (least recently
// used out), keys them by the appliances shown, revalidates them by the store's rollups (a reading
// rewritten through another handle changes the next answer), and, through the real app, sends
// the same bytes cached as computed, in br, gzip or plain, with 304 on a matching If-None-Match.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { ReadingsColumns, ReadingsResponse } from '@nilm/contracts';
import {
  DuckDbTimeSeriesStore,
  WatermarkedTimeSeriesStore,
  type TimeSeriesStore,
} from '@nilm/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';
import {
  answerKey,
  negotiateEncoding,
  rangeFingerprint,
  ReadingsAnswerCache,
  viewSignature,
} from './readings.cache.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const APPS = ['kettle', 'microwave', 'dishwasher', 'washing_machine'];

/** A day of minute readings and four appliances' estimates from `from`. */
async function writeDay(store: TimeSeriesStore, id: string, from: number): Promise<void> {
  await store.writeReadings(
    id,
    Array.from({ length: 1440 }, (_, i) => ({ ts: from + i * MIN, powerW: 150 + (i % 500) })),
  );
  await store.writeEstimates(
    id,
    'tiny@1',
    Array.from({ length: 1440 * APPS.length }, (_, i) => ({
      ts: from + Math.floor(i / APPS.length) * MIN,
      appliance: APPS[i % APPS.length]!,
      powerW: i % 50,
      onProb: 0.1,
    })),
  );
}

describe('ReadingsAnswerCache', () => {
  const body = (n: number, fill = 'x') => `{"v":"${fill.repeat(n)}"}`;

  it('holds at most maxBytes, dropping the least recently used first', () => {
    // Each entry counts about 1.3 KB (its body, key, fingerprint and overhead): two fit, not three.
    const cache = new ReadingsAnswerCache({ maxBytes: 3000 });
    cache.set('a', 'f', body(1000));
    cache.set('b', 'f', body(1000));
    expect(cache.size).toBe(2);
    expect(cache.get('a', 'f')).toBeDefined(); // a is now the most recently used
    cache.set('c', 'f', body(1000));
    expect(cache.bytes).toBeLessThanOrEqual(3000);
    expect(cache.get('b', 'f')).toBeUndefined();
    expect(cache.get('a', 'f')).toBeDefined();
    expect(cache.get('c', 'f')).toBeDefined();
    // An answer larger than the whole cache is answered but not kept, and evicts nothing.
    const huge = cache.set('h', 'f', body(5000));
    expect(huge.body.byteLength).toBe(5008);
    expect(cache.get('h', 'f')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('answers only for the fingerprint it was stored with', () => {
    const cache = new ReadingsAnswerCache();
    const stored = cache.set('k', 'rows-1', body(10));
    expect(cache.get('k', 'rows-1')).toBe(stored);
    expect(cache.get('k', 'rows-2')).toBeUndefined();
    expect(stored.etag).toMatch(/^W\/".+"$/);
    // Replaced under the same key: the bytes are counted once.
    const before = cache.bytes;
    cache.set('k', 'rows-2', body(10));
    expect(cache.bytes).toBe(before);
    expect(cache.get('k', 'rows-1')).toBeUndefined();
  });

  it('compresses an answer once per encoding, counts the forms, and evicts for them', async () => {
    const cache = new ReadingsAnswerCache({ maxBytes: 60_000 });
    const text = JSON.stringify({ points: Array.from({ length: 2000 }, (_, i) => i % 7) });
    const a = cache.set('a', 'f', text);
    const held = cache.bytes;
    const [br1, br2] = await Promise.all([
      cache.encoded('a', a, 'br'),
      cache.encoded('a', a, 'br'),
    ]);
    expect(br1).toBe(br2);
    expect(brotliDecompressSync(br1).toString('utf8')).toBe(text);
    const gz = await cache.encoded('a', a, 'gzip');
    expect(gunzipSync(gz).toString('utf8')).toBe(text);
    expect(await cache.encoded('a', a, 'gzip')).toBe(gz);
    expect(cache.bytes).toBe(held + br1.byteLength + gz.byteLength);
    // Filling the cache with others pushes out the oldest, compressed forms and all.
    for (let i = 0; i < 20; i++) cache.set(`b${i}`, 'f', body(5000));
    expect(cache.bytes).toBeLessThanOrEqual(60_000);
    expect(cache.get('a', 'f')).toBeUndefined();
    // An answer no longer cached is still compressed for its request, and not counted.
    const bytes = cache.bytes;
    expect(gunzipSync(await cache.encoded('a', a, 'gzip')).toString('utf8')).toBe(text);
    expect(cache.bytes).toBe(bytes);
  });

  it('refuses a size that is not a positive whole number of bytes', () => {
    expect(() => new ReadingsAnswerCache({ maxBytes: 0 })).toThrow(/positive whole number/);
    expect(() => new ReadingsAnswerCache({ brotliQuality: 12 })).toThrow(/0 to 11/);
  });
});

describe('answer keys', () => {
  const parts = {
    buildingId: 'home',
    startMs: T0,
    endMs: T0 + DAY,
    resolutionS: 60,
    shape: 'points' as const,
  };

  it('differ by the appliances shown, in any order, and by shape and resolution', () => {
    const all = answerKey({ ...parts, view: viewSignature(null) });
    const two = answerKey({ ...parts, view: viewSignature(new Set(['kettle', 'fridge'])) });
    const same = answerKey({ ...parts, view: viewSignature(new Set(['fridge', 'kettle'])) });
    const one = answerKey({ ...parts, view: viewSignature(new Set(['kettle'])) });
    expect(new Set([all, two, one]).size).toBe(3);
    expect(same).toBe(two);
    const view = viewSignature(null);
    expect(answerKey({ ...parts, view, shape: 'columns' })).not.toBe(all);
    expect(answerKey({ ...parts, view, resolutionS: 300 })).not.toBe(all);
    expect(answerKey({ ...parts, view, endMs: T0 + DAY - MIN })).not.toBe(all);
  });
});

describe('rangeFingerprint', () => {
  let store: DuckDbTimeSeriesStore;
  beforeAll(async () => {
    store = await DuckDbTimeSeriesStore.open();
    await writeDay(store, 'home', T0);
  });
  afterAll(async () => store?.close());

  it('changes when one reading of the range is rewritten, and only then', async () => {
    const now = T0 + 10 * DAY;
    const first = await rangeFingerprint(store, 'home', T0, T0 + DAY, now);
    expect(first).not.toBeNull();
    expect(await rangeFingerprint(store, 'home', T0, T0 + DAY, now)).toBe(first);
    await store.writeReadings('home', [{ ts: T0 + 5 * MIN, powerW: 9999 }]);
    const rewritten = await rangeFingerprint(store, 'home', T0, T0 + DAY, now);
    expect(rewritten).not.toBe(first);
    // A re-estimate of one minute changes it too.
    await store.writeEstimates('home', 'tiny@2', [
      { ts: T0 + 7 * MIN, appliance: 'kettle', powerW: 2000, onProb: 0.95 },
    ]);
    expect(await rangeFingerprint(store, 'home', T0, T0 + DAY, now)).not.toBe(rewritten);
  });

  it('reads quarter hours in the current UTC day, so later writes today leave it alone', async () => {
    const today = T0 + 3 * DAY;
    await writeDay(store, 'today', today);
    const now = today + 23 * 3_600_000;
    const morning = await rangeFingerprint(store, 'today', today, today + 6 * 3_600_000, now);
    expect(morning).toMatch(/^d/);
    await store.writeReadings('today', [{ ts: today + 20 * 3_600_000, powerW: 1 }]);
    expect(await rangeFingerprint(store, 'today', today, today + 6 * 3_600_000, now)).toBe(morning);
    await store.writeReadings('today', [{ ts: today + 3 * 3_600_000, powerW: 1 }]);
    expect(await rangeFingerprint(store, 'today', today, today + 6 * 3_600_000, now)).not.toBe(
      morning,
    );
  });

  it('is null without rollups, or without data in the range', async () => {
    // The same store with its optional rollup read hidden, as a store that keeps none has it.
    const noRollups = Object.create(store, {
      readRollupRows: { value: undefined },
    }) as TimeSeriesStore;
    expect(await rangeFingerprint(noRollups, 'home', T0, T0 + DAY, T0 + 10 * DAY)).toBeNull();
    expect(await rangeFingerprint(store, 'nobody', T0, T0 + DAY, T0 + 10 * DAY)).toBeNull();
  });
});

describe('negotiateEncoding', () => {
  it('prefers br, then gzip, as the client accepts them', () => {
    expect(negotiateEncoding(undefined)).toBeNull();
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('gzip, deflate')).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBeNull();
    expect(negotiateEncoding('x-gzip')).toBe('gzip');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('identity')).toBeNull();
  });
});

describe('finished readings through the app', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  const url = (extra = '') =>
    `/api/v1/buildings/home/readings?start=${T0}&end=${T0 + DAY}&resolution=1m${extra}`;
  const decoded = (r: { headers: Record<string, unknown>; rawPayload: Buffer }): string => {
    const enc = r.headers['content-encoding'];
    if (enc === 'br') return brotliDecompressSync(r.rawPayload).toString('utf8');
    if (enc === 'gzip') return gunzipSync(r.rawPayload).toString('utf8');
    expect(enc).toBeUndefined();
    return r.rawPayload.toString('utf8');
  };

  beforeAll(async () => {
    t = await openTestApp();
    auth = await t.auth('admin', 'admin');
    await writeDay(t.parts.timeseries, 'home', T0);
  }, 120_000);
  afterAll(async () => t?.close(), 60_000);

  it('sends the same bytes cached as computed, in each shape and encoding', async () => {
    for (const shape of ['', '&shape=columns']) {
      const plain = await t.app.inject({ url: url(shape), headers: auth });
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
      for (const encoding of ['br', 'gzip', 'gzip, deflate, br', 'identity']) {
        const headers = { ...auth, 'accept-encoding': encoding };
        const first = await t.app.inject({ url: url(shape), headers });
        const again = await t.app.inject({ url: url(shape), headers });
        expect(first.statusCode).toBe(200);
        expect(again.headers['content-encoding']).toBe(first.headers['content-encoding']);
        expect(decoded(first)).toBe(plain.body);
        expect(decoded(again)).toBe(plain.body);
        expect(again.headers.etag).toBe(plain.headers.etag);
        if (encoding !== 'identity') {
          expect(first.headers['content-encoding']).toBe(encoding === 'gzip' ? 'gzip' : 'br');
          expect(first.headers.vary).toMatch(/accept-encoding/);
        }
      }
    }
    const points = (await t.app.inject({ url: url(), headers: auth })).json<ReadingsResponse>();
    expect(points.points).toHaveLength(1440);
    expect(points.appliances).toEqual([...APPS].sort());
    const columns = (
      await t.app.inject({ url: url('&shape=columns'), headers: auth })
    ).json<ReadingsColumns>();
    expect(columns.time_ms).toEqual(points.points.map((p) => Date.parse(p.time)));
  });

  it('answers 304 to a matching If-None-Match, cached or not', async () => {
    const first = await t.app.inject({ url: url(), headers: auth });
    const tag = first.headers.etag as string;
    expect(tag).toMatch(/^W\/".+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const again = await t.app.inject({
      url: url(),
      headers: { ...auth, 'if-none-match': tag, 'accept-encoding': 'br' },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(tag);
    expect(again.headers['content-encoding']).toBeUndefined();
  });

  it('answers anew once a reading of the day is rewritten through another handle', async () => {
    const before = await t.app.inject({ url: url(), headers: auth });
    const tag = before.headers.etag as string;
    // The route is never told of this write: the server's own store wraps this one, and a
    // worker's process would write to the same data behind the server's back in the same way.
    const server = t.parts.timeseries;
    expect(server).toBeInstanceOf(WatermarkedTimeSeriesStore);
    const other = (server as WatermarkedTimeSeriesStore).inner;
    await other.writeReadings('home', [{ ts: T0 + 5 * MIN, powerW: 9999 }]);
    const after = await t.app.inject({
      url: url(),
      headers: { ...auth, 'if-none-match': tag, 'accept-encoding': 'gzip' },
    });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(tag);
    const body = JSON.parse(decoded(after)) as ReadingsResponse;
    expect(body.points[5]!.power_w).toBe(9999);
    const columns = (
      await t.app.inject({ url: url('&shape=columns'), headers: auth })
    ).json<ReadingsColumns>();
    expect(columns.power_w[5]).toBe(9999);
  });

  it('answers anew when the building shows other appliances', async () => {
    const all = (await t.app.inject({ url: url(), headers: auth })).json<ReadingsResponse>();
    expect(all.appliances).toContain('kettle');
    await t.parts.metadata.setAppliancesPresent('home', ['microwave']);
    try {
      const one = (await t.app.inject({ url: url(), headers: auth })).json<ReadingsResponse>();
      expect(one.appliances).toEqual(['microwave']);
      expect(Object.keys(one.points[0]!.appliances)).toEqual(['microwave']);
    } finally {
      await t.parts.metadata.setAppliancesPresent('home', APPS);
    }
  });
});
