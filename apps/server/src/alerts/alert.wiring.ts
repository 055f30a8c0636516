/**
 * Building the worker's alert service from the configuration: webhook, ntfy and Web Push always
 * (each building switches them on); MQTT on the configured broker (MQTT_URL, with the Home
 * Assistant event entity when HA publishing is on), else on the embedded broker of this process
 * (its devices subscribe to their building's alert topic).
 */
import type { AlertChannel } from '@nilm/contracts';
import type { InferenceEngine } from '@nilm/ml';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import type { ServerConfig } from '../config.js';
import { pushSender, sendNtfy, sendWebhook, type AlertSender } from './alert.channels.js';
import { AlertMqtt } from './alert.mqtt.js';
import { AlertService } from './alert.service.js';

/** The alert service and what to close at shutdown. */
export function createAlertService(opts: {
  config: ServerConfig;
  metadata: MetadataStore;
  timeseries: TimeSeriesStore;
  /** The models, for the `model_drift` rule. */
  engine?: InferenceEngine;
  log: { warn: (o: object, m: string) => void };
  /** The embedded broker's internal login, when this process runs one. */
  embedded?: { url: string; username: string; password: string; clientId: string };
}): { alerts: AlertService; close: () => Promise<void> } {
  const { config } = opts;
  const senders: Partial<Record<AlertChannel, AlertSender>> = {
    webhook: sendWebhook,
    ntfy: sendNtfy,
    push: pushSender({ metadata: opts.metadata, subject: `mailto:${config.NILM_ADMIN_EMAIL}` }),
  };
  let mqtt: AlertMqtt | undefined;
  if (config.MQTT_URL) {
    mqtt = new AlertMqtt({
      url: config.MQTT_URL,
      base: config.HA_STATE_TOPIC_ROOT,
      haPrefix: config.HA_DISCOVERY ? config.HA_DISCOVERY_PREFIX : undefined,
    });
    senders.mqtt = mqtt.send;
  } else if (opts.embedded) {
    mqtt = new AlertMqtt({
      ...opts.embedded,
      clientId: `${opts.embedded.clientId}-alerts`,
      base: config.HA_STATE_TOPIC_ROOT,
    });
    senders.mqtt = mqtt.send;
  }
  const alerts = new AlertService({ ...opts, senders });
  return { alerts, close: async () => mqtt?.close() };
}
