/**
 * Worker capacity, measured by running it (issue 16.2): `homes` simulated homes, each with a few
 * hours of one-minute history (the model's context; taken as estimated before, so it is not in
 * the backlog), send one reading every `intervalS` through the real ingest path (IngestService:
 * store write, backlog mark, enqueue) for `seconds` of wall time, while real `Worker`s take the
 * jobs from the real queue. Nothing is multiplied: what is printed is what was done, and what was
 * left undone at the end (the metadata store's backlog, the queue's waiting jobs, and each home's
 * newest estimate behind its newest reading). Beside it, the same run times the time-series
 * store alone on the write ingest makes (one reading of one home per call), one call at a time.
 * The homes are seeded once; each worker count then runs on them in turn, so a later run starts
 * with what the earlier one left (printed as its first backlog point).
 *
 * Queues: the configured one. Each Worker takes WORKER_CONCURRENCY jobs at a time, as the
 * server's does (their estimates share store writes, their windows runtime calls). The
 * in-process queue has one consumer per process (an embedded server owns its DuckDB file), so
 * there `workers: 2` is one Worker in this process taking twice as many jobs at a time. On Redis
 * each worker is a process of its own (capacity.worker.ts: its own stores' clients, model and
 * event loop, as `nilm worker` processes), `workers: 1` included, so this process holds only
 * the load. The homes' readings are sent from this process, so the load and the workers share
 * the machine's cores.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BullMqJobQueue, MemoryJobQueue, type JobQueue } from '@nilm/queue';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import type { Parts } from '../app.deps.js';
import { Metrics } from '../metrics.js';
import { IngestService } from '../services/ingest.service.js';
import { Worker } from '../worker.js';
import {
  CallClock,
  metricCounts,
  type CallTotal,
  type CapacityWorkerArgs,
  type CapacityWorkerMessage,
  type WorkerCounts,
} from './capacity.counts.js';

export interface CapacityOptions {
  /** Simulated homes. */
  homes: number;
  /** Wall time the homes send readings for, per worker count. */
  seconds: number;
  /** Worker counts to run, in turn (see the file's comment for what 2 means per queue). */
  workers: readonly number[];
  /** Seconds between two readings of one home. */
  intervalS?: number;
  /** One-minute history per home before the load starts (the model's context). */
  historyMinutes?: number;
  /** How often the workers reconcile (the server's WORKER_RECONCILE_MS). */
  reconcileMs?: number;
}

/** The backlog at one moment of the load. */
interface BacklogPoint {
  /** Seconds since the load started. */
  at_s: number;
  /** Homes with a pending range in the metadata store's estimate backlog. */
  pending_homes: number;
  /** Queue jobs waiting, delayed or running. */
  queued: number;
}

export interface CapacityResult {
  homes: number;
  workers: number;
  /** How the workers ran (one Worker with concurrency, or Workers with consumers of their own). */
  worker_mode: string;
  seconds: number;
  interval_s: number;
  seed_seconds: number;
  /** The time-series store alone: single-reading writes per second, one call at a time. */
  store_writes_per_s: number;
  /**
   * On InfluxDB, the engine alone: one line-protocol point per HTTP write, one at a time, in a
   * measurement of its own (no rollups); null on other stores.
   */
  engine_writes_per_s: number | null;
  readings_offered_per_s: number;
  readings_ingested_per_s: number;
  ingest_p50_ms: number;
  ingest_p99_ms: number;
  ingest_failed: number;
  jobs_done: number;
  runs_with_readings: number;
  estimates_written: number;
  jobs_failed: number;
  /** Runs per home per minute, averaged over the load. */
  runs_per_home_minute: number;
  /** Mean wall time of one run (its read, model and write), from the worker's histogram. */
  run_ms_mean: number;
  /** Snapshots during the load; the last one is taken as the homes stop sending. */
  backlog: BacklogPoint[];
  /** The newest estimate's minute behind the newest reading's minute, per home, at the end. */
  lag_p50_s: number;
  lag_p99_s: number;
  lag_max_s: number;
  /** Homes the lag is taken over (up to 500, spread evenly). */
  lag_homes: number;
  /** Of those, homes with no estimate from the load's minutes on (no run reached them). */
  homes_not_reached: number;
  /** After the load: the workers alone on what it left, for at most as long as the load ran. */
  drain: {
    homes_pending_before: number;
    homes_pending_after: number;
    seconds: number;
    runs: number;
  };
  /** Summed time of each store call during the load (overlapping calls add up), top first. */
  store_ms: CallTotal[];
  /** Store calls ingest made and the ingest calls they carried (gathered, gatherer.ts). */
  ingest_writes: { calls: number; items: number };
  /** Store calls the workers' estimates took and the runs' writes they carried. */
  estimate_writes: { calls: number; items: number };
  /** Runtime calls of the model during the load. */
  runtime_calls: number;
  /** This process's CPU time over the load's wall time (2 = two cores busy), and its event loop's. */
  cpu_cores_used: number;
  /** On Redis, the worker processes together: CPU over the load's wall time (from their start), RSS. */
  worker_processes: { cpu_cores: number; rss_mib: number } | null;
  event_loop_utilization: number;
  rss_mib: number;
  rss_peak_mib: number;
  load_avg: [number, number, number];
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;

const last = <T>(xs: readonly T[]): T => xs[xs.length - 1]!;

const pct = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Workers the load runs beside: in this process, or processes of their own. */
interface WorkerPool {
  /** How they run, for the report. */
  mode: string;
  /** Take jobs (and run one reconcile pass, as the server does at start). */
  start(): Promise<void>;
  counts(): Promise<WorkerCounts>;
  /** Stop taking jobs, wait for the running ones; the final counts. */
  stop(): Promise<WorkerCounts>;
}

/** Workers in this process: one per consumer queue, sharing the load's stores and model. */
function inProcessPool(
  parts: Parts,
  model: Model,
  stores: { timeseries: TimeSeriesStore; metadata: MetadataStore },
  consumers: readonly JobQueue[],
  concurrency: number,
  reconcileMs: number,
  mode: string,
): WorkerPool {
  const metrics = new Metrics();
  const runners = consumers.map(
    (queue) => new Worker({ ...stores, queue, engine: parts.engine, metrics, log: quiet }),
  );
  const calls0 = model.batcher.calls;
  const counts = async (): Promise<WorkerCounts> => ({
    ...(await metricCounts(metrics)),
    writes: {
      calls: runners.reduce((a, w) => a + w.service.writes.calls, 0),
      items: runners.reduce((a, w) => a + w.service.writes.items, 0),
    },
    runtimeCalls: model.batcher.calls - calls0,
    storeMs: [],
    cpuSeconds: 0,
    rssMib: 0,
  });
  return {
    mode,
    async start() {
      for (const w of runners) w.start({ concurrency, reconcileMs });
      await runners[0]!.reconcile();
    },
    counts,
    async stop() {
      for (const w of runners) w.stop();
      // Closing waits for the running jobs.
      await Promise.all(consumers.map((q) => q.close()));
      return counts();
    },
  };
}

/**
 * `n` worker processes (capacity.worker.ts) on the Redis queue `queueName`, each taking
 * `concurrency` jobs at a time with its own stores, model and event loop, as `nilm worker`
 * processes would.
 */
function processPool(
  n: number,
  args: Omit<CapacityWorkerArgs, 'reconcile'>,
  mode: string,
): WorkerPool {
  const here = fileURLToPath(import.meta.url);
  const script = here.replace(/capacity\.bench\.(ts|js)$/, 'capacity.worker.$1');
  // From the TypeScript sources (tsx registered in this process by `nilm`), the child loads tsx
  // itself; compiled, it runs the compiled script.
  const execArgv = here.endsWith('.ts')
    ? [...process.execArgv, '--import', import.meta.resolve('tsx/esm')]
    : process.execArgv;
  const children: ChildProcess[] = [];
  const answers: Array<Array<(m: CapacityWorkerMessage) => void>> = [];
  const next = (k: number) =>
    new Promise<CapacityWorkerMessage>((resolve, reject) => {
      const child = children[k]!;
      const gone = () =>
        reject(
          new Error(`capacity worker process ${k} exited (${child.exitCode}) before answering`),
        );
      if (child.exitCode !== null || child.signalCode !== null) return gone();
      answers[k]!.push(resolve);
      child.once('exit', gone);
    });
  const ask = async (type: 'counts' | 'stop'): Promise<WorkerCounts> => {
    const all = await Promise.all(
      children.map(async (child, k) => {
        const answer = next(k);
        child.send({ type });
        const m = await answer;
        if (m.type !== 'counts')
          throw new Error(`capacity worker process ${k}: ${JSON.stringify(m)}`);
        return m.counts;
      }),
    );
    return sumCounts(all);
  };
  return {
    mode,
    async start() {
      for (let k = 0; k < n; k++) {
        const payload: CapacityWorkerArgs = { ...args, reconcile: k === 0 };
        const child = fork(script, [JSON.stringify(payload)], {
          execArgv,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        answers.push([]);
        child.on('message', (m: CapacityWorkerMessage) => answers[k]!.shift()?.(m));
      }
      const ready = await Promise.all(children.map((_, k) => next(k)));
      const failed = ready.find((m) => m.type !== 'ready');
      if (failed) {
        for (const c of children) c.kill();
        throw new Error(`a capacity worker process did not start: ${JSON.stringify(failed)}`);
      }
    },
    counts: () => ask('counts'),
    stop: () => ask('stop'),
  };
}

function sumCounts(all: readonly WorkerCounts[]): WorkerCounts {
  const store = new Map<string, { calls: number; ms: number }>();
  for (const c of all)
    for (const s of c.storeMs) {
      const t = store.get(s.call) ?? { calls: 0, ms: 0 };
      store.set(s.call, { calls: t.calls + s.calls, ms: t.ms + s.ms });
    }
  const sum = (f: (c: WorkerCounts) => number) => all.reduce((a, c) => a + f(c), 0);
  return {
    runs: sum((c) => c.runs),
    runSeconds: sum((c) => c.runSeconds),
    estimates: sum((c) => c.estimates),
    jobsFailed: sum((c) => c.jobsFailed),
    writes: { calls: sum((c) => c.writes.calls), items: sum((c) => c.writes.items) },
    runtimeCalls: sum((c) => c.runtimeCalls),
    storeMs: [...store].map(([call, t]) => ({ call: `worker ${call}`, ...t })),
    cpuSeconds: sum((c) => c.cpuSeconds),
    rssMib: sum((c) => c.rssMib),
  };
}

/** Run `fn` over `items` with at most `limit` at once. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** A home's mains at reading `k`: a base load, a fridge cycle and now and then a kettle. */
const powerAt = (h: number, k: number): number =>
  150 + ((k * (h + 3)) % 400) + (k % 97 < 3 ? 2000 : 0) + ((k >> 4) % 2) * 90;

/** InfluxDB's own rate for single-point writes over HTTP, one at a time, for about 3 s. */
async function rawInfluxWrites(parts: Parts): Promise<number | null> {
  const c = parts.config;
  if (!c.INFLUX_URL) return null;
  const url = new URL('write', c.INFLUX_URL.endsWith('/') ? c.INFLUX_URL : `${c.INFLUX_URL}/`);
  url.searchParams.set('db', c.INFLUX_DATABASE);
  url.searchParams.set('precision', 'ms');
  const headers: Record<string, string> = {};
  if (c.INFLUX_TOKEN) headers.authorization = `Token ${c.INFLUX_TOKEN}`;
  else if (c.INFLUX_USERNAME)
    headers.authorization = `Basic ${Buffer.from(`${c.INFLUX_USERNAME}:${c.INFLUX_PASSWORD ?? ''}`).toString('base64')}`;
  let n = 0;
  const t0 = performance.now();
  const ts0 = Date.now() - 86_400_000;
  while (performance.now() - t0 < 3_000) {
    const r = await fetch(url, {
      method: 'POST',
      headers,
      body: `capbench_raw,building=b${n % 100} power_w=${n} ${ts0 + n}`,
    });
    if (r.status !== 204) throw new Error(`InfluxDB answered ${r.status} to a raw write`);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Seed the homes once, time the store alone, then run each worker count on them in turn. */
export async function benchCapacity(
  parts: Parts,
  opts: CapacityOptions,
): Promise<CapacityResult[]> {
  const { homes, seconds } = opts;
  const historyMinutes = opts.historyMinutes ?? 400;
  if (!Number.isInteger(homes) || homes < 1)
    throw new RangeError(`homes must be a whole number >= 1, got ${homes}`);
  for (const w of opts.workers)
    if (!Number.isInteger(w) || w < 1 || w > 8)
      throw new RangeError(`workers must be whole numbers from 1 to 8, got ${w}`);
  if (!(seconds > 0)) throw new RangeError(`seconds must be > 0, got ${seconds}`);
  const model = await parts.engine.model();
  if (historyMinutes < model.window + model.window / 2)
    throw new RangeError(
      `historyMinutes must hold the model's context (${1.5 * model.window}), got ${historyMinutes}`,
    );

  // Seed: buildings and one-minute history ending a minute ago, straight to the stores.
  const stamp = Date.now().toString(36);
  const ids = Array.from({ length: homes }, (_, h) => `cap-${stamp}-${h}`);
  const seed0 = performance.now();
  const lastSeeded = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
  await eachLimited(ids, 8, async (id) => {
    await parts.metadata.createBuilding({
      id,
      name: id,
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
  });
  // The history in store calls of 50 homes each (one call per home took 1300 s for 10,000).
  const SEED_HOMES_PER_CALL = 50;
  for (let h0 = 0; h0 < homes; h0 += SEED_HOMES_PER_CALL)
    await parts.timeseries.writeReadingsMany(
      ids.slice(h0, h0 + SEED_HOMES_PER_CALL).map((buildingId, j) => ({
        buildingId,
        readings: Array.from({ length: historyMinutes }, (_, i) => ({
          ts: lastSeeded - (historyMinutes - 1 - i) * MINUTE,
          powerW: powerAt(h0 + j, i),
        })),
      })),
    );
  const seedSeconds = (performance.now() - seed0) / 1000;

  // The store alone on ingest's write: one reading of one home per call, for about 3 s.
  let writes = 0;
  const w0 = performance.now();
  while (performance.now() - w0 < 3_000) {
    const h = writes % homes;
    await parts.timeseries.writeReadings(ids[h]!, [
      { ts: lastSeeded + 30_000 + Math.floor(writes / homes), powerW: powerAt(h, writes) },
    ]);
    writes++;
  }
  const storeWritesPerS = writes / ((performance.now() - w0) / 1000);
  const engineWritesPerS = await rawInfluxWrites(parts);

  const results: CapacityResult[] = [];
  for (const workers of opts.workers)
    results.push(
      await runLoad(parts, model, ids, {
        ...opts,
        workers,
        historyMinutes,
        stamp: `${stamp}-${workers}`,
        historyEnd: lastSeeded,
        seedSeconds,
        storeWritesPerS,
        engineWritesPerS,
      }),
    );
  return results;
}

type Model = Awaited<ReturnType<Parts['engine']['model']>>;

/** One load of `opts.seconds` with `opts.workers` workers on the seeded homes. */
async function runLoad(
  parts: Parts,
  model: Model,
  ids: readonly string[],
  opts: Omit<CapacityOptions, 'workers'> & {
    workers: number;
    historyMinutes: number;
    stamp: string;
    /** The newest minute of the seeded history. */
    historyEnd: number;
    seedSeconds: number;
    storeWritesPerS: number;
    engineWritesPerS: number | null;
  },
): Promise<CapacityResult> {
  const { homes, seconds, workers, historyMinutes, stamp } = opts;
  const intervalMs = (opts.intervalS ?? 10) * 1000;
  const clock = new CallClock();
  const timeseries: TimeSeriesStore = clock.wrap('timeseries', parts.timeseries);
  const metadata: MetadataStore = clock.wrap('metadata', parts.metadata);

  // Queues: the ingest side's and each worker's.
  const redisUrl = parts.config.REDIS_URL;
  const queueName = `capbench-${stamp}`;
  const newQueue = (): JobQueue =>
    redisUrl
      ? new BullMqJobQueue({ url: redisUrl, queueName, onError: () => undefined })
      : new MemoryJobQueue();
  const producer = newQueue();
  const perWorker = parts.config.WORKER_CONCURRENCY;
  const reconcileMs = opts.reconcileMs ?? 30_000;
  // On Redis each worker is a process of its own (capacity.worker.ts), as `nilm worker`s are
  // deployed. The in-process queue has one consumer (an embedded server owns its DuckDB file),
  // so there N workers are one Worker in this process taking N times as many jobs at a time.
  const pool: WorkerPool = redisUrl
    ? processPool(
        workers,
        { modelsDir: parts.config.modelsDir, queueName, concurrency: perWorker, reconcileMs },
        `${workers} worker process${workers === 1 ? '' : 'es'}, each its own BullMQ consumer taking ${perWorker} job${perWorker === 1 ? '' : 's'} at a time`,
      )
    : inProcessPool(
        parts,
        model,
        { timeseries, metadata },
        [producer],
        workers * perWorker,
        reconcileMs,
        `one Worker, ${workers * perWorker} job${workers * perWorker === 1 ? '' : 's'} at a time (in-process queue)`,
      );
  const ingest = new IngestService({ timeseries, backlog: metadata, queue: producer });
  const stats = async () => {
    const s = await producer.stats();
    return { completed: s.completed, queued: s.waiting + s.delayed + s.active };
  };
  const mine = new Set(ids);
  const pendingHomes = async () =>
    (await parts.metadata.buildingsWithPending(homes + 1000)).filter((id) => mine.has(id)).length;

  const completed0 = (await stats()).completed;
  // As the server starts them: take jobs, then one reconcile pass for what is already pending.
  // A pool that fails to start leaves no queue connection open to keep this process alive.
  await pool.start().catch(async (e: unknown) => {
    await producer.close();
    throw e;
  });

  // The load: home h sends at h/homes of each interval, so the readings come evenly spread.
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  // Homes are independent meters: each may have its reading in flight at once (64 in all, as
  // before, capped ingest at 64 / its latency, a limit of the bench's sender, not of ingest).
  const MAX_IN_FLIGHT = homes;
  const backlog: BacklogPoint[] = [];
  let rssPeak = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  backlog.push({ at_s: 0, pending_homes: await pendingHomes(), queued: (await stats()).queued });
  clock.on = true;
  const t0 = performance.now();
  const loadStartMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
  const end = t0 + seconds * 1000;
  const snapEvery = Math.max(5_000, (seconds * 1000) / 6);
  let nextSnap = t0 + snapEvery;
  let k = 0; // readings due so far, in order (home k % homes, round floor(k / homes))
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    const due = Math.floor(((now - t0) / intervalMs) * homes);
    while (k < due && inFlight < MAX_IN_FLIGHT) {
      const h = k % homes;
      const round = Math.floor(k / homes);
      k++;
      inFlight++;
      const s = performance.now();
      void ingest
        .ingest(ids[h]!, [{ ts: Date.now(), power_w: powerAt(h, historyMinutes + round) }])
        .then(
          () => {
            sent++;
            latencies.push(performance.now() - s);
          },
          () => void failed++,
        )
        .finally(() => inFlight--);
    }
    if (now >= nextSnap) {
      nextSnap += snapEvery;
      backlog.push({
        at_s: (now - t0) / 1000,
        pending_homes: await pendingHomes(),
        queued: (await stats()).queued,
      });
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    // Give the workers the loop until the next reading is due (or a send slot frees).
    await new Promise((r) => setTimeout(r, 5));
  }
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  const wall = (performance.now() - t0) / 1000;
  clock.on = false;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  backlog.push({ at_s: wall, pending_homes: await pendingHomes(), queued: (await stats()).queued });
  const completed = (await stats()).completed - completed0;
  const rss = process.memoryUsage().rss;
  rssPeak = Math.max(rssPeak, rss);
  const load = loadavg() as [number, number, number];
  const atEnd = await pool.counts();

  // Each home's lag, as the homes stop sending (the workers go on meanwhile: a few seconds of
  // optimism): its newest estimate's minute behind its newest reading's minute. Up to 500 homes
  // spread evenly over all, so the queries stay short beside the load.
  const lags: number[] = [];
  let notReached = 0;
  const sample = ids.filter((_, h) => h % Math.max(1, Math.floor(homes / 500)) === 0);
  await eachLimited(sample, 8, async (id) => {
    const [r, e] = await Promise.all([
      parts.timeseries.latestReadingTs(id),
      parts.timeseries.latestEstimateTs(id),
    ]);
    if (r === null) return;
    // A home no run has reached is as far behind as its history's end (taken as estimated).
    const newest = e ?? opts.historyEnd;
    if (e === null || e < loadStartMinute) notReached++;
    lags.push(Math.max(0, Math.floor(r / MINUTE) * MINUTE - newest) / 1000);
  });
  lags.sort((a, b) => a - b);

  // The workers alone on what the load left: how fast the backlog drains with nothing arriving
  // (for at most as long as the load ran).
  const pendingLeft = last(backlog).pending_homes;
  const d0 = performance.now();
  let pendingNow = await pendingHomes();
  while (pendingNow > 0 && performance.now() - d0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1_000));
    pendingNow = await pendingHomes();
  }
  const drainSeconds = (performance.now() - d0) / 1000;
  const final = await pool.stop();
  const drainRuns = final.runs - atEnd.runs;
  await producer.close();

  const runs = atEnd.runs;
  latencies.sort((a, b) => a - b);
  return {
    homes,
    workers,
    worker_mode: pool.mode,
    ingest_writes: { calls: ingest.writes.calls, items: ingest.writes.items },
    estimate_writes: atEnd.writes,
    seconds: wall,
    interval_s: intervalMs / 1000,
    seed_seconds: opts.seedSeconds,
    store_writes_per_s: opts.storeWritesPerS,
    engine_writes_per_s: opts.engineWritesPerS,
    readings_offered_per_s: (homes * 1000) / intervalMs,
    readings_ingested_per_s: sent / wall,
    ingest_p50_ms: pct(latencies, 0.5),
    ingest_p99_ms: pct(latencies, 0.99),
    ingest_failed: failed,
    jobs_done: completed,
    runs_with_readings: runs,
    estimates_written: atEnd.estimates,
    jobs_failed: final.jobsFailed,
    runs_per_home_minute: runs / homes / (wall / 60),
    run_ms_mean: runs > 0 ? (atEnd.runSeconds * 1000) / runs : NaN,
    backlog,
    lag_p50_s: pct(lags, 0.5),
    lag_p99_s: pct(lags, 0.99),
    lag_max_s: lags.length ? lags[lags.length - 1]! : NaN,
    lag_homes: sample.length,
    homes_not_reached: notReached,
    drain: {
      homes_pending_before: pendingLeft,
      homes_pending_after: pendingNow,
      seconds: drainSeconds,
      runs: drainRuns,
    },
    store_ms: [...clock.top(8), ...atEnd.storeMs].sort((a, b) => b.ms - a.ms).slice(0, 10),
    runtime_calls: atEnd.runtimeCalls,
    cpu_cores_used: (cpu.user + cpu.system) / 1e6 / wall,
    worker_processes: redisUrl
      ? { cpu_cores: atEnd.cpuSeconds / wall, rss_mib: atEnd.rssMib }
      : null,
    event_loop_utilization: elu.utilization,
    rss_mib: rss / 2 ** 20,
    rss_peak_mib: rssPeak / 2 ** 20,
    load_avg: load,
  };
}

/** The result as the lines `nilm bench --server` prints. */
export function formatCapacity(r: CapacityResult): string[] {
  const end = last(r.backlog);
  const d = r.drain;
  return [
    `capacity, ${r.homes} homes at one reading per ${r.interval_s} s for ${r.seconds.toFixed(0)} s, ${r.worker_mode} (seeded in ${r.seed_seconds.toFixed(0)} s):`,
    `  ingest: ${r.readings_ingested_per_s.toFixed(0)} readings/s of ${r.readings_offered_per_s.toFixed(0)} offered (${(r.readings_ingested_per_s / r.readings_offered_per_s).toFixed(2)}), p50 ${r.ingest_p50_ms.toFixed(1)} ms, p99 ${r.ingest_p99_ms.toFixed(1)} ms, ${r.ingest_failed} failed; the store alone ${r.store_writes_per_s.toFixed(0)} single-reading writes/s one at a time (ingest at ${(r.readings_ingested_per_s / r.store_writes_per_s).toFixed(2)} of it)${r.engine_writes_per_s === null ? '' : `, InfluxDB alone ${r.engine_writes_per_s.toFixed(0)} single-point writes/s (the store at ${(r.store_writes_per_s / r.engine_writes_per_s).toFixed(2)} of it)`}`,
    `  gathered writes: ingest ${r.ingest_writes.items} calls in ${r.ingest_writes.calls} store writes (${(r.ingest_writes.items / Math.max(1, r.ingest_writes.calls)).toFixed(1)} each), estimates of ${r.estimate_writes.items} runs in ${r.estimate_writes.calls} store writes (${(r.estimate_writes.items / Math.max(1, r.estimate_writes.calls)).toFixed(1)} each)`,
    `  worker: ${r.jobs_done} jobs done, ${r.runs_with_readings} runs (${r.run_ms_mean.toFixed(1)} ms each, ${r.runs_per_home_minute.toFixed(2)} per home per minute), ${r.estimates_written} estimates written, ${r.runtime_calls} runtime calls, ${r.jobs_failed} failed`,
    `  backlog during the load (s: homes pending / jobs queued): ${r.backlog.map((b) => `${b.at_s.toFixed(0)}: ${b.pending_homes}/${b.queued}`).join(', ')}`,
    `  at the end: ${end.pending_homes} homes with pending readings, ${end.queued} jobs queued; newest estimate behind newest reading (${r.lag_homes} homes) p50 ${r.lag_p50_s.toFixed(0)} s, p99 ${r.lag_p99_s.toFixed(0)} s, max ${r.lag_max_s.toFixed(0)} s; ${r.homes_not_reached} of them not reached during the load`,
    `  then the workers alone: ${d.homes_pending_before - d.homes_pending_after} of ${d.homes_pending_before} pending homes done in ${d.seconds.toFixed(0)} s (${d.runs} runs, ${(d.runs / d.seconds).toFixed(1)} runs/s), ${d.homes_pending_after} left`,
    `  store time summed over calls: ${r.store_ms.map((s) => `${s.call} ${(s.ms / 1000).toFixed(1)} s/${s.calls}`).join(', ')}`,
    `  process: ${r.cpu_cores_used.toFixed(2)} cores, event loop ${(r.event_loop_utilization * 100).toFixed(0)} % busy, RSS ${r.rss_mib.toFixed(0)} MiB (peak ${r.rss_peak_mib.toFixed(0)}), load average ${r.load_avg.map((x) => x.toFixed(2)).join(' ')}${r.worker_processes === null ? '' : `; worker processes ${r.worker_processes.cpu_cores.toFixed(2)} cores (from their start), RSS ${r.worker_processes.rss_mib.toFixed(0)} MiB together`}`,
  ];
}
