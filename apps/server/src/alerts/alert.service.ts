/**
 * The worker's side of alerts: after a run that wrote estimates, evaluate that building's rules
 * and send what was raised; on every reconcile pass, evaluate every building with alert
 * settings (a silent meter writes no estimates) and send what is due (retries). A failure is
 * logged and left to the next pass: it never fails the disaggregation job.
 */
import type { InferenceEngine } from '@nilm/ml';
import type { MetadataStore, NewAlert, TimeSeriesStore } from '@nilm/stores';
import type { AlertChannel } from '@nilm/contracts';
import type { AlertSender } from './alert.channels.js';
import { AlertEvaluator } from './alert.evaluator.js';
import { AlertOutbox, type AlertOutboxDeps } from './alert.outbox.js';

export interface AlertServiceDeps {
  metadata: MetadataStore;
  timeseries: TimeSeriesStore;
  /** For `model_drift` (the building's model and its thresholds); that rule is skipped without. */
  engine?: InferenceEngine;
  senders: Partial<Record<AlertChannel, AlertSender>>;
  now?: () => number;
  log: { warn: (o: object, m: string) => void };
  outbox?: Pick<AlertOutboxDeps, 'backoffMs' | 'maxBackoffMs' | 'maxAttempts' | 'leaseMs'>;
}

export class AlertService {
  readonly evaluator: AlertEvaluator;
  readonly outbox: AlertOutbox;

  constructor(private readonly deps: AlertServiceDeps) {
    this.evaluator = new AlertEvaluator(deps);
    this.outbox = new AlertOutbox({ ...deps, ...deps.outbox });
  }

  /** A run wrote estimates for the building: evaluate it, then send. */
  async afterEstimates(buildingId: string): Promise<NewAlert[]> {
    try {
      const raised = await this.evaluator.evaluate(buildingId);
      if (raised.length > 0) await this.outbox.drain();
      return raised;
    } catch (e) {
      this.deps.log.warn(
        { err: e, buildingId },
        'alert evaluation failed; retried on the next pass',
      );
      return [];
    }
  }

  /** The timer's pass: every building's rules (meter silent), then every due delivery. */
  async tick(): Promise<NewAlert[]> {
    let raised: NewAlert[] = [];
    try {
      raised = await this.evaluator.evaluateAll();
    } catch (e) {
      this.deps.log.warn({ err: e }, 'alert pass failed; retried on the next pass');
    }
    try {
      await this.outbox.drain();
    } catch (e) {
      this.deps.log.warn({ err: e }, 'alert delivery pass failed; retried on the next pass');
    }
    return raised;
  }
}
