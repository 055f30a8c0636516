// Proves long ranges that end now are read as hour-stable finished history plus a live tail at
// the resolution the whole range would have had, with buckets meeting at the seam; that short,
// closed or unreadable ranges stay one request; and that the two answers merge into one
// ReadingsColumns (appliance and grid series filled with nulls where a part has none, no time
// twice, coverage weighted), also through the API client's two requests.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RangeQuery } from '@nilm/contracts';
import { columnsOf } from '../test/readings.fixture.js';
import { createApiClient } from './api.client.js';
import {
  mergeReadings,
  resolutionSeconds,
  splitReadingsQuery,
  SPLIT_FROM_MS,
} from './readings.split.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (s: string) => Date.parse(s);
const now = at('2026-12-06T03:17:42.123Z');

/** The history's and tail's spans as the server sees them (the tail up to `serverNow`). */
function spans(q: RangeQuery, serverNow: number) {
  const s = splitReadingsQuery(q, serverNow)!;
  const tailStart = at(s.tail.start);
  return {
    s,
    history: at(s.history.end!) - at(s.history.start),
    tail: serverNow - tailStart,
    tailStart,
  };
}

describe('splitReadingsQuery', () => {
  it('cuts the last 24 h at the current hour minus one, history from the floored hour', () => {
    const s = splitReadingsQuery({ start: '-24h', resolution: 'auto', points: 900 }, now);
    // 86,400 s / 900 points = 96 s: the server picks 120 s buckets, which have no name.
    expect(s).toEqual({
      history: {
        start: '2026-12-05T03:00:00.000Z',
        end: '2026-12-06T02:00:00.000Z',
        resolution: 'auto',
        // 23 h at 120 s is 690 buckets; at 60 s 1,380 would be too many: the middle of [690, 1379].
        points: 1034,
      },
      // From 18 min before T, the tail spans 1 h 13 min to 2 h 23 min over any hour (with 5 min
      // for the server's clock): 72 points pick 120 s for all of them (72 x 120 s = 2 h 24 min;
      // 72 x 60 s = 1 h 12 min is too short), and 10 or more cannot from T itself.
      tail: { start: '2026-12-06T01:42:00.000Z', resolution: 'auto', points: 72 },
      seamMs: at('2026-12-06T02:00:00Z'),
    });
  });

  it('asks the tail for the named resolution, the history for points that pick it', () => {
    const s = splitReadingsQuery({ start: '-24h', resolution: '5m' }, now);
    expect(s?.history).toEqual({
      start: '2026-12-05T03:00:00.000Z',
      end: '2026-12-06T02:00:00.000Z',
      // 23 h: 276 to 689 points pick 300 s; parameters other than the tail's (see the module).
      resolution: 'auto',
      points: 482,
    });
    expect(s?.tail).toEqual({ start: '2026-12-06T02:00:00.000Z', resolution: '5m' });
  });

  it('cuts the last 30 days at hourly buckets', () => {
    // 30 days / 900 points = 2,880 s: 1-hour buckets.
    const s = splitReadingsQuery({ start: '-30d', resolution: 'auto', points: 900 }, now);
    expect(s?.history).toEqual({
      start: '2026-11-06T03:00:00.000Z',
      end: '2026-12-06T02:00:00.000Z',
      resolution: 'auto',
      points: 1078,
    });
    expect(s?.tail).toEqual({ start: '2026-12-06T02:00:00.000Z', resolution: '1h' });
  });

  it('starts a tail too short for its unnamed step whole buckets before the seam', () => {
    // 30 days / 600 points = 4,320 s: 2-hour buckets. 1 h 17 min cannot make 'auto' pick 2 h
    // with at least 10 points; 11 h 17 min (5 buckets more) can, with exactly 10.
    const s = splitReadingsQuery({ start: '-30d', resolution: 'auto', points: 600 }, now)!;
    expect(s.seamMs).toBe(at('2026-12-06T02:00:00Z'));
    expect(s.history.start).toBe('2026-11-06T02:00:00.000Z');
    expect(s.tail).toEqual({ start: '2026-12-05T16:00:00.000Z', resolution: 'auto', points: 10 });
  });

  it('puts the seam on a day boundary for daily buckets', () => {
    const s = splitReadingsQuery({ start: '-90d', resolution: '1d' }, now)!;
    expect(s.seamMs).toBe(at('2026-12-06T00:00:00Z'));
    expect(s.history.start).toBe('2026-09-07T00:00:00.000Z');
    expect(s.tail).toEqual({ start: '2026-12-06T00:00:00.000Z', resolution: '1d' });
  });

  it('reads a short range, like the last hour, in one request', () => {
    expect(splitReadingsQuery({ start: '-1h', resolution: 'auto', points: 900 }, now)).toBeNull();
    expect(splitReadingsQuery({ start: '-2h', resolution: '1m' }, now)).toBeNull();
    expect(SPLIT_FROM_MS).toBe(3 * HOUR);
    expect(splitReadingsQuery({ start: '-3h', resolution: '1m' }, now)?.tail.start).toBe(
      '2026-12-06T02:00:00.000Z',
    );
  });

  it('reads an explicit absolute range in one request', () => {
    const closed = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
    expect(splitReadingsQuery({ ...closed, resolution: '1h' }, now)).toBeNull();
    expect(splitReadingsQuery({ start: '-30d', end: '-1d' }, now)).toBeNull();
  });

  it('keeps an absolute start that runs to now as given, and splits it', () => {
    const s = splitReadingsQuery({ start: '2026-12-06T00:00:00Z', resolution: '15m' }, now);
    expect(s?.history).toEqual({
      start: '2026-12-06T00:00:00Z',
      end: '2026-12-06T02:00:00.000Z',
      resolution: 'auto',
      points: 10,
    });
    expect(s?.tail).toEqual({ start: '2026-12-06T02:00:00.000Z', resolution: '15m' });
    expect(splitReadingsQuery({ start: '2026-12-06T00:00:00Z', end: 'now' }, now)).not.toBeNull();
    // Epoch milliseconds, as the server reads them.
    expect(splitReadingsQuery({ start: String(now - DAY), resolution: '1h' }, now)).not.toBeNull();
  });

  it('leaves what the server would refuse to the server, in one request', () => {
    expect(splitReadingsQuery({ start: 'yesterday' }, now)).toBeNull();
    expect(splitReadingsQuery({ start: '' }, now)).toBeNull();
    const bad = { start: '-24h', resolution: '7m' } as unknown as RangeQuery;
    expect(splitReadingsQuery(bad, now)).toBeNull();
  });

  it("keeps the history's URL the same for the hour and changes it at the next", () => {
    const q: RangeQuery = { start: '-24h', resolution: 'auto', points: 900 };
    const hour = at('2026-12-06T03:00:00Z');
    const first = splitReadingsQuery(q, hour)!.history;
    for (let ms = hour; ms < hour + HOUR; ms += 60_000 + 7)
      expect(splitReadingsQuery(q, ms)!.history).toEqual(first);
    expect(splitReadingsQuery(q, hour + HOUR - 1)!.history).toEqual(first);
    expect(splitReadingsQuery(q, hour + HOUR)!.history).not.toEqual(first);
  });

  it('makes both parts come back at the whole range’s buckets, meeting on a boundary', () => {
    const drop = ({ start: _s, end: _e, ...rest }: RangeQuery) => rest;
    for (const start of ['-3h', '-6h', '-24h', '-7d', '-30d', '-90d'])
      for (let points = 100; points <= 2000; points += 50) {
        const q: RangeQuery = { start, resolution: 'auto', points };
        const tails = new Set<string>();
        for (const hour of [0, 3, 13, 23])
          for (const minute of [0, 1, 17, 59]) {
            const t = at('2026-12-06T00:00:00Z') + hour * HOUR + minute * 60_000 + 1234;
            const { s, history, tail, tailStart } = spans(q, t);
            // What one request for the whole range gets: its span is the relative start's.
            const want = resolutionSeconds(q, Number(start.slice(1, -1)) * UNIT[start.at(-1)!]!);
            const bucket = want! * 1000;
            expect(resolutionSeconds(s.history, history), JSON.stringify(s)).toBe(want);
            // The server's now minutes off the client's still picks the same step.
            for (const skew of [-300_000, -5000, 0, 5000, 300_000])
              expect(resolutionSeconds(s.tail, tail + skew), JSON.stringify(s)).toBe(want);
            expect(s.seamMs % bucket).toBe(0);
            expect(at(s.history.start) % bucket).toBe(0);
            expect(tailStart % bucket).toBe(0);
            expect(tailStart).toBeLessThanOrEqual(s.seamMs);
            // The service worker tells answers apart by their parameters other than times.
            expect(drop(s.history)).not.toEqual(drop(s.tail));
            tails.add(JSON.stringify(drop(s.tail)));
          }
        // ... and keeps one per such key: the tail's never changes, so it replaces the last one.
        expect(tails.size, start + ' ' + String(points)).toBe(1);
      }
  });
});

const UNIT: Record<string, number> = { h: HOUR, d: DAY };

const fridge = { power_w: 90, on_prob: 0.9 };
const kettle = { power_w: 2000, on_prob: 0.99 };
const seam = at('2026-12-06T02:00:00Z');
const t = (hhmm: string) => '2026-12-06T' + hhmm + ':00Z';

describe('mergeReadings', () => {
  it('unions the appliances, with nulls where a part has no estimate for one', () => {
    const history = columnsOf(
      [
        { time: t('01:56'), power_w: 200, appliances: { fridge } },
        { time: t('01:58'), power_w: 2200, appliances: { fridge, kettle } },
      ],
      { resolution_s: 120, start: t('01:56'), end: t('02:00') },
    );
    const tail = columnsOf(
      [
        { time: t('02:00'), power_w: 100, appliances: { fridge } },
        { time: t('02:02'), power_w: 110 },
      ],
      { resolution_s: 120, start: t('02:00'), end: '2026-12-06T02:03:10.000Z' },
    );
    expect(mergeReadings(history, tail, seam)).toEqual({
      building_id: 'home',
      start: t('01:56'),
      end: '2026-12-06T02:03:10.000Z',
      resolution_s: 120,
      shape: 'columns',
      appliances: ['fridge', 'kettle'],
      estimate_coverage: 1,
      time_ms: [t('01:56'), t('01:58'), t('02:00'), t('02:02')].map(at),
      power_w: [200, 2200, 100, 110],
      appliance_power_w: { fridge: [90, 90, 90, null], kettle: [null, 2000, null, null] },
      appliance_on_prob: { fridge: [0.9, 0.9, 0.9, null], kettle: [null, 0.99, null, null] },
    });
  });

  it('joins grid series, null where a part has no grid', () => {
    const history = columnsOf([{ time: t('01:59'), power_w: 300 }]);
    const tail = columnsOf([
      {
        time: t('02:00'),
        power_w: 500,
        grid: { import_w: 600, export_w: 0, production_w: 100, phases_w: [200, 200, 200] },
      },
    ]);
    const merged = mergeReadings(history, tail, seam);
    expect(merged.grid).toEqual({
      import_w: [null, 600],
      export_w: [null, 0],
      production_w: [null, 100],
      phases_w: [null, [200, 200, 200]],
    });
    expect(mergeReadings(history, history, seam).grid).toBeUndefined();
  });

  it('takes an empty part as no buckets', () => {
    const none = columnsOf([], { appliances: [], estimate_coverage: null });
    const tail = columnsOf([{ time: t('02:00'), power_w: 100, appliances: { fridge } }]);
    const merged = mergeReadings(none, tail, seam);
    expect(merged.time_ms).toEqual([at(t('02:00'))]);
    expect(merged.appliance_power_w).toEqual({ fridge: [90] });
    expect(merged.estimate_coverage).toBe(1);
    const both = mergeReadings(none, none, seam);
    expect(both.time_ms).toEqual([]);
    expect(both.appliances).toEqual([]);
    expect(both.estimate_coverage).toBeNull();
  });

  it('never has a time twice at the seam: history before it, the tail from it on', () => {
    // A tail that starts buckets before the seam (a short tail of an unnamed step) overlaps.
    const history = columnsOf([
      { time: t('01:58'), power_w: 1 },
      { time: t('01:59'), power_w: 2 },
    ]);
    const tail = columnsOf([
      { time: t('01:58'), power_w: 10 },
      { time: t('01:59'), power_w: 20 },
      { time: t('02:00'), power_w: 30 },
      { time: t('02:01'), power_w: 40 },
    ]);
    const merged = mergeReadings(history, tail, seam);
    expect(merged.time_ms).toEqual([t('01:58'), t('01:59'), t('02:00'), t('02:01')].map(at));
    expect(merged.power_w).toEqual([1, 2, 30, 40]);
    // History that runs past the seam gives way to the tail there.
    const long = mergeReadings(tail, columnsOf([{ time: t('02:01'), power_w: 41 }]), seam);
    expect(long.time_ms).toEqual([t('01:58'), t('01:59'), t('02:01')].map(at));
    expect(long.power_w).toEqual([10, 20, 41]);
  });

  it('weighs each part’s estimate coverage by its buckets with mains', () => {
    const history = columnsOf(
      [1, 2, 3].map((m) => ({ time: t('01:5' + String(m)), power_w: 100 })),
      { estimate_coverage: 1 },
    );
    const tail = columnsOf([{ time: t('02:00'), power_w: 100 }], { estimate_coverage: 0 });
    expect(mergeReadings(history, tail, seam).estimate_coverage).toBe(0.75);
  });

  it('refuses parts at different resolutions', () => {
    const a = columnsOf([], { resolution_s: 60 });
    const b = columnsOf([], { resolution_s: 120 });
    expect(() => mergeReadings(a, b, seam)).toThrow('60 s and 120 s buckets');
  });
});

describe('the API client reads a long range as history plus tail', () => {
  afterEach(() => vi.useRealTimers());

  it('asks for both in parallel and answers them merged; a short range in one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
    const urls: string[] = [];
    const answer = (u: URL) =>
      u.searchParams.get('end')
        ? columnsOf([{ time: t('01:00'), power_w: 1, appliances: { fridge } }], {
            resolution_s: 3600,
          })
        : columnsOf([{ time: t('02:00'), power_w: 2, appliances: { kettle } }], {
            resolution_s: 3600,
          });
    const api = createApiClient({
      getToken: () => 'token',
      onUnauthorized: () => {},
      fetch: (input) => {
        const url = new URL(String(input), 'http://app');
        urls.push(url.pathname + url.search);
        return Promise.resolve(Response.json(answer(url)));
      },
    });
    const merged = await api.readings('home', { start: '-30d', resolution: 'auto', points: 900 });
    expect(urls.sort()).toEqual([
      '/api/v1/buildings/home/readings?start=2026-11-06T03%3A00%3A00.000Z&end=2026-12-06T02%3A00%3A00.000Z&resolution=auto&points=1078&shape=columns',
      '/api/v1/buildings/home/readings?start=2026-12-06T02%3A00%3A00.000Z&resolution=1h&shape=columns',
    ]);
    expect(merged.time_ms).toEqual([at(t('01:00')), at(t('02:00'))]);
    expect(merged.appliance_power_w).toEqual({ fridge: [90, null], kettle: [null, 2000] });

    urls.length = 0;
    await api.readings('home', { start: '-1h', resolution: '1m' });
    expect(urls).toEqual(['/api/v1/buildings/home/readings?start=-1h&resolution=1m&shape=columns']);
  });
});
