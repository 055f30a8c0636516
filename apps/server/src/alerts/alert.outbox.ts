/**
 * The alert outbox's sender: takes due deliveries from the metadata store under a lease (so
 * several workers share the work and none sends what another is sending), sends each on its
 * channel, and records the outcome: sent, or failed with the error and a retry after a backoff
 * that doubles (30 s, 1 min, 2 min, ... at most 1 h), given up after `maxAttempts` (shown as
 * failed, retried by hand from the history page). A worker that dies mid-send leaves its lease to
 * run out, and the delivery is sent again: at least once, never lost.
 */
import type { AlertChannel } from '@nilm/contracts';
import type { ClaimedDelivery, MetadataStore } from '@nilm/stores';
import { DeliveryError, type AlertSender } from './alert.channels.js';
import { effectiveSettings } from './alert.evaluator.js';

export interface AlertOutboxDeps {
  metadata: MetadataStore;
  senders: Partial<Record<AlertChannel, AlertSender>>;
  now?: () => number;
  log?: { warn: (o: object, m: string) => void };
  /** First retry after this; doubles per attempt. Default 30 000 ms. */
  backoffMs?: number;
  /** Longest wait between two attempts. Default 1 h. */
  maxBackoffMs?: number;
  /** Attempts before a delivery is given up. Default 8. */
  maxAttempts?: number;
  /** How long a claimed delivery is ours. Default 60 000 ms. */
  leaseMs?: number;
}

/** Deliveries one pass takes at most. */
const BATCH = 50;

export class AlertOutbox {
  private readonly now: () => number;
  private running: Promise<number> | undefined;

  constructor(private readonly deps: AlertOutboxDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** When attempt number `attempts` (1-based, just failed) is tried again, or null to give up. */
  retryAt(attempts: number, now: number): number | null {
    const max = this.deps.maxAttempts ?? 8;
    if (attempts >= max) return null;
    const base = this.deps.backoffMs ?? 30_000;
    return now + Math.min(base * 2 ** (attempts - 1), this.deps.maxBackoffMs ?? 3_600_000);
  }

  /** Send what is due until nothing is; resolves to the number of attempts made. One pass at a time. */
  drain(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    let attempts = 0;
    for (;;) {
      const batch = await this.deps.metadata.claimDeliveries(
        this.now(),
        this.deps.leaseMs ?? 60_000,
        BATCH,
      );
      for (const d of batch) await this.attempt(d);
      attempts += batch.length;
      if (batch.length < BATCH) return attempts;
    }
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const { metadata } = this.deps;
    try {
      const sender = this.deps.senders[d.channel as AlertChannel];
      if (!sender)
        throw new DeliveryError(
          d.channel === 'mqtt'
            ? 'no MQTT broker is configured for alerts (set MQTT_URL or run the embedded broker)'
            : `no sender for channel "${d.channel}"`,
        );
      const settings = effectiveSettings(await metadata.getAlertSettings(d.alert.buildingId));
      await sender(d, settings.channels);
      await metadata.finishDelivery(d.id, { ok: true, at: this.now() });
    } catch (e) {
      const retry = !(e instanceof DeliveryError) || e.retry;
      const error = e instanceof Error ? e.message : String(e);
      const attempts = d.attempts + 1;
      this.deps.log?.warn(
        { deliveryId: d.id, channel: d.channel, attempts, err: error },
        'alert delivery failed',
      );
      await metadata.finishDelivery(d.id, {
        ok: false,
        error,
        retryAt: retry ? this.retryAt(attempts, this.now()) : null,
      });
    }
  }
}
