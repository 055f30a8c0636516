/**
 * The alerts part of the metadata store (alert.store.ts) over the same tiny SQL client as the
 * rest, so PGlite and PostgreSQL run the same statements. Raising an alert and queueing its
 * deliveries is one transaction guarded by the unique dedupe key; senders claim deliveries with
 * `FOR UPDATE SKIP LOCKED` and a lease, so two workers never send the same one at once.
 */
import { randomUUID } from 'node:crypto';
import type {
  AlertDeliveryRecord,
  AlertRecord,
  AlertSettings,
  AlertStore,
  ClaimedDelivery,
  DeliveryStatus,
  PushSubscriptionRecord,
} from './alert.store.js';
import type { SqlClient } from './metadata.migrations.js';

type Int8 = number | string | bigint;

interface SettingsRow {
  building_id: string;
  rules: unknown;
  channels: unknown;
  updated_at: Int8;
}

interface EventRow {
  id: string;
  building_id: string;
  kind: string;
  dedupe_key: string;
  title: string;
  message: string;
  at: Int8;
  data: unknown;
  created_at: Int8;
}

interface DeliveryRow {
  id: string;
  alert_id: string;
  channel: string;
  status: DeliveryStatus;
  attempts: number | string;
  next_attempt_at: Int8 | null;
  lease_until: Int8 | null;
  last_error: string | null;
  sent_at: Int8 | null;
}

const EVENT_COLUMNS = 'id, building_id, kind, dedupe_key, title, message, at, data, created_at';
const DELIVERY_COLUMNS =
  'id, alert_id, channel, status, attempts, next_attempt_at, lease_until, last_error, sent_at';

/** jsonb arrives parsed (PGlite, node-postgres) or, through some drivers, as text. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const ms = (v: Int8 | null): number | null => (v === null ? null : Number(v));

function toSettings(r: SettingsRow): AlertSettings {
  return {
    buildingId: r.building_id,
    rules: json(r.rules),
    channels: json(r.channels),
    updatedAt: Number(r.updated_at),
  };
}

function toEvent(r: EventRow): Omit<AlertRecord, 'deliveries'> {
  return {
    id: r.id,
    buildingId: r.building_id,
    kind: r.kind,
    dedupeKey: r.dedupe_key,
    title: r.title,
    message: r.message,
    at: Number(r.at),
    data: json(r.data),
    createdAt: Number(r.created_at),
  };
}

function toDelivery(r: DeliveryRow): AlertDeliveryRecord {
  return {
    id: r.id,
    alertId: r.alert_id,
    channel: r.channel,
    status: r.status,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    nextAttemptAt: ms(r.next_attempt_at),
    sentAt: ms(r.sent_at),
  };
}

/** Build the alert store on a SqlClient; `now` stamps created_at and updated_at. */
export function createSqlAlertStore(client: SqlClient, now: () => number): AlertStore {
  return {
    async getAlertSettings(buildingId) {
      const rows = await client.query<SettingsRow>(
        'SELECT building_id, rules, channels, updated_at FROM alert_settings WHERE building_id = $1',
        [buildingId],
      );
      return rows.length === 0 ? null : toSettings(rows[0]);
    },

    async setAlertSettings(buildingId, s) {
      const rows = await client.query<SettingsRow>(
        `INSERT INTO alert_settings (building_id, rules, channels, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (building_id) DO UPDATE
           SET rules = EXCLUDED.rules, channels = EXCLUDED.channels, updated_at = EXCLUDED.updated_at
         RETURNING building_id, rules, channels, updated_at`,
        [buildingId, JSON.stringify(s.rules), JSON.stringify(s.channels), now()],
      );
      return toSettings(rows[0]);
    },

    async listAlertSettings() {
      const rows = await client.query<SettingsRow>(
        'SELECT building_id, rules, channels, updated_at FROM alert_settings ORDER BY building_id',
      );
      return rows.map(toSettings);
    },

    async raiseAlert(alert, channels) {
      return client.transaction(async (tx) => {
        const created = now();
        const rows = await tx.query<EventRow>(
          `INSERT INTO alert_events (${EVENT_COLUMNS})
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (building_id, dedupe_key) DO NOTHING
           RETURNING ${EVENT_COLUMNS}`,
          [
            randomUUID(),
            alert.buildingId,
            alert.kind,
            alert.dedupeKey,
            alert.title,
            alert.message,
            alert.at,
            JSON.stringify(alert.data),
            created,
          ],
        );
        if (rows.length === 0) return null;
        const event = toEvent(rows[0]);
        const deliveries: AlertDeliveryRecord[] = [];
        for (const channel of new Set(channels)) {
          const d = await tx.query<DeliveryRow>(
            `INSERT INTO alert_deliveries (id, alert_id, channel, status, attempts, next_attempt_at)
             VALUES ($1, $2, $3, 'pending', 0, $4) RETURNING ${DELIVERY_COLUMNS}`,
            // Due from the moment it tells of: the sender's clock decides, not this one.
            [randomUUID(), event.id, channel, alert.at],
          );
          deliveries.push(toDelivery(d[0]));
        }
        return { ...event, deliveries };
      });
    },

    async listAlerts(buildingId, limit) {
      const events = await client.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM alert_events WHERE building_id = $1
         ORDER BY created_at DESC, id LIMIT $2`,
        [buildingId, limit],
      );
      if (events.length === 0) return [];
      const deliveries = await client.query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM alert_deliveries WHERE alert_id = ANY($1) ORDER BY channel`,
        [events.map((e) => e.id)],
      );
      return events.map((e) => ({
        ...toEvent(e),
        deliveries: deliveries.filter((d) => d.alert_id === e.id).map(toDelivery),
      }));
    },

    async claimDeliveries(at, leaseMs, limit) {
      return client.transaction(async (tx) => {
        const leaseUntil = at + leaseMs;
        // Under READ COMMITTED a row another sender leased meanwhile is re-checked after its
        // lock is released, and its lease then excludes it; a row still locked is skipped.
        const rows = await tx.query<DeliveryRow>(
          `UPDATE alert_deliveries SET lease_until = $2
           WHERE id IN (
             SELECT id FROM alert_deliveries
             WHERE status = 'pending' AND next_attempt_at <= $1
               AND (lease_until IS NULL OR lease_until <= $1)
             ORDER BY next_attempt_at, id LIMIT $3
             FOR UPDATE SKIP LOCKED)
           AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $1)
           RETURNING ${DELIVERY_COLUMNS}`,
          [at, leaseUntil, limit],
        );
        if (rows.length === 0) return [];
        const events = await tx.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM alert_events WHERE id = ANY($1)`,
          [[...new Set(rows.map((r) => r.alert_id))]],
        );
        const byId = new Map(events.map((e) => [e.id, toEvent(e)]));
        return rows.map((r): ClaimedDelivery => ({
          ...toDelivery(r),
          leaseUntil,
          alert: byId.get(r.alert_id)!,
        }));
      });
    },

    async finishDelivery(id, outcome) {
      if (outcome.ok) {
        await client.query(
          `UPDATE alert_deliveries SET status = 'sent', sent_at = $2, attempts = attempts + 1,
             lease_until = NULL, next_attempt_at = NULL, last_error = NULL
           WHERE id = $1`,
          [id, outcome.at],
        );
        return;
      }
      await client.query(
        `UPDATE alert_deliveries SET status = $2, attempts = attempts + 1, last_error = $3,
           next_attempt_at = $4, lease_until = NULL
         WHERE id = $1`,
        [id, outcome.retryAt === null ? 'failed' : 'pending', outcome.error, outcome.retryAt],
      );
    },

    async retryDelivery(buildingId, deliveryId, at) {
      const rows = await client.query<{ id: string }>(
        `UPDATE alert_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = $3,
           lease_until = NULL
         FROM alert_events e
         WHERE d.id = $2 AND d.alert_id = e.id AND e.building_id = $1 AND d.status <> 'sent'
         RETURNING d.id`,
        [buildingId, deliveryId, at],
      );
      return rows.length > 0;
    },

    async savePushSubscription(s) {
      await client.query(
        `INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (endpoint) DO UPDATE
           SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth`,
        [s.endpoint, s.userId, s.p256dh, s.auth, now()],
      );
    },

    async deletePushSubscription(userId, endpoint) {
      const rows = await client.query<{ endpoint: string }>(
        'DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2 RETURNING endpoint',
        [userId, endpoint],
      );
      return rows.length > 0;
    },

    async dropPushSubscription(endpoint) {
      await client.query('DELETE FROM push_subscriptions WHERE endpoint = $1', [endpoint]);
    },

    async listPushSubscriptions(buildingId) {
      const rows = await client.query<{
        user_id: string;
        endpoint: string;
        p256dh: string;
        auth: string;
        created_at: Int8;
      }>(
        `SELECT s.user_id, s.endpoint, s.p256dh, s.auth, s.created_at
         FROM push_subscriptions s JOIN building_members m ON m.user_id = s.user_id
         WHERE m.building_id = $1 ORDER BY s.created_at, s.endpoint`,
        [buildingId],
      );
      return rows.map((r): PushSubscriptionRecord => ({
        userId: r.user_id,
        endpoint: r.endpoint,
        p256dh: r.p256dh,
        auth: r.auth,
        createdAt: Number(r.created_at),
      }));
    },

    async serverValue(name, make) {
      const read = () =>
        client.query<{ value: string }>('SELECT value FROM server_values WHERE name = $1', [name]);
      const found = await read();
      if (found.length > 0) return found[0].value;
      await client.query(
        `INSERT INTO server_values (name, value, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING`,
        [name, make(), now()],
      );
      return (await read())[0].value;
    },
  };
}
