// Proves the energy report with finished days cached equals the report from minutes on a real
// InfluxDB (its rollup points as the days' fingerprints): days, weeks, months and a span across
// Europe/London's 23-hour day, warm without reading finished days' minutes, and a day rewritten
// after caching (a reading, a new model's estimates) recomputed.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { InfluxTimeSeriesStore, type TimeSeriesStore } from '@nilm/stores';
import { ReadingsService } from './readings.service.js';

const influxUrl = process.env.NILM_TEST_INFLUX_URL;
if (influxUrl === undefined || influxUrl === '') {
  // Never skip: a missing service must fail the integration tier, not hide it.
  throw new Error(
    'NILM_TEST_INFLUX_URL is not set: start .ci/services/influxdb.sh and export the URL it ' +
      'prints, e.g. NILM_TEST_INFLUX_URL=http://127.0.0.1:18086',
  );
}
const url: string = influxUrl;
const database = `nilm_test_${randomBytes(6).toString('hex')}`;

afterAll(async () => {
  const target = new URL('query', url.endsWith('/') ? url : `${url}/`);
  await fetch(target, {
    method: 'POST',
    body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
  });
});

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 28);
const DAYS = 8;
const END = T0 + DAYS * DAY;

describe('energy with finished days cached, on InfluxDB', () => {
  it('equals the report from minutes, warm and after rewrites', async () => {
    const store = await InfluxTimeSeriesStore.open({ url, database, createDatabase: true });
    const minutes = Array.from({ length: DAYS * 1440 }, (_, k) => T0 + k * MIN);
    await store.writeReadings(
      'home',
      minutes.map((ts, k) => ({ ts, powerW: 100 + ((k * 37) % 900) })),
    );
    await store.writeEstimates(
      'home',
      'model@1',
      minutes.flatMap((ts, k) => {
        const on = (k * 13) % 10 > 7;
        return [
          {
            ts,
            appliance: 'kettle',
            powerW: on ? 1900 : 3,
            onProb: on ? 0.9 : 0.1,
            lowW: on ? 1500 : 0,
            highW: on ? 2300 : 6,
          },
          { ts, appliance: 'fridge', powerW: 70, onProb: 0.7 },
        ];
      }),
    );
    const minuteReads: number[][] = [];
    const spied = new Proxy(store, {
      get(target, name, receiver) {
        const value: unknown = Reflect.get(target, name, receiver);
        if (name !== 'readBuckets') return value;
        return (b: string, s: number, e: number, size: number) => {
          if (size === 60) minuteReads.push([s, e]);
          return store.readBuckets(b, s, e, size);
        };
      },
    }) as TimeSeriesStore;
    const now = END + 30 * DAY;
    const plain = new ReadingsService(store, undefined, { energyCache: null });
    const cached = new ReadingsService(spied, undefined, { now: () => now });
    const zone = 'Europe/London';
    const cases = [
      ['day', T0, END],
      ['week', T0, END],
      ['month', T0, END],
      ['span', T0 + 2 * DAY + 11 * MIN, T0 + 6 * DAY + 5 * MIN],
    ] as const;
    for (const [period, from, to] of cases) {
      const want = await plain.energy('home', from, to, period, zone);
      expect(await cached.energy('home', from, to, period, zone)).toEqual(want);
      expect(await cached.energy('home', from, to, period, zone)).toEqual(want);
    }
    minuteReads.length = 0;
    const before = await cached.energy('home', T0, END, 'day', zone);
    expect(minuteReads).toEqual([]);

    await store.writeReadings('home', [{ ts: T0 + 3 * DAY + 600 * MIN, powerW: 4000 }]);
    await store.writeEstimates('home', 'model@2', [
      { ts: T0 + 5 * DAY + 700 * MIN, appliance: 'kettle', powerW: 2500, onProb: 0.99 },
    ]);
    const after = await cached.energy('home', T0, END, 'day', zone);
    expect(after).not.toEqual(before);
    expect(after).toEqual(await plain.energy('home', T0, END, 'day', zone));
    for (const period of ['week', 'month'] as const) {
      expect(await cached.energy('home', T0, END, period, zone)).toEqual(
        await plain.energy('home', T0, END, period, zone),
      );
    }
    await store.close();
  });
});
