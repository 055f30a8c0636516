/**
 * Publishes a building's estimates into Home Assistant over MQTT discovery (`HA_DISCOVERY=true`
 * with `MQTT_URL`): retained discovery configs for every building and appliance, a retained
 * JSON state per building after each disaggregation run that wrote estimates (at most one every
 * `minIntervalMs` per building, always the newest), and removal (an empty retained config) of
 * entities whose building or appliance went away.
 *
 * Stateless across processes: it learns which configs exist from the broker's retained messages
 * (it subscribes to the discovery prefix), so several workers may run it and a restart removes
 * what was left over. Runs beside the worker, which calls `buildingUpdated`.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { InferenceEngine } from '@nilm/ml';
import type { Building, MetadataStore, TimeSeriesStore } from '@nilm/stores';
import { applianceView, buildingAppliances } from '../services/appliances.service.js';
import { ReadingsService } from '../services/readings.service.js';
import {
  availabilityTopic,
  configTopic,
  discoveryConfigs,
  stateMessage,
  stateTopic,
  type HaMessage,
  type HaState,
  type HaTopics,
} from './ha.discovery.js';

export interface HaPublisherOptions {
  /** The broker Home Assistant reads (credentials in the URL, as for MQTT_URL). */
  url: string;
  topics: HaTopics;
  metadata: MetadataStore;
  timeseries: TimeSeriesStore;
  engine: InferenceEngine;
  /** Shown as the device's software version in Home Assistant. */
  software: string;
  log: { warn: (o: object, m: string) => void };
  /** Least time between two states of one building. Default 10 000 ms. */
  minIntervalMs?: number;
  /** How often configs are checked against the buildings. Default 60 000 ms. */
  syncMs?: number;
  /** How long to collect retained configs at start. Default 1 000 ms. */
  settleMs?: number;
  now?: () => number;
}

const MIN = 60_000;

/** The node id (`nilm_<building>`) of a config topic `<prefix>/<component>/<node>/<object>/config`. */
const nodeOf = (topic: string): string => topic.split('/').at(-3) ?? '';

export class HaPublisher {
  private client: MqttClient | undefined;
  /** Retained config topics of ours on the broker (seen there or published by us), with payload. */
  private readonly retained = new Map<string, string>();
  private readonly lastState = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly readings: ReadingsService;
  private readonly now: () => number;

  constructor(private readonly o: HaPublisherOptions) {
    // Appliances the building lacks are not published; their power counts as other.
    this.readings = new ReadingsService(o.timeseries, (id) =>
      applianceView(o.engine, o.metadata, id),
    );
    this.now = o.now ?? Date.now;
  }

  /** Connect, learn the retained configs of ours, publish every building's configs. */
  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.o.url, {
      clientId: `nilm-ha-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 2000,
    });
    this.client = client;
    const filter = `${this.o.topics.prefix}/+/+/+/config`;
    client.on('message', (topic, payload) => {
      if (!nodeOf(topic).startsWith('nilm_')) return;
      if (payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, payload.toString());
    });
    await client.subscribeAsync(filter, { qos: 1 });
    await new Promise((ok) => setTimeout(ok, this.o.settleMs ?? 1000));
    await this.sync();
    this.syncTimer = setInterval(() => {
      this.sync().catch((e: unknown) => this.o.log.warn({ err: e }, 'Home Assistant sync failed'));
    }, this.o.syncMs ?? 60_000);
    this.syncTimer.unref();
  }

  /**
   * Bring the broker's retained configs in line with the buildings and their appliances:
   * publish what is missing or changed, empty what no longer exists.
   */
  async sync(): Promise<void> {
    const wanted = new Map<string, string>();
    const availability: HaMessage[] = [];
    for (const b of await this.o.metadata.listBuildings()) {
      for (const m of discoveryConfigs(
        this.o.topics,
        b,
        await this.appliancesOf(b),
        this.o.software,
      ))
        wanted.set(m.topic, m.payload);
      availability.push({ topic: availabilityTopic(this.o.topics, b.id), payload: 'online' });
    }
    const out: HaMessage[] = [];
    for (const [topic, payload] of wanted)
      if (this.retained.get(topic) !== payload) out.push({ topic, payload });
    const live = new Set([...wanted.keys()].map(nodeOf));
    const gone = new Set<string>();
    for (const topic of this.retained.keys()) {
      if (wanted.has(topic)) continue;
      out.push({ topic, payload: '' });
      if (!live.has(nodeOf(topic))) gone.add(nodeOf(topic).slice('nilm_'.length));
    }
    // A building that went away: its retained state and availability go too.
    for (const id of gone)
      out.push(
        { topic: stateTopic(this.o.topics, id), payload: '' },
        { topic: availabilityTopic(this.o.topics, id), payload: '' },
      );
    await this.publish([...out, ...availability]);
  }

  /** A run wrote estimates for the building: publish its state (throttled, newest wins). */
  buildingUpdated(buildingId: string): void {
    if (!this.client || this.timers.has(buildingId)) return;
    const wait = Math.max(
      0,
      (this.lastState.get(buildingId) ?? -Infinity) + (this.o.minIntervalMs ?? 10_000) - this.now(),
    );
    const timer = setTimeout(() => {
      this.timers.delete(buildingId);
      this.lastState.set(buildingId, this.now());
      this.publishState(buildingId).catch((e: unknown) =>
        this.o.log.warn({ err: e, buildingId }, 'Home Assistant state not published'),
      );
    }, wait);
    timer.unref();
    this.timers.set(buildingId, timer);
  }

  /** Publish the building's state now; resolves false when it has no estimates yet. */
  async publishState(buildingId: string): Promise<boolean> {
    const b = await this.o.metadata.getBuilding(buildingId);
    if (!b) return false;
    const state = await this.stateOf(b);
    if (!state) return false;
    // A building created since the last sync: its device first, so HA knows what the state is.
    if (!this.retained.has(configTopic(this.o.topics, b.id, 'sensor', 'mains_power')))
      await this.sync();
    await this.publish([stateMessage(this.o.topics, b.id, state)]);
    return true;
  }

  /** What Home Assistant shows for the building: its newest estimated minute and today's energy. */
  async stateOf(b: Building): Promise<HaState | null> {
    const now = this.now();
    const { appliances, periodS } = await buildingAppliances(this.o.engine, this.o.metadata, b);
    const step = (periodS ?? 60) * 1000;
    const recent = await this.o.timeseries.readBuckets(
      b.id,
      now - 30 * MIN,
      now + MIN,
      step / 1000,
    );
    const latest = [...recent].reverse().find((x) => Object.keys(x.appliances).length > 0);
    if (!latest) return null;
    const [today] = await this.readings.energy(b.id, now, now + 1, 'day', b.timezone);
    const enabled = appliances.filter((a) => a.enabled && a.present);
    let tracked = 0;
    const apps: HaState['appliances'] = {};
    for (const a of enabled) {
      const v = latest.appliances[a.name];
      const powerW = v?.powerW ?? 0;
      tracked += powerW;
      apps[a.name] = {
        powerW,
        on: (v?.onProb ?? 0) >= a.onProbThreshold,
        energyTodayKwh: today?.appliances[a.name] ?? 0,
      };
    }
    const covered = today ? (today.coverage * (today.endMs - today.startMs)) / MIN : 0;
    return {
      ts: latest.ts,
      mainsW: latest.powerW,
      appliances: apps,
      otherW: latest.powerW === null ? null : Math.max(0, latest.powerW - tracked),
      otherTodayKwh: today?.otherKwh ?? 0,
      baseloadW: today && covered > 0 ? (today.baseloadKwh * 3_600_000) / (covered * 60) : null,
      baseloadTodayKwh: today?.baseloadKwh ?? 0,
    };
  }

  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.client?.endAsync();
    this.client = undefined;
  }

  private async appliancesOf(b: Building): Promise<Array<{ name: string; label: string }>> {
    const { appliances } = await buildingAppliances(this.o.engine, this.o.metadata, b);
    return appliances
      .filter((a) => a.enabled && a.present)
      .map((a) => ({ name: a.name, label: a.label }));
  }

  private async publish(messages: readonly HaMessage[]): Promise<void> {
    const client = this.client;
    if (!client) return;
    for (const m of messages) {
      await client.publishAsync(m.topic, m.payload, { qos: 1, retain: true });
      if (m.topic.endsWith('/config')) {
        if (m.payload === '') this.retained.delete(m.topic);
        else this.retained.set(m.topic, m.payload);
      }
    }
  }
}
