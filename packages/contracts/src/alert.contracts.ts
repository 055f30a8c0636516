/**
 * The alerts API's request and response schemas: a building's alert rules and delivery channels
 * (`/buildings/{id}/alerts/settings`), its alert history with each delivery's status
 * (`/buildings/{id}/alerts`), and Web Push subscriptions (`/push/...`). Ranges of thresholds are
 * checked by `alertSettingsProblems` (alert.rules.ts), so the answer names every bad one.
 */
import { Type, type Static } from 'typebox';
import { Id } from './api.contracts.js';

/** An appliance name as the model knows it (kettle, washing_machine, ...). */
const ApplianceName = Type.String({ minLength: 1, maxLength: 128 });

/** The rule kinds, each with a dedupe key of its own (docs/alerts.md). */
export const ALERT_KINDS = [
  'appliance_finished',
  'left_on',
  'baseload_rise',
  'unusual_day',
  'meter_silent',
  'model_drift',
] as const;

/** The delivery channels. */
export const ALERT_CHANNELS = ['webhook', 'ntfy', 'mqtt', 'push'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

export const AlertRules = Type.Object(
  {
    appliance_finished: Type.Object(
      {
        enabled: Type.Boolean(),
        /** Which appliances to tell about. */
        appliances: Type.Array(ApplianceName, { maxItems: 50 }),
        /** A run shorter than this is not worth a message. */
        min_run_minutes: Type.Number(),
      },
      { additionalProperties: false },
    ),
    left_on: Type.Object(
      {
        enabled: Type.Boolean(),
        limits: Type.Array(
          Type.Object(
            { appliance: ApplianceName, hours: Type.Number() },
            { additionalProperties: false },
          ),
          { maxItems: 50 },
        ),
      },
      { additionalProperties: false },
    ),
    baseload_rise: Type.Object(
      {
        enabled: Type.Boolean(),
        recent_days: Type.Number(),
        baseline_days: Type.Number(),
        rise_percent: Type.Number(),
        min_rise_w: Type.Number(),
      },
      { additionalProperties: false },
    ),
    unusual_day: Type.Object(
      {
        enabled: Type.Boolean(),
        /** How many earlier same weekdays the median is taken over. */
        weeks: Type.Number(),
        /** Energy so far this many percent above (or below) the median. */
        percent: Type.Number(),
        /** Hours of the local day that must have passed before a day is judged. */
        min_hours: Type.Number(),
      },
      { additionalProperties: false },
    ),
    meter_silent: Type.Object(
      { enabled: Type.Boolean(), minutes: Type.Number() },
      { additionalProperties: false },
    ),
    /**
     * The estimate of an appliance with a sub-meter drifted from what the plug measures (the
     * live scorecard's rules, docs/api.md); judged once a day.
     */
    model_drift: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type AlertRules = Static<typeof AlertRules>;

const HttpUrl = Type.String({ maxLength: 2000 });

export const AlertChannels = Type.Object(
  {
    webhook: Type.Object(
      {
        enabled: Type.Boolean(),
        url: Type.Union([HttpUrl, Type.Null()]),
        /**
         * The HMAC-SHA256 key of the `X-Nilm-Signature` header. Left out on PUT: the stored one
         * is kept (or one is generated). Shown to owners only; null for everyone else.
         */
        secret: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
      },
      { additionalProperties: false },
    ),
    ntfy: Type.Object(
      {
        enabled: Type.Boolean(),
        /** The ntfy server, e.g. https://ntfy.sh or a self-hosted one. */
        server: HttpUrl,
        topic: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
        /** 1 (min) to 5 (max); ntfy's default is 3. */
        priority: Type.Number(),
        /** An access token for a protected topic; never shown back (null when none is set). */
        token: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
      },
      { additionalProperties: false },
    ),
    /** Publish to `nilm/<building>/alert` (and a Home Assistant event when HA publishing is on). */
    mqtt: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
    /** Web Push to every member's subscribed browsers. */
    push: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type AlertChannels = Static<typeof AlertChannels>;

export const AlertSettingsBody = Type.Object(
  { rules: AlertRules, channels: AlertChannels },
  { additionalProperties: false },
);
export type AlertSettingsBody = Static<typeof AlertSettingsBody>;

export const AlertSettingsResponse = Type.Object({
  building_id: Id,
  rules: AlertRules,
  channels: AlertChannels,
  /** True while the building has never saved settings: these are the defaults (all off). */
  is_default: Type.Boolean(),
});
export type AlertSettingsResponse = Static<typeof AlertSettingsResponse>;

export const AlertDeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('sent'),
  Type.Literal('failed'),
]);

export const AlertDelivery = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  /** pending: not sent yet (retried with backoff); sent; failed: gave up (retry by hand). */
  status: AlertDeliveryStatus,
  attempts: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
  sent_at: Type.Union([Type.String(), Type.Null()]),
});
export type AlertDelivery = Static<typeof AlertDelivery>;

export const AlertEvent = Type.Object({
  id: Type.String(),
  building_id: Id,
  kind: Type.String(),
  title: Type.String(),
  message: Type.String(),
  /** When what the alert tells of happened (a run's end, the last reading). */
  at: Type.String(),
  created_at: Type.String(),
  deliveries: Type.Array(AlertDelivery),
});
export type AlertEvent = Static<typeof AlertEvent>;

export const AlertList = Type.Object({ alerts: Type.Array(AlertEvent) });
export type AlertList = Static<typeof AlertList>;

export const VapidKeyResponse = Type.Object({
  /** The application server key for `pushManager.subscribe` (base64url, uncompressed P-256). */
  public_key: Type.String(),
});
export type VapidKeyResponse = Static<typeof VapidKeyResponse>;

/** A browser's PushSubscription as `subscription.toJSON()` gives it. */
export const PushSubscriptionBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 8, maxLength: 2000 }),
    keys: Type.Object(
      {
        p256dh: Type.String({ minLength: 16, maxLength: 200 }),
        auth: Type.String({ minLength: 8, maxLength: 100 }),
      },
      { additionalProperties: false },
    ),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  },
  { additionalProperties: false },
);
export type PushSubscriptionBody = Static<typeof PushSubscriptionBody>;

export const PushUnsubscribeBody = Type.Object(
  { endpoint: Type.String({ minLength: 8, maxLength: 2000 }) },
  { additionalProperties: false },
);
export type PushUnsubscribeBody = Static<typeof PushUnsubscribeBody>;
