/**
 * Sending one alert on one channel: a signed webhook, an ntfy message, a Web Push message to
 * every member's subscribed browser. Each sender resolves when the receiver took it and throws
 * a DeliveryError otherwise (`retry` false when trying again cannot help). MQTT, which holds a
 * connection, is in alert.mqtt.ts.
 */
import { createHmac } from 'node:crypto';
import webpush from 'web-push';
import type { AlertChannels } from '@nilm/contracts';
import type { ClaimedDelivery, MetadataStore } from '@nilm/stores';

/** Longest one HTTP delivery may take. */
const HTTP_TIMEOUT_MS = 10_000;

/** The signature header of a webhook: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-nilm-signature';

export class DeliveryError extends Error {
  readonly code = 'ALERT_DELIVERY_FAILED';
  constructor(
    message: string,
    /** False when trying again cannot help (the receiver is gone for good). */
    readonly retry = true,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** What every channel sends: the alert as JSON (an HA event reads `event_type`). */
export function alertPayload(d: ClaimedDelivery): Record<string, unknown> {
  const a = d.alert;
  return {
    id: a.id,
    event_type: a.kind,
    building_id: a.buildingId,
    kind: a.kind,
    title: a.title,
    message: a.message,
    at: new Date(a.at).toISOString(),
    data: a.data,
  };
}

/** A channel sender: resolves when the receiver accepted the alert. */
export type AlertSender = (d: ClaimedDelivery, channels: AlertChannels) => Promise<void>;

/** The HMAC-SHA256 signature a receiver recomputes over the raw body with the building's secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function post(url: string, init: RequestInit, what: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      ...init,
      method: 'POST',
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch (e) {
    throw new DeliveryError(`${what} unreachable: ${(e as Error).cause ?? (e as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  // 4xx other than 408/429 will not change by itself, but settings may: keep retrying a while.
  throw new DeliveryError(
    `${what} answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
  );
}

/** POST the alert as JSON, signed with the building's secret. */
export const sendWebhook: AlertSender = async (d, channels) => {
  const { url, secret } = channels.webhook;
  if (!url || !secret) throw new DeliveryError('the webhook has no URL or secret', false);
  const body = JSON.stringify(alertPayload(d));
  await post(
    url,
    {
      body,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: webhookSignature(secret, body),
        'x-nilm-event': d.alert.kind,
        'x-nilm-delivery': d.id,
      },
    },
    'the webhook',
  );
};

/** A header value ntfy reads: ASCII as is, anything else as an RFC 2047 encoded word. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
}

/** Tags ntfy shows as emoji before the title. */
const NTFY_TAGS: Record<string, string> = {
  appliance_finished: 'white_check_mark',
  left_on: 'warning',
  baseload_rise: 'chart_with_upwards_trend',
  unusual_day: 'calendar',
  meter_silent: 'electric_plug',
};

/** Publish to the ntfy topic: the message as the body, title, priority and tags as headers. */
export const sendNtfy: AlertSender = async (d, channels) => {
  const { server, topic, priority, token } = channels.ntfy;
  if (!topic) throw new DeliveryError('ntfy has no topic', false);
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    title: headerText(d.alert.title),
    priority: String(priority),
    tags: NTFY_TAGS[d.alert.kind] ?? 'bell',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  await post(`${server.replace(/\/+$/, '')}/${topic}`, { body: d.alert.message, headers }, 'ntfy');
};

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The deployment's VAPID key pair: generated on first start and kept in the metadata store, so
 * every API process and worker signs with the same keys (and subscriptions stay valid).
 */
export async function vapidKeys(metadata: MetadataStore): Promise<VapidKeys> {
  const raw = await metadata.serverValue('vapid-keys', () =>
    JSON.stringify(webpush.generateVAPIDKeys()),
  );
  return JSON.parse(raw) as VapidKeys;
}

/**
 * Web Push to every subscribed browser of the building's members: the payload encrypted
 * (aes128gcm, RFC 8291) and signed with the VAPID key (RFC 8292) by `web-push`, posted with
 * fetch (so an http:// push service stand-in works in tests). A subscription the push service
 * says is gone (404, 410) is dropped; the delivery fails only when no browser took it.
 */
export function pushSender(opts: {
  metadata: MetadataStore;
  /** `mailto:` or `https:` contact for push services (RFC 8292). */
  subject: string;
}): AlertSender {
  return async (d) => {
    const subs = await opts.metadata.listPushSubscriptions(d.alert.buildingId);
    if (subs.length === 0) throw new DeliveryError('no member has subscribed a browser to push');
    const keys = await vapidKeys(opts.metadata);
    const payload = JSON.stringify(alertPayload(d));
    const errors: string[] = [];
    let sent = 0;
    for (const s of subs) {
      const req = webpush.generateRequestDetails(
        { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } },
        payload,
        {
          vapidDetails: { subject: opts.subject, ...keys },
          TTL: 24 * 3600,
          urgency: d.alert.kind === 'left_on' ? 'high' : 'normal',
        },
      );
      try {
        const res = await fetch(req.endpoint, {
          method: 'POST',
          headers: req.headers as Record<string, string>,
          body: req.body as Buffer,
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
        if (res.status === 404 || res.status === 410) {
          await opts.metadata.dropPushSubscription(s.endpoint);
          errors.push(`a subscription expired (HTTP ${res.status}) and was removed`);
        } else if (!res.ok) errors.push(`the push service answered HTTP ${res.status}`);
        else sent++;
      } catch (e) {
        errors.push(`push service unreachable: ${(e as Error).message}`);
      }
    }
    if (sent === 0) throw new DeliveryError(errors.join('; '));
  };
}
