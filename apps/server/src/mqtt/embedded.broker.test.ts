// Proves that a retained publish to the embedded broker is dropped, as docs/api.md says: the
// device gets its PUBACK and keeps its connection, but the reading is neither ingested nor stored,
// the drop is logged, and the broker keeps nothing to replay to the next subscriber; an ordinary
// publish after it still lands.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '@nilm/queue';
import { createPgliteMetadataStore, DuckDbTimeSeriesStore, type MetadataStore } from '@nilm/stores';
import { generateDeviceToken } from '../auth/device.token.js';
import { IngestService } from '../services/ingest.service.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded.broker.js';
import { MqttIngest, type MqttLog } from './mqtt.ingest.js';

const HOME = 'home';
const TOPIC = `nilm/${HOME}/power`;
const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;

let metadata: MetadataStore;
let broker: EmbeddedBroker;
let token: string;
const lines: { msg: string }[] = [];
const log: MqttLog = {
  info: () => undefined,
  warn: (_obj, msg) => void lines.push({ msg }),
  error: (_obj, msg) => void lines.push({ msg }),
};
const clients: MqttClient[] = [];

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  await metadata.createBuilding({
    id: HOME,
    name: HOME,
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  const t = generateDeviceToken();
  await metadata.createDeviceToken({
    id: 'tok',
    buildingId: HOME,
    name: 'meter',
    tokenHash: t.hash,
  });
  token = t.secret;
  broker = await startEmbeddedBroker({ port: 0, metadata, log });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker?.close();
  await metadata?.close();
});

describe('embedded broker, retained publishes', () => {
  it('acknowledges a retained reading but neither stores nor keeps it; the next one lands', async () => {
    const store = await DuckDbTimeSeriesStore.open();
    const queue = new MemoryJobQueue();
    const ingest = new MqttIngest({
      url: broker.url,
      ingest: new IngestService({ timeseries: store, backlog: metadata, queue }),
      metadata,
      log,
      ...broker.internalCredentials,
      trustBroker: true,
      flushIntervalMs: 50,
    });
    try {
      await ingest.start();
      const dev = await mqtt.connectAsync(broker.url, {
        username: HOME,
        password: token,
        reconnectPeriod: 0,
      });
      clients.push(dev);
      await dev.publishAsync(TOPIC, JSON.stringify({ ts: T0, power_w: 111 }), {
        qos: 1,
        retain: true,
      });
      await dev.publishAsync(TOPIC, JSON.stringify({ ts: T0 + 60_000, power_w: 222 }), { qos: 1 });
      await until('the ordinary one stored', () => ingest.counters().readingsStored === 1);
      // The retained one never reached the ingest client.
      expect(ingest.counters()).toMatchObject({ messagesReceived: 1, messagesAccepted: 1 });
      expect(lines.some((l) => /dropped a retained reading/.test(l.msg))).toBe(true);
      expect(dev.connected).toBe(true);
      expect(await store.readReadings(HOME, 0, Date.now())).toEqual([
        { ts: T0 + 60_000, powerW: 222 },
      ]);

      // A new subscriber to the topic (the device itself may subscribe to its own) is replayed
      // nothing: the broker kept no retained message.
      const replayed: Buffer[] = [];
      dev.on('message', (_topic, payload, packet) => {
        if (packet.retain && payload.length > 0) replayed.push(payload);
      });
      await dev.subscribeAsync(TOPIC, { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(replayed).toEqual([]);
    } finally {
      await ingest.stop();
      await queue.close();
      await store.close();
    }
  });
});
