// Proves the InfluxDB time-series store meets the contract on a real InfluxDB (v1 HTTP API), reads long ranges from its rollups (few points, the same buckets as the minute data) and builds them once for a database written before them, honours a retention policy, stores the model version, and reports bad requests as plain errors and an unreachable or silent server as StoreUnavailableError.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InfluxTimeSeriesStore, type StoreTimers } from './influx.timeseries.store.js';
import { timeSeriesConformance } from './timeseries.conformance.js';
import { StoreUnavailableError, type Bucket } from './timeseries.store.js';

const influxUrl = process.env.NILM_TEST_INFLUX_URL;
if (influxUrl === undefined || influxUrl === '') {
  // Never skip: a missing service must fail the integration tier, not hide it.
  throw new Error(
    'NILM_TEST_INFLUX_URL is not set: start .ci/services/influxdb.sh and export the URL it ' +
      'prints, e.g. NILM_TEST_INFLUX_URL=http://127.0.0.1:18086',
  );
}
const url: string = influxUrl;

/** Run one InfluxQL statement outside the store under test. */
async function influxql(q: string, db?: string): Promise<unknown> {
  const target = new URL('query', url.endsWith('/') ? url : `${url}/`);
  if (db !== undefined) target.searchParams.set('db', db);
  target.searchParams.set('epoch', 'ms');
  const response = await fetch(target, { method: 'POST', body: new URLSearchParams({ q }) });
  const body = (await response.json()) as unknown;
  if (!response.ok) throw new Error(`${q}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

const created: string[] = [];
/** A database name no other run uses; afterAll drops it. Hex only, so safe to splice. */
function freshDatabase(): string {
  const name = `nilm_test_${randomBytes(6).toString('hex')}`;
  created.push(name);
  return name;
}

afterAll(async () => {
  for (const db of created) await influxql(`DROP DATABASE "${db}"`);
});

timeSeriesConformance('influxdb', () =>
  InfluxTimeSeriesStore.open({ url, database: freshDatabase(), createDatabase: true }),
);

/** The same buckets, series and bands, means within 1e-9 (summation order differs). */
function expectClose(actual: readonly Bucket[], expected: readonly Bucket[]): void {
  expect(actual.map((b) => b.ts)).toEqual(expected.map((b) => b.ts));
  actual.forEach((b, i) => {
    const e = expected[i]!;
    if (e.powerW === null) expect(b.powerW).toBeNull();
    else expect(b.powerW).toBeCloseTo(e.powerW, 9);
    expect(Object.keys(b.appliances)).toEqual(Object.keys(e.appliances));
    for (const [name, want] of Object.entries(e.appliances)) {
      const got = b.appliances[name]!;
      expect(got.powerW).toBeCloseTo(want.powerW, 9);
      expect(got.onProb).toBeCloseTo(want.onProb, 9);
      expect(got.lowW === undefined).toBe(want.lowW === undefined);
      if (want.lowW !== undefined) expect(got.highW).toBeCloseTo(want.highW!, 9);
    }
  });
}

/** A port on which nothing listens: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('influxdb time-series store', () => {
  const t0 = Date.UTC(2024, 5, 1);

  it('stores the model version with each estimate', async () => {
    const database = freshDatabase();
    const store = await InfluxTimeSeriesStore.open({ url, database, createDatabase: true });
    await store.writeEstimates('house-1', 'seq2point@3', [
      { ts: t0, appliance: 'washing machine, main', powerW: 500, onProb: 0.9 },
    ]);
    await store.writeEstimates('house-1', 'seq2point@4', [
      { ts: t0 + 1000, appliance: 'fridge', powerW: 80, onProb: 0.5 },
    ]);
    expect(
      await influxql('SELECT "model", "appliance", "building" FROM "estimate"', database),
    ).toEqual({
      results: [
        {
          statement_id: 0,
          series: [
            {
              name: 'estimate',
              columns: ['time', 'model', 'appliance', 'building'],
              values: [
                [t0, 'seq2point@3', 'washing machine, main', 'house-1'],
                [t0 + 1000, 'seq2point@4', 'fridge', 'house-1'],
              ],
            },
          ],
        },
      ],
    });
    await store.close();
  });

  it('reads estimates written before the band (no low_w, high_w fields) with a null band', async () => {
    const database = freshDatabase();
    const store = await InfluxTimeSeriesStore.open({ url, database, createDatabase: true });
    // A point as the store wrote it before the band existed.
    const write = new URL('write', url.endsWith('/') ? url : `${url}/`);
    write.searchParams.set('db', database);
    write.searchParams.set('precision', 'ms');
    const old = `estimate,appliance=kettle,building=house-2 on_prob=1,power_w=2900,model="m@1" ${t0}`;
    expect((await fetch(write, { method: 'POST', body: old })).status).toBe(204);
    await store.writeEstimates('house-2', 'm@2', [
      { ts: t0 + 30_000, appliance: 'kettle', powerW: 2800, onProb: 1, lowW: 2400, highW: 3200 },
    ]);
    expect(await store.readEstimates('house-2', t0, t0 + 60_000)).toEqual([
      { ts: t0, appliance: 'kettle', powerW: 2900, onProb: 1, lowW: null, highW: null },
      { ts: t0 + 30_000, appliance: 'kettle', powerW: 2800, onProb: 1, lowW: 2400, highW: 3200 },
    ]);
    // One old point in the bucket: the bucket has no band.
    const [bucket] = await store.readBuckets('house-2', t0, t0 + 60_000, 60);
    expect(bucket!.appliances.kettle).toEqual({ powerW: 2850, onProb: 1 });
    await store.close();
  });

  it('reads 30 days from its rollups: few points, the same buckets; builds them once for an older database', async () => {
    const database = freshDatabase();
    const DAY = 86_400_000;
    const first = Date.UTC(2024, 0, 1);
    const store = await InfluxTimeSeriesStore.open({ url, database, createDatabase: true });
    // 40 days: a reading every 5 min, a fridge estimate every 15 min (a band on even days).
    for (let d = 0; d < 40; d += 10) {
      const from = first + d * DAY;
      await store.writeReadings(
        'house-r',
        Array.from({ length: 10 * 288 }, (_, i) => ({
          ts: from + i * 300_000,
          powerW: 100 + (i % 13),
        })),
      );
      await store.writeEstimates(
        'house-r',
        'm@1',
        Array.from({ length: 10 * 96 }, (_, i) => ({
          ts: from + i * 900_000,
          appliance: 'fridge',
          powerW: 80 + (i % 3),
          onProb: 0.5,
          ...(Math.floor(i / 96) % 2 === 0 ? { lowW: 70, highW: 90 } : {}),
        })),
      );
    }
    const end = first + 40 * DAY - 7 * 60_000;
    const reads: Array<[number, number]> = [
      [end - 30 * DAY, 3600],
      [end - 30 * DAY, 86_400],
    ];
    const minutes = await InfluxTimeSeriesStore.open({ url, database, readRollups: false });
    const direct = [];
    for (const [from, size] of reads) {
      // About one point per series and bucket answered, plus the ragged ends (at most a day's
      // hours, an hour's quarters and 15 minutes of minute data each); the minute data hold
      // 11,520 points per 30 days.
      const buckets = Math.ceil((end - from) / (size * 1000));
      expect(await store.rowsForBuckets('house-r', from, end, size)).toBeLessThanOrEqual(
        2 * buckets + 2 * 2 * (24 + 4 + 3),
      );
      expect(await minutes.rowsForBuckets('house-r', from, end, size)).toBeGreaterThan(10_000);
      const want = await minutes.readBuckets('house-r', from, end, size);
      direct.push(want);
      expectClose(await store.readBuckets('house-r', from, end, size), want);
    }
    await store.close();
    await minutes.close();

    // The database as written before rollups: built once, on first use, and logged.
    await influxql('DROP MEASUREMENT "mains_rollup"', database);
    await influxql('DROP MEASUREMENT "estimate_rollup"', database);
    await influxql('DROP MEASUREMENT "rollup_state"', database);
    const log = vi.fn();
    const older = await InfluxTimeSeriesStore.open({ url, database, log });
    for (const [k, [from, size]] of reads.entries())
      expectClose(await older.readBuckets('house-r', from, end, size), direct[k]!);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/built the 15 min \/ 1 h \/ 1 d rollups/);
    expect(await older.rowsForBuckets('house-r', end - 30 * DAY, end, 3600)).toBeLessThan(2000);
    await older.close();
    const again = await InfluxTimeSeriesStore.open({ url, database, log });
    await again.readBuckets('house-r', first, end, 3600);
    expect(log).toHaveBeenCalledTimes(1);
    await again.close();
  });

  it('writes to and reads from the retention policy it is given', async () => {
    const database = freshDatabase();
    await influxql(`CREATE DATABASE "${database}"`);
    await influxql(`CREATE RETENTION POLICY "raw week" ON "${database}" DURATION 7d REPLICATION 1`);
    const store = await InfluxTimeSeriesStore.open({
      url,
      database,
      retentionPolicy: 'raw week',
    });
    const now = Math.floor(Date.now() / 1000) * 1000;
    await store.writeReadings('house-1', [{ ts: now, powerW: 42 }]);
    expect(await store.readReadings('house-1', now, now + 1)).toEqual([{ ts: now, powerW: 42 }]);
    expect(await store.latestReadingTs('house-1')).toBe(now);
    expect(await store.readBuckets('house-1', now - 60_000, now + 60_000, 60)).toHaveLength(1);
    // Not in the default policy: a store without the policy sees nothing.
    const plain = await InfluxTimeSeriesStore.open({ url, database });
    expect(await plain.readReadings('house-1', now, now + 1)).toEqual([]);
    await store.deleteBuilding('house-1');
    expect(await store.readReadings('house-1', now, now + 1)).toEqual([]);
    await Promise.all([store.close(), plain.close()]);
  });

  it('rejects a write to a missing database as a plain error, not as unavailable', async () => {
    const store = await InfluxTimeSeriesStore.open({ url, database: 'nilm_test_missing' });
    const error = await store.writeReadings('house-1', [{ ts: t0, powerW: 1 }]).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(String(error)).toMatch(/database not found/);
    await expect(store.readReadings('house-1', t0, t0 + 1)).rejects.toThrow(/database not found/);
    await store.close();
  });

  it('rejects with StoreUnavailableError when nothing listens on the port, without waiting out timeoutMs', async () => {
    const port = await closedPort();
    // Time is up only when the test says so, and it never says so: each call must be answered
    // by the refused connection itself, and leave no time limit behind.
    const clock = manualTimers();
    const store = await InfluxTimeSeriesStore.open({
      url: `http://127.0.0.1:${port}`,
      database: 'nilm',
      timeoutMs: 2000,
      timers: clock.timers,
    });
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.writeReadings('house-1', [{ ts: t0, powerW: 1 }])).rejects.toThrow(
      /influxdb unavailable: .*ECONNREFUSED/,
    );
    await expect(store.readBuckets('house-1', t0, t0 + 1, 60)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    // One 2000 ms limit per request, none fired, none still pending.
    expect(clock.armed).toEqual([2000, 2000, 2000]);
    expect(clock.pending()).toEqual([]);
    // With createDatabase, opening needs the server, so it fails the same way.
    await expect(
      InfluxTimeSeriesStore.open({
        url: `http://127.0.0.1:${port}`,
        database: 'nilm',
        createDatabase: true,
      }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('gives up on a server that accepts connections but never answers', async () => {
    await withBlackHole(async (port) => {
      const store = await InfluxTimeSeriesStore.open({
        url: `http://127.0.0.1:${port}`,
        database: 'nilm',
        timeoutMs: 300,
      });
      await expect(store.ping()).rejects.toThrow(/no answer within 300 ms/);
      await expect(store.readReadings('house-1', t0, t0 + 1)).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    });
  });

  it('keeps at most maxConcurrentRequests requests in flight; the rest wait their turn', async () => {
    const store = await InfluxTimeSeriesStore.open({
      url,
      database: freshDatabase(),
      createDatabase: true,
      maxConcurrentRequests: 3,
    });
    await store.writeReadings('house-1', [
      { ts: t0, powerW: 100 },
      { ts: t0 + 60_000, powerW: 300 },
    ]);
    const reads = await Promise.all(
      Array.from({ length: 40 }, () => store.readBuckets('house-1', t0, t0 + 120_000, 60)),
    );
    for (const r of reads) expect(r.map((b) => b.powerW)).toEqual([100, 300]);
    expect(store.peakRequests).toBe(3);
    await store.close();
  });

  it('gives up on a request that finds no free slot within timeoutMs', async () => {
    await withBlackHole(async (port) => {
      const clock = manualTimers();
      const store = await InfluxTimeSeriesStore.open({
        url: `http://127.0.0.1:${port}`,
        database: 'nilm',
        timeoutMs: 300,
        maxConcurrentRequests: 1,
        timers: clock.timers,
      });
      // One slot, a server that never answers: the first ping holds the slot, the other three
      // wait for it. Their 300 ms run out before the first ping's does.
      const errors = Array.from({ length: 4 }, () =>
        store.ping().then(
          () => null,
          (e: unknown) => e,
        ),
      );
      await vi.waitFor(() => expect(clock.pending()).toHaveLength(4));
      clock.fireAll();
      const [first, ...rest] = await Promise.all(errors);
      expect(String(first)).toMatch(/no answer within 300 ms/);
      for (const e of rest) {
        expect(e).toBeInstanceOf(StoreUnavailableError);
        expect(String(e)).toMatch(/no free request slot within 300 ms/);
      }
      expect(first).toBeInstanceOf(StoreUnavailableError);
      expect(store.peakRequests).toBe(1);
    });
  });

  it('refuses calls after close as unavailable', async () => {
    const store = await InfluxTimeSeriesStore.open({ url, database: 'nilm_test_missing' });
    await store.close();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

/**
 * Timers that fire only when the test calls `fireAll`, oldest first: the store's time limits
 * without waiting for them. `armed` lists every limit set, `pending` those neither fired nor
 * cancelled.
 */
function manualTimers(): {
  timers: StoreTimers;
  armed: number[];
  pending: () => number[];
  fireAll: () => void;
} {
  const waiting = new Map<number, { ms: number; fire: () => void }>();
  const armed: number[] = [];
  let next = 0;
  return {
    timers: {
      after(ms, fire) {
        const id = next++;
        armed.push(ms);
        waiting.set(id, { ms, fire });
        return () => waiting.delete(id);
      },
    },
    armed,
    pending: () => [...waiting.values()].map((t) => t.ms),
    fireAll() {
      for (const [id, timer] of [...waiting]) {
        waiting.delete(id);
        timer.fire();
      }
    },
  };
}

/** A black hole on a free port: the TCP handshake succeeds, no HTTP answer ever comes. */
async function withBlackHole(use: (port: number) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await use(port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
