/**
 * One worker process of the capacity bench on Redis (capacity.bench.ts forks one per worker):
 * the stores, the model and a `Worker` on the bench's queue, opened from the same configuration
 * as `nilm worker` opens them, so two workers are two processes as deployed, not two consumers
 * sharing one process's event loop, store clients and model. It reports what it did when the
 * bench asks, over the fork's IPC channel: `{ type: 'counts' }` answers the counts so far,
 * `{ type: 'stop' }` stops taking jobs, closes everything and answers the final counts.
 * Argument: one JSON object, {@link CapacityWorkerArgs}.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BullMqJobQueue } from '@nilm/queue';
import { createParts } from '../app.deps.js';
import { loadConfig } from '../config.js';
import { Metrics } from '../metrics.js';
import { Worker } from '../worker.js';
import {
  CallClock,
  workerCounts,
  type CapacityWorkerArgs,
  type CapacityWorkerMessage,
} from './capacity.counts.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function main(): Promise<void> {
  const send = (m: CapacityWorkerMessage) => process.send?.(m);
  const args = JSON.parse(process.argv[2] ?? '') as CapacityWorkerArgs;
  const config = loadConfig(
    {
      ...process.env,
      NILM_DATA_DIR: mkdtempSync(join(tmpdir(), 'nilm-capworker-')),
      NILM_MODELS_DIR: args.modelsDir,
      NILM_ROLE: 'worker',
      LOG_LEVEL: 'silent',
      DEMO: 'false',
    },
    args.modelsDir,
  );
  if (!config.REDIS_URL) throw new Error('a capacity worker process needs REDIS_URL');
  const parts = await createParts(config);
  const clock = new CallClock();
  clock.on = true;
  const queue = new BullMqJobQueue({
    url: config.REDIS_URL,
    queueName: args.queueName,
    onError: () => undefined,
  });
  const metrics = new Metrics();
  const worker = new Worker({
    timeseries: clock.wrap('timeseries', parts.timeseries),
    metadata: clock.wrap('metadata', parts.metadata),
    queue,
    engine: parts.engine,
    metrics,
    log: quiet,
  });
  const model = await parts.engine.model();
  const calls0 = model.batcher.calls;
  const cpu0 = process.cpuUsage();
  const counts = () => workerCounts(metrics, worker, model.batcher.calls - calls0, clock, cpu0);
  worker.start({ concurrency: args.concurrency, reconcileMs: args.reconcileMs });
  if (args.reconcile) await worker.reconcile();
  send({ type: 'ready' });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'counts') void counts().then((c) => send({ type: 'counts', counts: c }));
    if (m.type === 'stop')
      void (async () => {
        worker.stop();
        await queue.close();
        const final = await counts();
        await parts.close();
        send({ type: 'counts', counts: final });
        process.disconnect();
      })();
  });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'failed', error: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
  process.disconnect?.();
});
