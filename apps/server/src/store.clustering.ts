/**
 * Keeps the embedded store's finished days in building order (`duckdb.layout.ts` in
 * @nilm/stores): a pass a minute after start, then hourly. Each pass rewrites what finished
 * since the last one (usually one day per table, a second or so for a thousand homes), a slice
 * per transaction, so ingest and the worker write between slices. InfluxDB keeps each
 * building's series apart by itself and needs none of this.
 */
import type { DuckDbTimeSeriesStore } from '@nilm/stores';

/** Run `fn` once after `ms`; the returned function cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface ClusteringOptions {
  store: Pick<DuckDbTimeSeriesStore, 'cluster'>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Before the first pass (default 60 s: start-up first). */
  firstMs?: number;
  /** Between passes (default 1 h). */
  everyMs?: number;
  schedule?: Schedule;
}

/** Start the passes; the returned function stops them and waits for a running one. */
export function startClustering(options: ClusteringOptions): () => Promise<void> {
  const schedule = options.schedule ?? realSchedule;
  const every = options.everyMs ?? 3_600_000;
  let cancel = schedule(() => void pass(), options.firstMs ?? 60_000);
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = async (): Promise<void> => {
    const started = performance.now();
    running = options.store
      .cluster()
      .then(({ slices, rows }) => {
        if (slices > 0)
          options.log.info(
            { slices, rows, ms: Math.round(performance.now() - started) },
            'store: rewrote finished days in building order',
          );
      })
      .catch((err: unknown) =>
        options.log.warn({ err }, 'store: clustering pass failed; trying again on the next'),
      );
    await running;
    if (!stopped) cancel = schedule(() => void pass(), every);
  };
  return async () => {
    stopped = true;
    cancel();
    await running;
  };
}
