/**
 * What one reconcile pass costs per 1,000 buildings (issue 16.2): the worker's real
 * `reconcile()` lists the buildings with a pending estimate range from the metadata store and
 * enqueues each in the job queue. Run: `npx tsx apps/server/src/bench/reconcile.bench.ts
 * [buildings...]` (default 1000 5000). Embedded engines (PGlite in memory, the in-process queue);
 * with DATABASE_URL set, that PostgreSQL database instead of PGlite (use a scratch database: the
 * bench adds `rbench-*` buildings). Each size: 7 passes, each on a fresh queue (so every
 * building is enqueued, not de-duplicated), median and range printed with the process's RSS.
 */
import { resolve } from 'node:path';
import { InferenceEngine } from '@nilm/ml';
import { MemoryJobQueue } from '@nilm/queue';
import {
  createPgliteMetadataStore,
  createPostgresMetadataStore,
  DuckDbTimeSeriesStore,
  type MetadataStore,
} from '@nilm/stores';
import { Metrics } from '../metrics.js';
import { Worker } from '../worker.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function passes(metadata: MetadataStore, engine: InferenceEngine, n: number): Promise<void> {
  const timeseries = await DuckDbTimeSeriesStore.open({});
  const now = Date.now();
  const stamp = now.toString(36);
  for (let i = 0; i < n; i++) {
    const id = `rbench-${stamp}-${i}`;
    await metadata.createBuilding({ id, name: id, timezone: 'UTC', isDemo: false, modelRef: null });
    await metadata.markPending(id, [now - (i % 60) * 60_000, now]);
  }
  const ms: number[] = [];
  for (let r = 0; r < 7; r++) {
    const queue = new MemoryJobQueue();
    const worker = new Worker({
      timeseries,
      metadata,
      queue,
      engine,
      metrics: new Metrics(),
      log: quiet,
    });
    const t0 = performance.now();
    const enqueued = await worker.reconcile();
    ms.push(performance.now() - t0);
    if (enqueued.length < n) throw new Error(`reconcile enqueued ${enqueued.length} of ${n}`);
    await queue.close();
  }
  await timeseries.close();
  ms.sort((a, b) => a - b);
  const per = (x: number): string => ((x * 1000) / n).toFixed(1);
  process.stdout.write(
    `${n} buildings: one reconcile pass ${ms[3]!.toFixed(1)} ms median (${ms[0]!.toFixed(1)}-${ms[6]!.toFixed(1)}); ` +
      `per 1,000 buildings ${per(ms[3]!)} ms (${per(ms[0]!)}-${per(ms[6]!)}); RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`,
  );
}

const sizes = process.argv.slice(2).map(Number);
const url = process.env['DATABASE_URL'];
const engine = await InferenceEngine.open(resolve(import.meta.dirname, '../../../../models'));
for (const n of sizes.length > 0 ? sizes : [1000, 5000]) {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`building counts must be whole numbers >= 1, got ${n}`);
  const metadata = url
    ? createPostgresMetadataStore({ connectionString: url })
    : await createPgliteMetadataStore({});
  await metadata.migrate();
  process.stdout.write(url ? 'PostgreSQL: ' : 'PGlite: ');
  await passes(metadata, engine, n);
  await metadata.close();
}
await engine.close();
