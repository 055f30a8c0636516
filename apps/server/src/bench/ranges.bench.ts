/**
 * The long reads of issue 16 through the real server (`nilm bench --server --only ranges`): one
 * home with a year of one-minute readings and two appliances' estimates (written a day per batch
 * through the server's own store, rollups kept), then, from a client in a process of its own,
 * - the 30-day chart as the dashboard asks it (`start=-30d`, no end, `shape=columns`, the
 *   automatic resolution): a range that ends now, so never a cached answer;
 * - the 1-year daily-energy report (`/energy?period=day` from 365 days before today, no end): its
 *   first answer (cold: every finished day summed from minutes) timed alone, then warm (finished
 *   days from the server's cache, checked against their rollup rows; today's minutes read).
 * Rows read are counted on one more request of each, from what the server asked its store
 * (ReadTally): rollup rows returned, plus the stored rows each bucket read aggregates
 * (`rowsForBuckets` of the store underneath, counted afterwards, outside any timing).
 */
import type { TimeSeriesStore } from '@nilm/stores';
import type { Parts } from '../app.deps.js';
import { benchBuilding } from './ingest.paths.bench.js';
import { clientsElsewhere } from './query.clients.js';

const DAY = 86_400_000;
const HOME = 'bench-year';

/** A store that can say how many stored rows a bucket read aggregates (DuckDB, InfluxDB). */
interface RowCounting {
  rowsForBuckets(
    buildingId: string,
    startMs: number,
    endMs: number,
    bucketS: number,
  ): Promise<number>;
}

const countsRows = (s: unknown): s is RowCounting =>
  typeof (s as Partial<RowCounting>).rowsForBuckets === 'function';

/**
 * What the server reads from its time-series store while `on`: each bucket read's arguments and
 * the rollup rows returned (a Proxy over the real store: every call goes through unchanged).
 */
export class ReadTally {
  on = false;
  private bucketReads: Array<[string, number, number, number]> = [];
  private rollupRows = 0;
  private gridBuckets = 0;

  wrap(store: TimeSeriesStore): TimeSeriesStore {
    return new Proxy(store, {
      get: (target, name) => {
        const value: unknown = Reflect.get(target, name, target);
        if (typeof value !== 'function') return value;
        const call = (value as (...a: unknown[]) => unknown).bind(target);
        if (name === 'readBuckets')
          return (b: string, s: number, e: number, size: number) => {
            if (this.on) this.bucketReads.push([b, s, e, size]);
            return call(b, s, e, size);
          };
        if (name === 'readRollupRows')
          return async (...args: unknown[]) => {
            const rows = (await call(...args)) as unknown[];
            if (this.on) this.rollupRows += rows.length;
            return rows;
          };
        if (name === 'readGridBuckets')
          return async (...args: unknown[]) => {
            const points = (await call(...args)) as unknown[];
            if (this.on) this.gridBuckets += points.length;
            return points;
          };
        return call;
      },
    });
  }

  /** Count what `work` reads; the stored rows behind its bucket reads are counted afterwards. */
  async count(store: TimeSeriesStore, work: () => Promise<unknown>): Promise<RowsRead> {
    this.bucketReads = [];
    this.rollupRows = 0;
    this.gridBuckets = 0;
    this.on = true;
    try {
      await work();
    } finally {
      this.on = false;
    }
    const under = (store as { inner?: unknown }).inner ?? store;
    if (!countsRows(under))
      throw new Error(`the ${store.kind} store cannot count the rows a read aggregates`);
    let bucketRows = 0;
    for (const [b, s, e, size] of this.bucketReads)
      bucketRows += await under.rowsForBuckets(b, s, e, size);
    return {
      rows: this.rollupRows + bucketRows,
      rollup_rows: this.rollupRows,
      bucket_reads: this.bucketReads.length,
      grid_buckets: this.gridBuckets,
    };
  }
}

export interface RowsRead {
  /** Rollup rows returned plus the stored rows (minute or rollup) the bucket reads aggregate. */
  rows: number;
  rollup_rows: number;
  bucket_reads: number;
  /** Grid buckets returned (the bench home has no grid meter: 0). */
  grid_buckets: number;
}

export interface RangeRead {
  path: string;
  /** Points (chart times, or energy periods) in the answer. */
  points: number;
  requests: number;
  p50_ms: number;
  p99_ms: number;
  status_other: number;
  read: RowsRead;
}

export interface RangesResult {
  days: number;
  /** Writing the year, a day per batch of readings and one of estimates. */
  write_s: number;
  chart_30d: RangeRead;
  energy_year: RangeRead & { cold_ms: number; cold_read: RowsRead };
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * Write the bench home's year (ending at today's UTC midnight, then today's minutes so far) and
 * time the two long reads on the server at `url`, whose store is wrapped by `tally`.
 */
export async function benchRanges(
  parts: Parts,
  url: string,
  authorization: string,
  tally: ReadTally,
  seconds: number,
  nowMs = Date.now(),
): Promise<RangesResult> {
  await benchBuilding(parts, HOME);
  const today = Math.floor(nowMs / DAY) * DAY;
  const days = 365;
  const w0 = performance.now();
  for (let start = today - days * DAY; start < nowMs; start += DAY) {
    const minutes: number[] = [];
    for (let ts = start; ts < Math.min(start + DAY, nowMs - 60_000); ts += 60_000) minutes.push(ts);
    if (minutes.length === 0) break;
    await parts.timeseries.writeReadings(
      HOME,
      minutes.map((ts, i) => ({ ts, powerW: 150 + (i % 97) * 10 })),
    );
    await parts.timeseries.writeEstimates(
      HOME,
      'bench@1',
      minutes.flatMap((ts, i) => [
        { ts, appliance: 'kettle', powerW: i % 97 < 5 ? 2000 : 0, onProb: i % 97 < 5 ? 0.9 : 0.05 },
        { ts, appliance: 'fridge', powerW: 80, onProb: 0.6 },
      ]),
    );
  }
  const write_s = (performance.now() - w0) / 1000;
  const headers = { authorization, 'accept-encoding': 'gzip, deflate, br' };
  const inProcess = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers });
    if (res.status !== 200)
      throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const timed = async (path: string): Promise<RangeRead> => {
    const run = await clientsElsewhere({ url: `${url}${path}`, headers, clients: 1, seconds });
    const read = await tally.count(parts.timeseries, () => inProcess(path));
    return {
      path,
      points: run.points,
      requests: run.latencies.length,
      p50_ms: run.latencies.length ? pct(run.latencies, 0.5) : NaN,
      p99_ms: run.latencies.length ? pct(run.latencies, 0.99) : NaN,
      status_other: run.status503 + run.statusOther,
      read,
    };
  };

  const base = `/api/v1/buildings/${HOME}`;
  const chart_30d = await timed(`${base}/readings?start=-30d&shape=columns`);
  const energyPath = `${base}/energy?start=${new Date(today - days * DAY).toISOString()}&period=day`;
  let cold_ms = 0;
  const cold_read = await tally.count(parts.timeseries, async () => {
    const s = performance.now();
    await inProcess(energyPath);
    cold_ms = performance.now() - s;
  });
  const energy_year = { ...(await timed(energyPath)), cold_ms, cold_read };
  return { days: days + 1, write_s, chart_30d, energy_year };
}

/** The lines `nilm bench --server` prints for the ranges part. */
export function formatRanges(r: RangesResult): string[] {
  const read = (x: RowsRead) =>
    `${x.rows.toLocaleString('en')} rows read (${x.rollup_rows.toLocaleString('en')} rollup rows returned, ${x.bucket_reads} bucket read${x.bucket_reads === 1 ? '' : 's'}; ${x.grid_buckets} grid buckets)`;
  const line = (what: string, x: RangeRead) =>
    `  ${what}: ${x.points} points; ${read(x.read)}; one client: p50 ${x.p50_ms.toFixed(1)} ms, p99 ${x.p99_ms.toFixed(1)} ms over ${x.requests} answers${x.status_other ? `, ${x.status_other} not 200` : ''}`;
  const e = r.energy_year;
  return [
    `long ranges: one home, ${r.days} days of minutes with 2 appliances' estimates, written in ${r.write_s.toFixed(0)} s (a day per batch, rollups kept)`,
    line(
      '30-day chart (start=-30d, columns, auto resolution; never cached: it ends now)',
      r.chart_30d,
    ),
    `  1-year daily energy, cold (first request): ${e.cold_ms.toFixed(0)} ms, ${read(e.cold_read)}`,
    line('1-year daily energy, warm (finished days from the cache)', e),
  ];
}
