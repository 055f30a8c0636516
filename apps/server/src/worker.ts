/**
 * The disaggregation worker: takes jobs from the queue, runs the model (a job that leaves work
 * undone enqueues its building again), and keeps a reconcile loop that enqueues every building
 * whose estimate backlog holds a range (a job lost with a Redis restart, an enqueue that failed
 * while the queue was down, a backfill cut short by a restart). The loop asks the backlog, not
 * the readings, so a pass costs one indexed query however many buildings and years there are.
 */
import type { InferenceEngine } from '@nilm/ml';
import { isUnrecoverableJobError, type JobQueue } from '@nilm/queue';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import type { Metrics } from './metrics.js';
import { DisaggregationService } from './services/disaggregation.service.js';

/** Buildings one reconcile pass enqueues at most, those waiting longest first. */
const RECONCILE_LIMIT = 10_000;
/** Buildings one enqueue round trip of a reconcile pass carries. */
const ENQUEUE_CHUNK = 500;

export interface WorkerDeps {
  timeseries: TimeSeriesStore;
  metadata: MetadataStore;
  queue: JobQueue;
  engine: InferenceEngine;
  metrics: Metrics;
  /** Told after a run that wrote estimates for the building (Home Assistant publishing). */
  onEstimated?: (buildingId: string) => void;
  /**
   * Alerts: evaluated (and sent) after a run that wrote estimates, and on every reconcile pass
   * (a silent meter writes none). Never throws into the job.
   */
  alerts?: { afterEstimates(buildingId: string): Promise<unknown>; tick(): Promise<unknown> };
  /**
   * Found devices: each building's daily discovery pass, due on reconcile passes, and a pass over
   * its recent readings after a run that wrote estimates (throttled per building). Never throws.
   */
  discovery?: { tick(): Promise<unknown>; afterEstimates(buildingId: string): Promise<unknown> };
  /**
   * Fine-tunes (issue 13.4), in a lane of their own (finetune.runner.ts): woken after a
   * building's disaggregation run (the API enqueues the building when it queues one) and on
   * reconcile passes (one whose worker died), never awaited by a job, so estimates go on while a
   * fine-tune trains. `wake` never throws; `stop` ends the lane for a shutdown.
   */
  finetune?: { wake(buildingId?: string): void; stop(): Promise<void> };
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
  private finetuneStopped: Promise<void> | undefined;

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
          if (r.written > 0) this.deps.onEstimated?.(job.buildingId);
          if (r.written > 0) await this.deps.alerts?.afterEstimates(job.buildingId);
          if (r.written > 0) await this.deps.discovery?.afterEstimates(job.buildingId);
          if (r.more) await this.deps.queue.enqueue(job.buildingId);
          else this.deps.finetune?.wake(job.buildingId);
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

  /** Enqueue every building with a pending range in its estimate backlog; returns their ids. */
  async reconcile(): Promise<string[]> {
    if (this.reconciling) return [];
    this.reconciling = true;
    const enqueued: string[] = [];
    try {
      const ids = await this.deps.metadata.buildingsWithPending(RECONCILE_LIMIT);
      // In round trips of ENQUEUE_CHUNK (a Redis call per building was most of a pass).
      for (let i = 0; i < ids.length; i += ENQUEUE_CHUNK) {
        const chunk = ids.slice(i, i + ENQUEUE_CHUNK);
        await this.deps.queue.enqueueMany(chunk);
        enqueued.push(...chunk);
      }
    } catch (e) {
      this.deps.log.warn({ err: e }, 'reconcile pass failed; retrying on the next pass');
    } finally {
      this.reconciling = false;
    }
    await this.deps.alerts?.tick();
    await this.deps.discovery?.tick();
    this.deps.finetune?.wake();
    return enqueued;
  }

  /** Stop the reconcile loop (the queue's close waits for running jobs) and the fine-tune lane. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.finetuneStopped ??= this.deps.finetune?.stop();
  }

  /** Stop, and wait until a running fine-tune has stopped (at its next training step). */
  async close(): Promise<void> {
    this.stop();
    await this.finetuneStopped;
  }
}
