/**
 * What the capacity bench (capacity.bench.ts) and its worker processes (capacity.worker.ts) both
 * use: store call timing, a worker's counts, and the messages between them. A file of its own so
 * that neither imports the other.
 */
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../metrics.js';
import type { Worker } from '../worker.js';

/** Summed time of one store call. */
export interface CallTotal {
  call: string;
  calls: number;
  ms: number;
}

/** Call timing per method of a store, summed (a Proxy over the real store: nothing is faked). */
export class CallClock {
  private readonly totals = new Map<string, { calls: number; ms: number }>();
  on = false;

  wrap<T extends object>(name: string, target: T): T {
    return new Proxy(target, {
      get: (t, p, r) => {
        const v: unknown = Reflect.get(t, p, r);
        if (typeof v !== 'function' || typeof p !== 'string') return v;
        return (...args: unknown[]) => {
          const out: unknown = (v as (...a: unknown[]) => unknown).apply(t, args);
          if (!this.on || !(out instanceof Promise)) return out;
          const s = performance.now();
          return out.finally(() => this.add(`${name}.${p}`, performance.now() - s));
        };
      },
    });
  }

  private add(call: string, ms: number): void {
    const t = this.totals.get(call) ?? { calls: 0, ms: 0 };
    t.calls++;
    t.ms += ms;
    this.totals.set(call, t);
  }

  top(n: number): CallTotal[] {
    return [...this.totals]
      .map(([call, t]) => ({ call, ...t }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n);
  }
}

/** What workers did so far (summed over workers; a worker process reports its own). */
export interface WorkerCounts {
  /** Runs that read readings, and their summed wall time in seconds. */
  runs: number;
  runSeconds: number;
  estimates: number;
  jobsFailed: number;
  /** Store calls their estimates took, and the runs' writes those carried. */
  writes: { calls: number; items: number };
  runtimeCalls: number;
  /** The workers' own store calls (worker processes only; in process they are the load's). */
  storeMs: CallTotal[];
  /** CPU seconds of worker processes (0 in process: counted with the load's). */
  cpuSeconds: number;
  rssMib: number;
}

/** The counts of `workers` sharing `metrics`, for a worker process's report. */
export async function workerCounts(
  metrics: Metrics,
  worker: Worker,
  runtimeCalls: number,
  clock: CallClock,
  cpu0: NodeJS.CpuUsage,
): Promise<WorkerCounts> {
  const cpu = process.cpuUsage(cpu0);
  return {
    ...(await metricCounts(metrics)),
    writes: { calls: worker.service.writes.calls, items: worker.service.writes.items },
    runtimeCalls,
    storeMs: clock.top(50),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssMib: process.memoryUsage().rss / 2 ** 20,
  };
}

export async function metricCounts(
  metrics: Metrics,
): Promise<Pick<WorkerCounts, 'runs' | 'runSeconds' | 'estimates' | 'jobsFailed'>> {
  const v = (await metrics.inferenceSeconds.get()).values;
  return {
    runs: v.find((x) => x.metricName === 'nilm_inference_seconds_count')?.value ?? 0,
    runSeconds: v.find((x) => x.metricName === 'nilm_inference_seconds_sum')?.value ?? 0,
    estimates: (await metrics.estimatesWritten.get()).values[0]?.value ?? 0,
    jobsFailed: (await metrics.jobsFailed.get()).values.reduce((a, x) => a + x.value, 0),
  };
}

/** What the bench passes a worker process. */
export interface CapacityWorkerArgs {
  /** The bench's models folder (the rest of the configuration is the inherited environment). */
  modelsDir: string;
  queueName: string;
  concurrency: number;
  reconcileMs: number;
  /** Run one reconcile pass at start (the first worker), as the server does. */
  reconcile: boolean;
}

/** A message from a worker process to the bench. */
export type CapacityWorkerMessage =
  { type: 'ready' } | { type: 'counts'; counts: WorkerCounts } | { type: 'failed'; error: string };
