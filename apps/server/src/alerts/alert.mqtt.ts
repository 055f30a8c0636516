/**
 * Alerts over MQTT: each alert is published (QoS 1, not retained) to `<base>/<building>/alert`
 * as JSON with an `event_type`; with Home Assistant publishing on, a retained discovery config
 * first makes that topic an HA `event` entity of the building's device, so automations can
 * trigger on "Washing machine finished". Connects on first use and reconnects by itself.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { ALERT_KINDS } from '@nilm/contracts';
import type { ClaimedDelivery } from '@nilm/stores';
import { nodeId, type HaTopics } from '../ha/ha.discovery.js';
import { alertPayload, DeliveryError } from './alert.channels.js';

export interface AlertMqttOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** Root of our topics (`nilm`): alerts go to `<base>/<building>/alert`. */
  base: string;
  /** Home Assistant discovery prefix when HA publishing is on. */
  haPrefix?: string;
}

/** The topic a building's alerts are published to. */
export const alertTopic = (base: string, buildingId: string): string =>
  `${base}/${buildingId}/alert`;

/** The retained HA discovery config that makes the alert topic an event entity. */
export function haAlertConfig(t: HaTopics, buildingId: string): { topic: string; payload: string } {
  const node = nodeId(buildingId);
  return {
    topic: `${t.prefix}/event/${node}/alert/config`,
    payload: JSON.stringify({
      name: 'Alert',
      unique_id: `${node}_alert`,
      object_id: `${node}_alert`,
      state_topic: alertTopic(t.base, buildingId),
      event_types: [...ALERT_KINDS],
      device: { identifiers: [node] },
    }),
  };
}

export class AlertMqtt {
  private client: Promise<MqttClient> | undefined;
  /** Buildings whose HA config this process has published. */
  private readonly announced = new Set<string>();

  constructor(private readonly o: AlertMqttOptions) {}

  private connect(): Promise<MqttClient> {
    this.client ??= mqtt
      .connectAsync(this.o.url, {
        clientId: this.o.clientId ?? `nilm-alerts-${Math.random().toString(16).slice(2, 10)}`,
        username: this.o.username,
        password: this.o.password,
        reconnectPeriod: 2000,
        connectTimeout: 10_000,
      })
      .catch((e: unknown) => {
        this.client = undefined;
        throw new DeliveryError(`MQTT broker unreachable: ${(e as Error).message}`);
      });
    return this.client;
  }

  /** Publish one alert (and, once per building, its HA event config). */
  readonly send = async (d: ClaimedDelivery): Promise<void> => {
    const client = await this.connect();
    const b = d.alert.buildingId;
    try {
      if (this.o.haPrefix && !this.announced.has(b)) {
        const c = haAlertConfig({ prefix: this.o.haPrefix, base: this.o.base }, b);
        await client.publishAsync(c.topic, c.payload, { qos: 1, retain: true });
        this.announced.add(b);
      }
      await client.publishAsync(alertTopic(this.o.base, b), JSON.stringify(alertPayload(d)), {
        qos: 1,
      });
    } catch (e) {
      throw new DeliveryError(`MQTT publish failed: ${(e as Error).message}`);
    }
  };

  async close(): Promise<void> {
    const c = await this.client?.catch(() => undefined);
    await c?.endAsync();
  }
}
