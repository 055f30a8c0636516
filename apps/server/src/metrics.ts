/** Prometheus metrics of one process (GET /metrics): ingest, queue, inference, model. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly readingsIngested = new Counter({
    name: 'nilm_readings_ingested_total',
    help: 'Mains readings accepted',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly ingestRejected = new Counter({
    name: 'nilm_ingest_rejected_total',
    help: 'Ingest batches refused',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'nilm_queue_depth',
    help: 'Disaggregation jobs waiting or delayed',
    registers: [this.registry],
  });
  readonly inferenceSeconds = new Histogram({
    name: 'nilm_inference_seconds',
    help: 'Duration of one disaggregation run (read, model, write)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly estimatesWritten = new Counter({
    name: 'nilm_estimates_written_total',
    help: 'Per-appliance estimates written',
    registers: [this.registry],
  });
  readonly jobsFailed = new Counter({
    name: 'nilm_jobs_failed_total',
    help: 'Disaggregation runs that threw',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly modelInfo = new Gauge({
    name: 'nilm_model_info',
    help: 'Active model (value 1)',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'nilm_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nilm_process_' });
  }

  /** Set the model info gauge to exactly one active model. */
  setActiveModel(ref: string | null): void {
    this.modelInfo.reset();
    if (ref) this.modelInfo.set({ model: ref }, 1);
  }
}
