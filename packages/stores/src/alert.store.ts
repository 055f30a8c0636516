/**
 * The alerts part of the metadata store: each building's alert settings, the alerts raised
 * (unique per building and dedupe key, so two workers or a restarted one never raise the same
 * alert twice), their delivery outbox (claimed under a lease, retried with backoff), Web Push
 * subscriptions per user, and server-wide generated keys (VAPID). Every implementation passes
 * the alert part of `metadata.conformance.ts`.
 */

/** A building's alert rules and channels, as the API validated them (the store keeps them whole). */
export interface AlertSettings {
  buildingId: string;
  rules: Record<string, unknown>;
  channels: Record<string, unknown>;
  updatedAt: number;
}

/** An alert to raise. `dedupeKey` names the event (rule + what happened, e.g. a run's start). */
export interface NewAlert {
  buildingId: string;
  kind: string;
  dedupeKey: string;
  title: string;
  message: string;
  /** When what it tells of happened, epoch ms. */
  at: number;
  data: Record<string, unknown>;
}

export type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface AlertDeliveryRecord {
  id: string;
  alertId: string;
  channel: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  sentAt: number | null;
}

export interface AlertRecord extends NewAlert {
  id: string;
  createdAt: number;
  deliveries: AlertDeliveryRecord[];
}

/** A delivery taken by one sender until `leaseUntil`, with the alert it carries. */
export interface ClaimedDelivery extends AlertDeliveryRecord {
  leaseUntil: number;
  alert: Omit<AlertRecord, 'deliveries'>;
}

/** How a delivery attempt ended: sent, or failed with a retry time (null: give up). */
export type DeliveryOutcome =
  { ok: true; at: number } | { ok: false; error: string; retryAt: number | null };

export interface PushSubscriptionRecord {
  userId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: number;
}

export interface AlertStore {
  /** The building's saved alert settings, or null (never saved, or no such building). */
  getAlertSettings(buildingId: string): Promise<AlertSettings | null>;
  /** Replace the building's alert settings whole; rejects when the building does not exist. */
  setAlertSettings(
    buildingId: string,
    s: Pick<AlertSettings, 'rules' | 'channels'>,
  ): Promise<AlertSettings>;
  /** Every building with saved alert settings (what a timer pass looks at). */
  listAlertSettings(): Promise<AlertSettings[]>;

  /**
   * Raise an alert and queue one delivery per channel, in one transaction. Resolves to null,
   * changing nothing, when the building already has an alert with this dedupe key.
   */
  raiseAlert(alert: NewAlert, channels: readonly string[]): Promise<AlertRecord | null>;
  /** The building's alerts, newest first, with their deliveries. */
  listAlerts(buildingId: string, limit: number): Promise<AlertRecord[]>;
  /**
   * Take up to `limit` pending deliveries that are due at `now` and not leased by another
   * sender, leasing them until `now + leaseMs`. Two senders never take the same one.
   */
  claimDeliveries(now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /**
   * Record an attempt's outcome: sent; or failed, pending again at `retryAt` or given up (status
   * failed) when `retryAt` is null. Counts the attempt and ends the lease.
   */
  finishDelivery(id: string, outcome: DeliveryOutcome): Promise<void>;
  /** Queue a delivery of the building again now (its attempts start over); false when none such. */
  retryDelivery(buildingId: string, deliveryId: string, now: number): Promise<boolean>;

  /** Add or refresh a user's push subscription (the endpoint is the key). */
  savePushSubscription(s: Omit<PushSubscriptionRecord, 'createdAt'>): Promise<void>;
  /** Remove a push subscription; false when the user had none with this endpoint. */
  deletePushSubscription(userId: string, endpoint: string): Promise<boolean>;
  /** Remove a push subscription whoever holds it (the push service said it is gone). */
  dropPushSubscription(endpoint: string): Promise<void>;
  /** The push subscriptions of every member of the building. */
  listPushSubscriptions(buildingId: string): Promise<PushSubscriptionRecord[]>;

  /**
   * The server-wide value stored under `name`, created from `make()` on first use. When several
   * processes ask at once, all get the one value that was stored first.
   */
  serverValue(name: string, make: () => string): Promise<string>;
}
