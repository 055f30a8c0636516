// Proves MQTT ingest end to end on real brokers (Mosquitto and the embedded aedes broker) into real
// stores: authenticated readings land, unauthenticated ones are dropped per building, batches are
// retried through a store outage, and the embedded broker enforces per-building credentials and ACLs.
import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '@nilm/queue';
import {
  DuckDbTimeSeriesStore,
  StoreUnavailableError,
  createPgliteMetadataStore,
  type MetadataStore,
  type Reading,
  type ReadingsBatch,
  type TimeSeriesStore,
} from '@nilm/stores';
import { generateDeviceToken } from '../auth/device.token.js';
import { IngestService } from '../services/ingest.service.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded.broker.js';
import { MqttIngest, type MqttIngestOptions, type MqttLog } from './mqtt.ingest.js';
import { topicForBuilding } from '@nilm/contracts';

const mqttUrl = process.env.NILM_TEST_MQTT_URL;
if (!mqttUrl) {
  throw new Error(
    'NILM_TEST_MQTT_URL is not set: the integration tier needs an MQTT broker (Mosquitto), e.g. ' +
      'NILM_TEST_MQTT_URL=mqtt://127.0.0.1:1883 npx vitest run -c vitest.int.config.ts',
  );
}
const MOSQUITTO_URL: string = mqttUrl;

// Every topic and client id this file uses on the shared Mosquitto starts with this, so parallel
// runs cannot see each other's messages.
const RUN = `nilm-test-${randomUUID().slice(0, 8)}`;
const PATTERN = `${RUN}/nilm/+/power`;
const A = 'house-a';
const B = 'house-b';
const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;

let metadata: MetadataStore;
let tokenA: string;
let tokenB: string;
/** Client ids that held a persistent session on Mosquitto; wiped in afterAll. */
const persistentIds = new Set<string>();
const clients = new Set<MqttClient>();

beforeAll(async () => {
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  for (const id of [A, B]) {
    await metadata.createBuilding({ id, name: id, timezone: 'UTC', isDemo: false, modelRef: null });
  }
  const a = generateDeviceToken();
  const b = generateDeviceToken();
  await metadata.createDeviceToken({
    id: 'tok-a',
    buildingId: A,
    name: 'meter',
    tokenHash: a.hash,
  });
  await metadata.createDeviceToken({
    id: 'tok-b',
    buildingId: B,
    name: 'meter',
    tokenHash: b.hash,
  });
  tokenA = a.secret;
  tokenB = b.secret;
}, 120_000);

afterAll(async () => {
  await Promise.all([...clients].map((c) => c.endAsync(true)));
  // A clean connect with the same client id discards the session Mosquitto kept (MQTT 3.1.1 §3.1.2.4).
  for (const clientId of persistentIds) {
    const c = await mqtt.connectAsync(MOSQUITTO_URL, { clientId, clean: true, reconnectPeriod: 0 });
    await c.endAsync();
  }
  await metadata?.close();
});

/** Collects log lines so tests can check that drops are logged. */
function memoryLog(): MqttLog & { lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A fresh in-memory DuckDB store, a job queue and the real ingest service over them. */
async function world(wrap: (s: TimeSeriesStore) => TimeSeriesStore = (s) => s) {
  const store = await DuckDbTimeSeriesStore.open();
  const queue = new MemoryJobQueue();
  const writes: { buildingId: string; count: number }[] = [];
  const ingest = new IngestService({
    timeseries: wrap(store),
    // The backlog is the metadata store's; these tests are about MQTT, so marks are only kept.
    backlog: { markPendingMany: async () => undefined },
    queue,
    onIngest: (buildingId, r) => writes.push({ buildingId, count: r.length }),
  });
  return {
    store,
    ingest,
    writes,
    read: (id: string): Promise<Reading[]> => store.readReadings(id, 0, Date.now() + 60_000),
    close: async () => {
      await queue.close();
      await store.close();
    },
  };
}

async function device(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    clientId: `${RUN}-dev-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 0,
    ...opts,
  });
  clients.add(c);
  return c;
}

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function ingestOn(
  url: string,
  w: { ingest: IngestService },
  log: MqttLog,
  opts: Partial<MqttIngestOptions> = {},
): MqttIngest {
  const clientId = opts.clientId ?? `${RUN}-ingest-${randomUUID().slice(0, 8)}`;
  if (url === MOSQUITTO_URL && opts.persistentSession !== false) persistentIds.add(clientId);
  return new MqttIngest({
    url,
    ingest: w.ingest,
    metadata,
    log,
    topicPattern: PATTERN,
    clientId,
    // Long enough that batches are cut by size or by stop(), never by the clock mid-test.
    flushIntervalMs: 60_000,
    ...opts,
  });
}

/** Resolves when the broker closes `client`'s connection; fails the test after 10 s. */
function closedByBroker(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the broker did not close the connection')),
      10_000,
    );
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const json = (v: unknown): string => JSON.stringify(v);
const topicA = topicForBuilding(PATTERN, A);
const topicB = topicForBuilding(PATTERN, B);

describe('MqttIngest on Mosquitto, token in the payload', () => {
  it('stores readings whose token belongs to the topic building and drops every other', async () => {
    const w = await world();
    const log = memoryLog();
    const ingest = ingestOn(MOSQUITTO_URL, w, log);
    try {
      await ingest.start();
      const dev = await device(MOSQUITTO_URL);
      const revoked = generateDeviceToken();
      await metadata.createDeviceToken({
        id: 'tok-a-old',
        buildingId: A,
        name: 'old meter',
        tokenHash: revoked.hash,
      });
      await metadata.revokeDeviceToken(A, 'tok-a-old');
      const messages: [string, string][] = [
        [topicA, json({ ts: T0, power_w: 500, token: tokenA })],
        [
          topicA,
          json([
            { ts: new Date(T0 + 1000).toISOString(), power_w: 510, token: tokenA },
            { ts: T0 + 2000, power_w: 520 },
          ]),
        ],
        [topicB, json({ ts: T0, power_w: 42, token: tokenB })],
        // Dropped: no token, unknown token, revoked token, B's token on A's topic.
        [topicA, '999'],
        [topicA, json({ ts: T0 + 3000, power_w: 1, token: generateDeviceToken().secret })],
        [topicA, json({ ts: T0 + 4000, power_w: 2, token: revoked.secret })],
        [topicA, json({ ts: T0 + 5000, power_w: 3, token: tokenB })],
        [topicA, json({ ts: T0 + 6000, power_w: 4, token: 'not-a-token' })],
        // Dropped: malformed payload, reading out of range, topic outside the pattern's shape.
        [topicA, '{"ts":'],
        [topicA, json({ ts: T0 + 7000, power_w: -5, token: tokenA })],
        [`${RUN}/nilm/bad.id/power`, json({ ts: T0, power_w: 5, token: tokenA })],
      ];
      for (const [topic, payload] of messages) await dev.publishAsync(topic, payload, { qos: 1 });
      await until('all messages', () => ingest.counters().messagesReceived === messages.length);
      await ingest.stop();

      expect(await w.read(A)).toEqual([
        { ts: T0, powerW: 500 },
        { ts: T0 + 1000, powerW: 510 },
        { ts: T0 + 2000, powerW: 520 },
      ]);
      expect(await w.read(B)).toEqual([{ ts: T0, powerW: 42 }]);
      // Two messages for A went to the store as one write: batching per building.
      expect(w.writes.sort((x, y) => x.buildingId.localeCompare(y.buildingId))).toEqual([
        { buildingId: A, count: 3 },
        { buildingId: B, count: 1 },
      ]);
      expect(ingest.counters()).toMatchObject({
        messagesReceived: 11,
        messagesAccepted: 3,
        readingsAccepted: 4,
        readingsStored: 4,
        droppedUnauthenticated: 5,
        droppedBadPayload: 1,
        droppedInvalidReadings: 1,
        droppedBadTopic: 1,
        bufferedReadings: 0,
      });
      const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/without a device token/),
          expect.stringMatching(/unknown or revoked device token/),
          expect.stringMatching(/belongs to another building/),
          expect.stringMatching(/neither a number nor JSON/),
          expect.stringMatching(/-5 W is export: send the home.s production too/),
          expect.stringMatching(/not a building id/),
        ]),
      );
      // No token secret is ever logged.
      expect(JSON.stringify(log.lines)).not.toContain(tokenB);
    } finally {
      await ingest.stop();
      await w.close();
    }
  });

  it('writes a full batch at once and receives, after a restart, what was sent while down', async () => {
    const w = await world();
    const log = memoryLog();
    const clientId = `${RUN}-ingest-persistent`;
    const first = ingestOn(MOSQUITTO_URL, w, log, { clientId, maxBatchReadings: 2 });
    const second = ingestOn(MOSQUITTO_URL, w, log, { clientId, maxBatchReadings: 2 });
    try {
      await first.start();
      const dev = await device(MOSQUITTO_URL);
      await dev.publishAsync(topicA, json({ ts: T0, power_w: 1, token: tokenA }), { qos: 1 });
      await dev.publishAsync(
        topicA,
        json([
          { ts: T0 + 1000, power_w: 2, token: tokenA },
          { ts: T0 + 2000, power_w: 3, token: tokenA },
        ]),
        { qos: 1 },
      );
      // Two readings fill a batch: written without waiting for the flush interval.
      await until('the first full batch', () => first.counters().readingsStored === 2);
      expect(w.writes).toEqual([{ buildingId: A, count: 2 }]);
      await first.stop();
      expect(first.counters().readingsStored).toBe(3);

      // The server is down; the broker keeps QoS 1 messages for its persistent session.
      await dev.publishAsync(topicA, json({ ts: T0 + 3000, power_w: 4, token: tokenA }), {
        qos: 1,
      });
      await second.start();
      await until('the message sent while down', () => second.counters().readingsAccepted === 1);
      await second.stop();
      expect((await w.read(A)).map((r) => r.powerW)).toEqual([1, 2, 3, 4]);
    } finally {
      await first.stop();
      await second.stop();
      await w.close();
    }
  });

  it('keeps batches through a store outage, drops the oldest when full, and logs what is lost', async () => {
    let down = true;
    // The outage is the only simulated part: every write goes to a real DuckDB once it ends.
    const w = await world(
      (store) =>
        new Proxy(store, {
          get(target, key) {
            if (key === 'writeReadingsMany') {
              return async (batches: readonly ReadingsBatch[]) => {
                if (down) throw new StoreUnavailableError('duckdb', 'simulated outage');
                return target.writeReadingsMany(batches);
              };
            }
            const value: unknown = Reflect.get(target, key);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    );
    const log = memoryLog();
    const ingest = ingestOn(MOSQUITTO_URL, w, log, {
      persistentSession: false,
      flushIntervalMs: 20,
      retryMinMs: 20,
      retryMaxMs: 100,
      maxBufferedReadings: 2,
      stopTimeoutMs: 200,
    });
    try {
      await ingest.start();
      const dev = await device(MOSQUITTO_URL);
      const send = (ts: number, p: number) =>
        dev.publishAsync(topicA, json({ ts, power_w: p, token: tokenA }), { qos: 1 });
      await send(T0, 10);
      await send(T0 + 1000, 11);
      await until('retries while the store is down', () => ingest.counters().storeRetries >= 2);
      await send(T0 + 2000, 12);
      await until('the third reading', () => ingest.counters().readingsAccepted === 3);
      expect(ingest.counters()).toMatchObject({
        readingsDroppedBufferFull: 1,
        bufferedReadings: 2,
      });
      expect(log.lines.some((l) => /buffer full/.test(l.msg))).toBe(true);
      expect(log.lines.some((l) => /store unavailable; keeping the readings/.test(l.msg))).toBe(
        true,
      );

      down = false;
      await until(
        'the buffered readings to be stored',
        () => ingest.counters().readingsStored === 2,
      );
      expect(await w.read(A)).toEqual([
        { ts: T0 + 1000, powerW: 11 },
        { ts: T0 + 2000, powerW: 12 },
      ]);

      // Down again at stop: stop() retries for stopTimeoutMs, then reports the loss.
      down = true;
      await send(T0 + 3000, 13);
      await until('the fourth reading', () => ingest.counters().readingsAccepted === 4);
      await ingest.stop();
      expect(ingest.counters()).toMatchObject({ readingsFailed: 1, bufferedReadings: 0 });
      expect(log.lines.some((l) => l.level === 'error' && /were not stored/.test(l.msg))).toBe(
        true,
      );
    } finally {
      await ingest.stop();
      await w.close();
    }
  });
});

describe('embedded broker', () => {
  let broker: EmbeddedBroker;
  const brokerLog = memoryLog();

  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      port: 0,
      metadata,
      log: brokerLog,
      topicPattern: PATTERN,
      // Check the token on every publish, so the revocation test needs no waiting.
      recheckMs: 0,
    });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('lets a device with its building token publish, and its readings land', async () => {
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const w = await world();
    const ingest = ingestOn(broker.url, w, memoryLog(), {
      ...broker.internalCredentials,
      trustBroker: true,
    });
    try {
      await ingest.start();
      const dev = await device(broker.url, { username: A, password: tokenA });
      // No token in the payload: the broker authenticated the device for building A.
      await dev.publishAsync(topicA, json({ ts: T0, power_w: 700 }), { qos: 1 });
      await dev.publishAsync(topicA, '650', { qos: 1 });
      await until('two messages', () => ingest.counters().messagesAccepted === 2);
      await ingest.stop();
      const stored = await w.read(A);
      expect(stored[0]).toEqual({ ts: T0, powerW: 700 });
      expect(stored[1]!.powerW).toBe(650);
      // A plain number is stamped on receipt.
      expect(Math.abs(stored[1]!.ts - Date.now())).toBeLessThan(60_000);
      expect(await w.read(B)).toEqual([]);
    } finally {
      await ingest.stop();
      await w.close();
    }
  });

  it('refuses wrong credentials at connect', async () => {
    const refused = (opts: IClientOptions) =>
      expect(device(broker.url, opts)).rejects.toMatchObject({ code: 4 });
    await refused({ username: A, password: generateDeviceToken().secret });
    await refused({ username: A, password: tokenB });
    await refused({ username: A, password: 'not-a-token' });
    await refused({ username: A });
    await refused({});
    await refused({ username: broker.internalCredentials.username, password: tokenA });
    // The server's own client id is reserved.
    await expect(
      device(broker.url, { username: A, password: tokenA, clientId: 'nilm-internal-x' }),
    ).rejects.toMatchObject({ code: 2 });
    // MqttIngest surfaces refused credentials from start().
    const w = await world();
    const ingest = ingestOn(broker.url, w, memoryLog(), {
      username: broker.internalCredentials.username,
      password: 'wrong',
    });
    await expect(ingest.start()).rejects.toThrow(/refused the connection/);
    await w.close();
  });

  it("refuses publishing to, or subscribing to, another building's topic", async () => {
    const w = await world();
    const ingest = ingestOn(broker.url, w, memoryLog(), {
      ...broker.internalCredentials,
      trustBroker: true,
    });
    try {
      await ingest.start();
      const dev = await device(broker.url, { username: A, password: tokenA });
      for (const topic of [topicB, `${RUN}/#`, PATTERN, '#']) {
        await expect(dev.subscribeAsync(topic, { qos: 1 })).rejects.toMatchObject({
          packet: { granted: [128] },
        });
      }
      // Its own topic it may read; the refusals above left the connection open.
      expect((await dev.subscribeAsync(topicA, { qos: 1 })).map((g) => g.qos)).toEqual([1]);

      // The broker closes the connection of a device that publishes where it may not.
      const closed = closedByBroker(dev);
      dev.publish(topicB, json({ ts: T0, power_w: 1 }), { qos: 0 });
      await closed;
      expect(brokerLog.lines.some((l) => /publish refused/.test(l.msg))).toBe(true);

      // B's own device can publish to B: the earlier refusal was about the topic, not B.
      const devB = await device(broker.url, { username: B, password: tokenB });
      await devB.publishAsync(topicB, json({ ts: T0 + 1000, power_w: 2 }), { qos: 1 });
      await until('B reading', () => ingest.counters().messagesAccepted === 1);
      await ingest.stop();
      expect(await w.read(B)).toEqual([{ ts: T0 + 1000, powerW: 2 }]);
      expect(ingest.counters().messagesReceived).toBe(1);
    } finally {
      await ingest.stop();
      await w.close();
    }
  });

  it('stops a connected device whose token was revoked', async () => {
    const extra = generateDeviceToken();
    await metadata.createDeviceToken({
      id: 'tok-a-extra',
      buildingId: A,
      name: 'extra',
      tokenHash: extra.hash,
    });
    const dev = await device(broker.url, { username: A, password: extra.secret });
    await dev.publishAsync(topicA, json({ ts: T0, power_w: 1 }), { qos: 1 });
    await metadata.revokeDeviceToken(A, 'tok-a-extra');
    const closed = closedByBroker(dev);
    dev.publish(topicA, json({ ts: T0 + 1000, power_w: 1 }), { qos: 0 });
    await closed;
    await expect(device(broker.url, { username: A, password: extra.secret })).rejects.toMatchObject(
      { code: 4 },
    );
  });
});
