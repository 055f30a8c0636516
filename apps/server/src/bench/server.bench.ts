/**
 * Server benchmarks (numbers, not assertions; recorded in docs/benchmarks.md):
 * - ingest: HTTP POST /api/v1/ingest with batches of 5000 readings, next to the time-series
 *   store's own write rate measured in the same run;
 * - reads: p50/p99 latency of a one-day readings query at 50 concurrent clients;
 * - ranges: a 30-day chart and a 1-year daily-energy report of a home with a year of minutes,
 *   their latency from a client process and the rows they read (ranges.bench.ts);
 * - worker: the time of one incremental disaggregation run, and how runs of many homes at once
 *   share the model's runtime calls;
 * - reconcile: one reconcile pass per 1,000 pending buildings (reconcile.bench.ts);
 * - capacity: N homes sending a reading every 10 s through the real ingest path and queue for a
 *   fixed time, with 1 and 2 workers, and the backlog left at the end (capacity.bench.ts);
 * - backfill: 14 days of one-minute history imported into a home whose live data already flows,
 *   estimated from the backlog to the end, as minutes per second, next to the engine's own rate
 *   on the same 14 days in one call (the ratio is the worker's overhead: chunking, context
 *   re-reads, the widened stretches, store reads and writes).
 * Runs on whatever the environment configures (embedded defaults unless DATABASE_URL,
 * INFLUX_URL, REDIS_URL are set), in a throw-away data directory.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '@nilm/stores';
import { build } from '../app.js';
import { loadConfig } from '../config.js';
import { createParts } from '../app.deps.js';
import { DisaggregationService } from '../services/disaggregation.service.js';
import { benchBuilding, benchIngestPaths, type IngestPathRates } from './ingest.paths.bench.js';
import { benchWire, type WireBenchResult } from './wire.bench.js';
import { clientsElsewhere } from './query.clients.js';
import { benchCapacity, formatCapacity, type CapacityResult } from './capacity.bench.js';
import { benchRanges, formatRanges, ReadTally, type RangesResult } from './ranges.bench.js';
import { benchReconcile, formatReconcile, type ReconcileResult } from './reconcile.bench.js';

export interface ServerBenchResult {
  stores: { timeseries: string; metadata: string; queue: string };
  ingest:
    | ({
        batch: number;
        http_readings_per_s: number;
        store_readings_per_s: number;
      } & IngestPathRates)
    | null;
  query: {
    points_per_response: number;
    /** The store's own readBuckets for the same day, one call at a time, no HTTP. */
    store_p50_ms: number;
    /** The same store calls, 50 at once (no HTTP): what the store's own concurrency gives. */
    store_50_p50_ms: number;
    store_50_p99_ms: number;
    /** Of those calls, how many the store refused as unavailable (e.g. no InfluxDB slot in time). */
    store_50_unavailable: number;
    /** One row per number of concurrent clients (1, 10, 50). */
    levels: QueryLevel[];
    /** The same day as `shape=columns` (what the web dashboard asks for) at 50 clients. */
    columns_50: QueryLevel;
  } | null;
  worker: {
    model: string;
    run_ms_mean: number;
    /** The same homes' next minute run all at once: wall time per home, and runtime calls. */
    concurrent_ms_per_run: number;
    concurrent_runs: number;
    concurrent_runtime_calls: number;
    /** The model alone on one window per home: ms per home, one call each vs one shared call. */
    model_ms_per_home_alone: number;
    model_ms_per_home_shared: number;
  } | null;
  backfill: {
    minutes: number;
    runs: number;
    seconds: number;
    minutes_per_s: number;
    engine_minutes_per_s: number;
    ratio_to_engine: number;
  } | null;
  ranges: RangesResult | null;
  /** Null when the web app is not built. */
  wire: WireBenchResult | null;
  reconcile: ReconcileResult | null;
  /** One per worker count asked for. */
  capacity: CapacityResult[] | null;
}

/** The capacity part's sizes: homes, the load's wall time, and the worker counts to run. */
export interface CapacityBenchOptions {
  homes: number;
  seconds: number;
  workers: readonly number[];
}

/** The one-day readings query at one number of concurrent clients. */
export interface QueryLevel {
  clients: number;
  /** Requests answered 200; the percentiles are over these. */
  requests: number;
  p50_ms: number;
  p99_ms: number;
  /** p50 and p99 as multiples of the store's own p50 in the same run. */
  p50_to_store: number;
  p99_to_store: number;
  /** Answers 503 (store or queue unavailable, or overloaded) and any other non-200. */
  status_503: number;
  status_other: number;
  /** 200 answers of another length than the client's first (the data did not change). */
  changed_length: number;
  /** Content-Encoding of the last 200 answer ('identity' when none). */
  encoding: string;
  /**
   * CPU per 200 answer, ms (user + system): of the server's process (the server and this bench,
   * which is idle while the clients run) and of the clients' process. Their sum over the cores
   * says whether the server or its clients were the limit.
   */
  server_cpu_ms_per_answer: number;
  client_cpu_ms_per_answer: number;
}

/** The parts of the server bench, in the order they run. */
export const SERVER_BENCH_PARTS = [
  'ingest',
  'query',
  'ranges',
  'worker',
  'backfill',
  'wire',
  'reconcile',
  'capacity',
] as const;
export type ServerBenchPart = (typeof SERVER_BENCH_PARTS)[number];

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Run the benchmarks in `only` (all by default) for about `seconds` each. */
export async function benchServer(
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  seconds = 5,
  only: readonly ServerBenchPart[] = SERVER_BENCH_PARTS,
  capacityOptions: CapacityBenchOptions = { homes: 10_000, seconds: 90, workers: [1, 2] },
): Promise<ServerBenchResult> {
  const runs = (part: ServerBenchPart) => only.includes(part);
  const dir = mkdtempSync(join(tmpdir(), 'nilm-bench-'));
  const config = loadConfig(
    {
      ...env,
      NILM_DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      RATE_LIMIT_PER_USER: '1000000',
      MAX_BODY_BYTES: String(8 * 1024 * 1024),
    },
    repoRoot,
  );
  const parts = await createParts(config);
  // The ranges part counts what the server reads from its store (a Proxy; calls unchanged).
  const tally = runs('ranges') ? new ReadTally() : null;
  const app = await build(tally ? { ...parts, timeseries: tally.wrap(parts.timeseries) } : parts);
  /** Store readings as ingest does: write them, then mark them for estimating. */
  const store = async (id: string, readings: Array<{ ts: number; powerW: number }>) => {
    await parts.timeseries.writeReadings(id, readings);
    await parts.metadata.markPending(
      id,
      readings.map((r) => r.ts),
    );
  };
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await parts.metadata.upsertUser({
      id: 'bench',
      email: 'bench@local',
      role: 'admin',
      passwordHash: null,
    });
    const token = (await parts.issuer!.sign({ sub: 'bench', role: 'admin' })).token;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (runs('ingest') || runs('query') || runs('wire'))
      for (const id of ['bench-raw', 'bench-http', 'bench-query']) await benchBuilding(parts, id);
    let ingest: ServerBenchResult['ingest'] = null;
    if (runs('ingest')) ingest = await benchIngest(parts, url, headers, seconds, config.MQTT_URL);

    const t0 = Date.UTC(2024, 0, 1);
    let query: ServerBenchResult['query'] = null;
    const readingsPath = `/api/v1/buildings/bench-query/readings?start=${t0}&end=${t0 + 86_400_000}&resolution=1m`;
    if (runs('query') || runs('wire')) await writeQueryDay(parts, t0);
    if (runs('query'))
      query = await benchQuery(parts, `${url}${readingsPath}`, headers, t0, seconds);
    const ranges = tally
      ? await benchRanges(parts, url, headers.authorization, tally, seconds)
      : null;

    // Worker: homes with a day of history and estimates; time incremental runs after new data.
    let worker: ServerBenchResult['worker'] = null;
    let backfill: ServerBenchResult['backfill'] = null;
    const service = new DisaggregationService({
      timeseries: parts.timeseries,
      metadata: parts.metadata,
      engine: parts.engine,
    });
    const model = runs('worker') || runs('backfill') ? await parts.engine.model() : undefined;
    if (runs('worker')) {
      const homes = 10;
      const now0 = Math.floor(Date.now() / 60_000) * 60_000 - 86_400_000;
      for (let h = 0; h < homes; h++) {
        const id = `bench-home-${h}`;
        await benchBuilding(parts, id);
        await store(
          id,
          Array.from({ length: 8640 }, (_, i) => ({
            ts: now0 + i * 10_000,
            powerW: 150 + ((i * (h + 3)) % 700),
          })),
        );
        while ((await service.run(id)).more);
      }
      const runTimes: number[] = [];
      for (let step = 1; step <= 3; step++) {
        for (let h = 0; h < homes; h++) {
          const id = `bench-home-${h}`;
          const from = now0 + 86_400_000 + (step - 1) * 60_000;
          await store(
            id,
            Array.from({ length: 6 }, (_, i) => ({ ts: from + i * 10_000, powerW: 300 + i })),
          );
          const s = performance.now();
          await service.run(id);
          runTimes.push(performance.now() - s);
        }
      }
      const runMs = runTimes.reduce((a, b) => a + b, 0) / runTimes.length;
      // The next minute of every home at once, as concurrent jobs would: their windows share
      // runtime calls through the model's batcher (one call for all when they fit a batch).
      const next = now0 + 86_400_000 + 3 * 60_000;
      for (let h = 0; h < homes; h++)
        await store(
          `bench-home-${h}`,
          Array.from({ length: 6 }, (_, i) => ({ ts: next + i * 10_000, powerW: 300 + i })),
        );
      const calls0 = model!.batcher.calls;
      const c0 = performance.now();
      await Promise.all(Array.from({ length: homes }, (_, h) => service.run(`bench-home-${h}`)));
      const concurrentMs = performance.now() - c0;
      const concurrentCalls = model!.batcher.calls - calls0;
      // The model's share of that: one window per home, one call each or all in one call.
      const L = model!.window;
      const win = Array.from({ length: homes }, (_, h) =>
        Float32Array.from({ length: L }, (_, i) => 150 + ((i * (h + 3)) % 700)),
      );
      const reps = 20;
      let aloneMs = 0;
      let sharedMs = 0;
      for (let r = 0; r < reps; r++) {
        const a0 = performance.now();
        for (const w of win) await model!.runWindows(w, 1);
        aloneMs += performance.now() - a0;
        const s0 = performance.now();
        await Promise.all(win.map((w) => model!.runWindows(w, 1)));
        sharedMs += performance.now() - s0;
      }
      // How many homes a worker keeps up with is measured by running them (the capacity part).
      worker = {
        model: `${model!.card.id}@${model!.card.version}`,
        run_ms_mean: runMs,
        concurrent_ms_per_run: concurrentMs / homes,
        concurrent_runs: homes,
        concurrent_runtime_calls: concurrentCalls,
        model_ms_per_home_alone: aloneMs / reps / homes,
        model_ms_per_home_shared: sharedMs / reps / homes,
      };
    }

    if (runs('backfill')) {
      // Backfill: live minutes first, then 14 days of history ending at them.
      const bf = 'bench-backfill';
      await benchBuilding(parts, bf);
      const bfEnd = Math.floor(Date.now() / 60_000) * 60_000;
      await store(bf, [
        { ts: bfEnd - 60_000, powerW: 200 },
        { ts: bfEnd, powerW: 210 },
      ]);
      while ((await service.run(bf)).more);
      const minutes = 14 * 1440;
      const history = Array.from({ length: minutes }, (_, i) => ({
        ts: bfEnd - (minutes - 1 - i) * 60_000,
        powerW: 150 + ((i * 7) % 900) + (i % 1440 === 420 ? 2800 : 0),
      }));
      for (let i = 0; i < history.length; i += 5000) await store(bf, history.slice(i, i + 5000));
      let bfRuns = 0;
      const bfStart = performance.now();
      for (;;) {
        bfRuns++;
        if (!(await service.run(bf)).more) break;
      }
      const bfSeconds = (performance.now() - bfStart) / 1000;
      const mains = Float32Array.from(history, (r) => r.powerW);
      const e0 = performance.now();
      await model!.disaggregate({
        startMs: history[0]!.ts,
        periodS: model!.periodS,
        mains,
        appliances: {},
        source: 'bench',
      });
      const engineSeconds = (performance.now() - e0) / 1000;
      backfill = {
        minutes,
        runs: bfRuns,
        seconds: bfSeconds,
        minutes_per_s: minutes / bfSeconds,
        engine_minutes_per_s: minutes / engineSeconds,
        ratio_to_engine: engineSeconds / bfSeconds,
      };
    }

    const wire =
      runs('wire') && existsSync(join(config.webDir, '.vite', 'manifest.json'))
        ? await benchWire(url, config.webDir, readingsPath, {
            authorization: headers.authorization,
          })
        : null;
    const reconcile = runs('reconcile') ? await benchReconcile(parts, [1000, 5000]) : null;
    let capacity: CapacityResult[] | null = null;
    if (runs('capacity'))
      capacity = await benchCapacity(parts, {
        ...capacityOptions,
        reconcileMs: config.WORKER_RECONCILE_MS,
      });
    return {
      stores: {
        timeseries: parts.timeseries.kind,
        metadata: parts.metadata.kind,
        queue: parts.queue.kind,
      },
      ingest,
      query,
      ranges,
      worker,
      backfill,
      wire,
      reconcile,
      capacity,
    };
  } finally {
    await app.close();
    await parts.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Parts = Awaited<ReturnType<typeof createParts>>;

/** Raw store writes, then HTTP ingest, then the other ways in, in batches of 5000 readings. */
async function benchIngest(
  parts: Parts,
  url: string,
  headers: Record<string, string>,
  seconds: number,
  mqttUrl: string | undefined,
): Promise<NonNullable<ServerBenchResult['ingest']>> {
  const B = 5000;
  const t0 = Date.UTC(2024, 0, 1);
  const batch = (k: number): Array<{ ts: number; powerW: number }> =>
    Array.from({ length: B }, (_, i) => ({
      ts: t0 + (k * B + i) * 1000,
      powerW: 200 + ((k * B + i) % 300),
    }));

  // Raw store writes.
  let k = 0;
  let start = performance.now();
  while (performance.now() - start < seconds * 1000)
    await parts.timeseries.writeReadings('bench-raw', batch(k++));
  const storeRate = (k * B) / ((performance.now() - start) / 1000);

  // HTTP ingest (includes validation, auth, JSON parsing and the enqueue).
  k = 0;
  start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const body = JSON.stringify({
      building_id: 'bench-http',
      readings: batch(k++).map((r) => ({ ts: r.ts, power_w: r.powerW })),
    });
    const r = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers, body });
    if (r.status !== 202) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
  }
  const httpRate = (k * B) / ((performance.now() - start) / 1000);

  // The other ways in: line protocol, MQTT embedded, MQTT external (with MQTT_URL).
  const paths = await benchIngestPaths(parts, url, {
    total: Math.max(20_000, Math.min(200_000, Math.round(httpRate * seconds))),
    mqttUrl,
  });

  return {
    batch: B,
    http_readings_per_s: httpRate,
    store_readings_per_s: storeRate,
    ...paths,
  };
}

/** One day at one reading per 10 s, with estimates for every minute of four appliances. */
async function writeQueryDay(parts: Parts, t0: number): Promise<void> {
  const day = Array.from({ length: 8640 }, (_, i) => ({
    ts: t0 + i * 10_000,
    powerW: 150 + (i % 500),
  }));
  await parts.timeseries.writeReadings('bench-query', day);
  const apps = ['kettle', 'microwave', 'dishwasher', 'washing_machine'];
  await parts.timeseries.writeEstimates(
    'bench-query',
    'bench@1',
    Array.from({ length: 1440 * 4 }, (_, i) => ({
      ts: t0 + Math.floor(i / 4) * 60_000,
      appliance: apps[i % 4]!,
      powerW: i % 50,
      onProb: 0.1,
    })),
  );
}

/**
 * The one-day readings query through HTTP at 1, 10 and 50 concurrent clients, each for about
 * `seconds`, next to the store's own time for the same buckets (no HTTP, one call at a time).
 * Every status is counted: a 503 is an answer, not a crash.
 */
async function benchQuery(
  parts: Parts,
  queryUrl: string,
  headers: Record<string, string>,
  t0: number,
  seconds: number,
): Promise<NonNullable<ServerBenchResult['query']>> {
  const storeTimes: number[] = [];
  for (let i = 0; i < 30; i++) {
    const s = performance.now();
    await parts.timeseries.readBuckets('bench-query', t0, t0 + 86_400_000, 60);
    storeTimes.push(performance.now() - s);
  }
  storeTimes.sort((a, b) => a - b);
  const storeP50 = pct(storeTimes, 0.5);
  const concurrent: number[] = [];
  let unavailable = 0;
  for (let round = 0; round < 4; round++)
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const s = performance.now();
        try {
          await parts.timeseries.readBuckets('bench-query', t0, t0 + 86_400_000, 60);
          concurrent.push(performance.now() - s);
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          unavailable++;
        }
      }),
    );
  concurrent.sort((a, b) => a - b);
  let points = 0;
  const level = async (url: string, clients: number): Promise<QueryLevel> => {
    // The clients run in a process of their own, so parsing the answers does not load the server.
    const cpuBefore = process.cpuUsage();
    // What a browser sends: the server answers brotli from its cache of finished answers.
    const run = await clientsElsewhere({
      url,
      headers: { authorization: headers.authorization!, 'accept-encoding': 'gzip, deflate, br' },
      clients,
      seconds,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const { latencies, status503, statusOther } = run;
    if (run.points > 0) points = run.points;
    const p50 = latencies.length ? pct(latencies, 0.5) : NaN;
    const p99 = latencies.length ? pct(latencies, 0.99) : NaN;
    return {
      clients,
      requests: latencies.length,
      p50_ms: p50,
      p99_ms: p99,
      p50_to_store: p50 / storeP50,
      p99_to_store: p99 / storeP50,
      status_503: status503,
      status_other: statusOther,
      changed_length: run.changedLength,
      encoding: run.encoding,
      server_cpu_ms_per_answer: (cpu.user + cpu.system) / 1000 / latencies.length,
      client_cpu_ms_per_answer: run.cpuMs / latencies.length,
    };
  };
  const levels: QueryLevel[] = [];
  for (const clients of [1, 10, 50]) levels.push(await level(queryUrl, clients));
  const columns50 = await level(`${queryUrl}&shape=columns`, 50);
  return {
    points_per_response: points,
    store_p50_ms: storeP50,
    store_50_p50_ms: concurrent.length ? pct(concurrent, 0.5) : NaN,
    store_50_p99_ms: concurrent.length ? pct(concurrent, 0.99) : NaN,
    store_50_unavailable: unavailable,
    levels,
    columns_50: columns50,
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The result as the lines `nilm bench --server` prints, one per part that ran. */
export function formatServerBench(r: ServerBenchResult): string {
  const lines = [`stores: ${r.stores.timeseries} + ${r.stores.metadata}, queue ${r.stores.queue}`];
  const i = r.ingest;
  if (i) {
    const share = (rate: number) =>
      `${rate.toFixed(0)}/s (${(rate / i.store_readings_per_s).toFixed(2)})`;
    lines.push(
      `ingest, batches of ${i.batch}: HTTP ${i.http_readings_per_s.toFixed(0)} readings/s; store alone ${i.store_readings_per_s.toFixed(0)} readings/s`,
      `ingest paths, to stored, as a share of the store's own rate: HTTP JSON ${(i.http_readings_per_s / i.store_readings_per_s).toFixed(2)}, line protocol ${share(i.line_protocol_readings_per_s)}, MQTT embedded ${share(i.mqtt_embedded_readings_per_s)}, MQTT external ${i.mqtt_external_readings_per_s === null ? 'not configured (MQTT_URL)' : share(i.mqtt_external_readings_per_s)}`,
    );
  }
  const q = r.query;
  if (q) {
    lines.push(
      `one-day readings query (${q.points_per_response} points): the store alone p50 ${q.store_p50_ms.toFixed(1)} ms; 50 store calls at once p50 ${q.store_50_p50_ms.toFixed(1)} ms, p99 ${q.store_50_p99_ms.toFixed(1)} ms (${(q.store_50_p99_ms / q.store_p50_ms).toFixed(1)}x), ${q.store_50_unavailable} of 200 unavailable`,
    );
    const line = (l: QueryLevel, what: string) =>
      `  ${what}: p50 ${l.p50_ms.toFixed(1)} ms (${l.p50_to_store.toFixed(1)}x the store), p99 ${l.p99_ms.toFixed(1)} ms (${l.p99_to_store.toFixed(1)}x) over ${l.requests} answers (${l.encoding}); ${l.status_503} answered 503, ${l.status_other} other errors${l.changed_length ? `, ${l.changed_length} of another length` : ''}; CPU per answer: server ${l.server_cpu_ms_per_answer.toFixed(2)} ms, clients ${l.client_cpu_ms_per_answer.toFixed(2)} ms`;
    for (const l of q.levels)
      lines.push(line(l, `${l.clients} client${l.clients === 1 ? '' : 's'}`));
    lines.push(line(q.columns_50, `${q.columns_50.clients} clients, shape=columns`));
  }
  if (r.ranges) lines.push(...formatRanges(r.ranges));
  const w = r.worker;
  if (w)
    lines.push(
      `worker (${w.model}): ${w.run_ms_mean.toFixed(1)} ms per incremental run, one at a time (how many homes it keeps up with: the capacity part)`,
      `  ${w.concurrent_runs} homes' runs at once: ${w.concurrent_ms_per_run.toFixed(1)} ms per run (${(w.concurrent_ms_per_run / w.run_ms_mean).toFixed(2)} of one at a time), ${w.concurrent_runtime_calls} runtime call${w.concurrent_runtime_calls === 1 ? '' : 's'} for ${w.concurrent_runs} runs`,
      `  the model alone, one window per home: ${w.model_ms_per_home_alone.toFixed(2)} ms per home in a call each, ${w.model_ms_per_home_shared.toFixed(2)} ms in one shared call (${(w.model_ms_per_home_shared / w.model_ms_per_home_alone).toFixed(2)})`,
    );
  const b = r.backfill;
  if (b)
    lines.push(
      `backfill of ${b.minutes} minutes of history next to live data: ${b.minutes_per_s.toFixed(0)} minutes/s in ${b.runs} runs (${b.seconds.toFixed(1)} s); the engine alone ${b.engine_minutes_per_s.toFixed(0)} minutes/s (ratio ${b.ratio_to_engine.toFixed(2)})`,
    );
  const x = r.wire;
  if (x)
    for (const [name, v] of [
      ['JS before the sign-in page', x.sign_in_js],
      ['JS from opening to the first chart', x.first_chart_js],
      ['one-day readings JSON', x.readings_day_json],
    ] as const)
      lines.push(
        `on the wire, ${name}: ${kb(v.wire_bytes)} (${v.encoding}) of ${kb(v.raw_bytes)} uncompressed, ${v.files} file${v.files === 1 ? '' : 's'}`,
      );
  if (r.reconcile) lines.push(...formatReconcile(r.reconcile));
  for (const c of r.capacity ?? []) lines.push(...formatCapacity(c));
  return lines.join('\n') + '\n';
}
