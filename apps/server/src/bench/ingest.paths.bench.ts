/**
 * Readings per second through each way a meter reaches the server, measured from the first
 * send to the moment the store holds every reading (so asynchronous paths count their whole
 * delay): InfluxDB line protocol over HTTP (`POST /api/v1/write`), MQTT on the embedded broker,
 * and MQTT on an external broker when one is configured. Each is reported beside the store's
 * own raw write rate, measured by the caller in the same run.
 */
import mqtt from 'mqtt';
import type { Parts } from '../app.deps.js';
import { generateDeviceToken } from '../auth/index.js';
import { startEmbeddedBroker } from '../mqtt/embedded.broker.js';
import { MqttIngest } from '../mqtt/mqtt.ingest.js';
import { IngestService } from '../services/ingest.service.js';

export interface IngestPathRates {
  line_protocol_readings_per_s: number;
  mqtt_embedded_readings_per_s: number;
  /** null without MQTT_URL. */
  mqtt_external_readings_per_s: number | null;
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A bench building: named by its id, in UTC, no model of its own. */
export async function benchBuilding(parts: Parts, id: string): Promise<void> {
  await parts.metadata.createBuilding({
    id,
    name: id,
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
}

async function newBuilding(parts: Parts, id: string): Promise<string> {
  await benchBuilding(parts, id);
  const t = generateDeviceToken();
  await parts.metadata.createDeviceToken({
    id: `tok_${t.hash.slice(0, 16)}`,
    buildingId: id,
    name: 'bench',
    tokenHash: t.hash,
  });
  return t.secret;
}

/** Wait until the building holds `count` readings in [from, to); resolves the time it took. */
async function stored(
  parts: Parts,
  id: string,
  from: number,
  to: number,
  count: number,
  t0: number,
): Promise<number> {
  for (;;) {
    const n = (await parts.timeseries.readReadings(id, from, to)).length;
    if (n >= count) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 120_000)
      throw new Error(`${id}: ${n} of ${count} readings stored after 120 s`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

const t0Of = (): number => Date.UTC(2024, 1, 1);

/** `total` readings, one a second from `t0`. */
const series = (t0: number, total: number) =>
  Array.from({ length: total }, (_, i) => ({ ts: t0 + i * 1000, power_w: 200 + (i % 300) }));

export async function benchIngestPaths(
  parts: Parts,
  apiUrl: string,
  opts: { total: number; mqttUrl?: string },
): Promise<IngestPathRates> {
  const { total } = opts;
  // MQTT paths send 1,000 readings a message: 20 messages are enough for a rate.
  const mqttTotal = Math.min(total, 20_000);
  const mqttEnd = t0Of() + mqttTotal * 1000;
  const t0 = t0Of();
  const end = t0 + total * 1000;

  // Line protocol: IoTaWatt-style lines, 5,000 a request.
  const lpToken = await newBuilding(parts, 'bench-lp');
  await parts.metadata.createSource({
    id: 'src_bench_lp',
    buildingId: 'bench-lp',
    name: 'lp',
    type: 'line-protocol',
    role: 'mains',
    settings: {
      power: { measurement: 'Mains', field: 'value' },
      unit: 'W',
      sign: 'import-positive',
      precision: 'ms',
    },
  });
  const readings = series(t0, total);
  let start = performance.now();
  for (let i = 0; i < total; i += 5000) {
    const body = readings
      .slice(i, i + 5000)
      .map((r) => `Mains value=${r.power_w} ${r.ts}`)
      .join('\n');
    const r = await fetch(`${apiUrl}/api/v1/write?precision=ms`, {
      method: 'POST',
      headers: { authorization: `Token ${lpToken}`, 'content-type': 'text/plain' },
      body,
    });
    if (r.status !== 204) throw new Error(`line protocol answered ${r.status}: ${await r.text()}`);
  }
  const lp = total / (await stored(parts, 'bench-lp', t0, end, total, start));

  // MQTT on the embedded broker: a device publishing batches of 1,000 readings.
  const ingest = new IngestService({
    timeseries: parts.timeseries,
    backlog: parts.metadata,
    queue: parts.queue,
  });
  const broker = await startEmbeddedBroker({ port: 0, metadata: parts.metadata, log: silent });
  const c = broker.internalCredentials;
  const embedded = new MqttIngest({
    url: broker.url,
    ingest,
    metadata: parts.metadata,
    log: silent,
    trustBroker: true,
    username: c.username,
    password: c.password,
    clientId: c.clientId,
  });
  await embedded.start();
  const mqttToken = await newBuilding(parts, 'bench-mqtt');
  const device = await mqtt.connectAsync(broker.url, {
    username: 'bench-mqtt',
    password: mqttToken,
  });
  start = performance.now();
  for (let i = 0; i < mqttTotal; i += 1000)
    await device.publishAsync(
      'nilm/bench-mqtt/power',
      JSON.stringify(readings.slice(i, i + 1000)),
      { qos: 1 },
    );
  const emb = mqttTotal / (await stored(parts, 'bench-mqtt', t0, mqttEnd, mqttTotal, start));
  await device.endAsync();
  await embedded.stop();
  await broker.close();

  // MQTT on an external broker (the token travels in each message).
  let ext: number | null = null;
  if (opts.mqttUrl) {
    const extToken = await newBuilding(parts, 'bench-mqtt-ext');
    const topicRoot = `nilmbench${Date.now().toString(36)}`;
    const external = new MqttIngest({
      url: opts.mqttUrl,
      ingest,
      metadata: parts.metadata,
      log: silent,
      trustBroker: false,
      topicPattern: `${topicRoot}/+/power`,
      clientId: `${topicRoot}-ingest`,
    });
    await external.start();
    const meter = await mqtt.connectAsync(opts.mqttUrl, { clientId: `${topicRoot}-meter` });
    start = performance.now();
    for (let i = 0; i < mqttTotal; i += 1000)
      await meter.publishAsync(
        `${topicRoot}/bench-mqtt-ext/power`,
        JSON.stringify(readings.slice(i, i + 1000).map((r) => ({ ...r, token: extToken }))),
        { qos: 1 },
      );
    ext = mqttTotal / (await stored(parts, 'bench-mqtt-ext', t0, mqttEnd, mqttTotal, start));
    await meter.endAsync();
    await external.stop();
  }
  return {
    line_protocol_readings_per_s: lp,
    mqtt_embedded_readings_per_s: emb,
    mqtt_external_readings_per_s: ext,
  };
}
