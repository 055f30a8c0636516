/**
 * The disaggregation worker: takes jobs from the queue, runs the model, and keeps a reconcile
 * loop that finds buildings whose estimates lag behind their readings (a job lost with a Redis
 * restart, or an enqueue that failed while the queue was down) and enqueues them again.
 */
import type { InferenceEngine } from '@nilm/ml';
import { isUnrecoverableJobError, type JobQueue } from '@nilm/queue';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import type { Metrics } from './metrics.js';
import { DisaggregationService } from './services/disaggregation.service.js';

export interface WorkerDeps {
  timeseries: TimeSeriesStore;
  metadata: MetadataStore;
  queue: JobQueue;
  engine: InferenceEngine;
  metrics: Metrics;
  log: {
    info: (o: object, m: string) => void;
    warn: (o: object, m: string) => void;
    error: (o: object, m: string) => void;
  };
}

export class Worker {
  readonly service: DisaggregationService;
  private timer: NodeJS.Timeout | undefined;
  private reconciling = false;

  constructor(private readonly deps: WorkerDeps) {
    this.service = new DisaggregationService({
      timeseries: deps.timeseries,
      metadata: deps.metadata,
      engine: deps.engine,
      onRun: (r) => {
        deps.metrics.inferenceSeconds.observe(r.seconds);
        deps.metrics.estimatesWritten.inc(r.estimates);
      },
    });
  }

  /** Start taking jobs, and reconcile every `reconcileMs`. */
  start(opts: { concurrency: number; reconcileMs?: number }): void {
    this.deps.queue.process(
      async (job) => {
        try {
          const r = await this.service.run(job.buildingId);
          if (r.more) await this.deps.queue.enqueue(job.buildingId);
        } catch (e) {
          this.deps.metrics.jobsFailed.inc({
            kind: isUnrecoverableJobError(e) ? 'unrecoverable' : 'transient',
          });
          this.deps.log.warn(
            { err: e, buildingId: job.buildingId, attempt: job.attempt },
            'disaggregation run failed',
          );
          throw e;
        }
      },
      { concurrency: opts.concurrency },
    );
    const every = opts.reconcileMs ?? 30_000;
    this.timer = setInterval(() => void this.reconcile(), every);
    this.timer.unref();
  }

  /** Enqueue every building whose newest reading is newer than its newest estimate by 2+ minutes. */
  async reconcile(): Promise<string[]> {
    if (this.reconciling) return [];
    this.reconciling = true;
    const enqueued: string[] = [];
    try {
      for (const b of await this.deps.metadata.listBuildings()) {
        const [r, e] = await Promise.all([
          this.deps.timeseries.latestReadingTs(b.id),
          this.deps.timeseries.latestEstimateTs(b.id),
        ]);
        if (r !== null && (e === null || r - e > 120_000)) {
          await this.deps.queue.enqueue(b.id);
          enqueued.push(b.id);
        }
      }
    } catch (e) {
      this.deps.log.warn({ err: e }, 'reconcile pass failed; retrying on the next pass');
    } finally {
      this.reconciling = false;
    }
    return enqueued;
  }

  /** Stop the reconcile loop (the queue's close waits for running jobs). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
