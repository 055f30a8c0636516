/**
 * Proves alerts are raised and sent once with two workers on real PostgreSQL, Redis (BullMQ)
 * and an MQTT broker (Mosquitto): both run the building's jobs and reconcile passes at the same
 * time, yet the silent meter gives one alert, one webhook request and one MQTT message; and a
 * delivery taken by a worker that died before sending is sent by the other once its lease ends.
 */
import { createServer, type Server } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_SETTINGS, type AlertSettingsBody } from '@nilm/contracts';
import { BullMqJobQueue } from '@nilm/queue';
import { createPostgresMetadataStore, type MetadataStore } from '@nilm/stores';
import { Metrics } from '../metrics.js';
import {
  createDatabase,
  dropDatabase,
  openEmbeddedParts,
  storeReadings,
  type EmbeddedParts,
} from '../services.fixture.js';
import { Worker } from '../worker.js';
import { sendWebhook } from './alert.channels.js';
import { AlertMqtt, alertTopic } from './alert.mqtt.js';
import { AlertService } from './alert.service.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (see .ci/services/local.sh)`);
  return v;
};
const DATABASE_URL = env('NILM_TEST_DATABASE_URL');
const REDIS_URL = env('NILM_TEST_REDIS_URL');
const MQTT_URL = env('NILM_TEST_MQTT_URL');

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8);
const run = Date.now().toString(36);
const dbName = `nilm_alerts_${run}`;
const B = `twin-${run}`;

describe('alerts with two workers', () => {
  let parts: EmbeddedParts;
  let dbUrl: string;
  let server: Server;
  let hookUrl = '';
  const hits: Array<{ id: string; kind: string }> = [];
  const messages: string[] = [];
  let listener: MqttClient;
  let clock = T0;
  const workers: Array<{
    worker: Worker;
    alerts: AlertService;
    metadata: MetadataStore;
    queue: BullMqJobQueue;
    mqtt: AlertMqtt;
  }> = [];

  beforeAll(async () => {
    dbUrl = await createDatabase(DATABASE_URL, dbName);
    parts = await openEmbeddedParts('nilm-alerts-int-');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const a = JSON.parse(body) as { id: string; kind: string };
        hits.push({ id: a.id, kind: a.kind });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    hookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    listener = await mqtt.connectAsync(MQTT_URL, { clientId: `alerts-int-${run}` });
    listener.on('message', (_t, p) => messages.push(p.toString()));
    await listener.subscribeAsync(alertTopic('nilm', B), { qos: 1 });

    for (const name of ['a', 'b']) {
      const metadata = createPostgresMetadataStore({ connectionString: dbUrl });
      await metadata.migrate();
      const queue = new BullMqJobQueue({
        url: REDIS_URL,
        queueName: `alerts-int-${run}`,
        prefix: `nilm-test-${run}`,
      });
      const alertMqtt = new AlertMqtt({
        url: MQTT_URL,
        base: 'nilm',
        clientId: `w-${name}-${run}`,
      });
      const alerts = new AlertService({
        metadata,
        timeseries: parts.timeseries,
        now: () => clock,
        log: { warn: () => undefined },
        senders: { webhook: sendWebhook, mqtt: alertMqtt.send },
      });
      const worker = new Worker({
        timeseries: parts.timeseries,
        metadata,
        queue,
        engine: parts.engine,
        metrics: new Metrics(),
        alerts,
        log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      workers.push({ worker, alerts, metadata, queue, mqtt: alertMqtt });
    }
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) {
      w.worker.stop();
      await w.queue.close();
      await w.mqtt.close();
      await w.metadata.close();
    }
    await listener?.endAsync();
    await new Promise<void>((ok) => server?.close(() => ok()));
    await parts?.close();
    await dropDatabase(DATABASE_URL, dbName);
  }, 180_000);

  it('a silent meter seen by both workers at once is raised, posted and published once', async () => {
    const metadata = workers[0]!.metadata;
    await metadata.createBuilding({
      id: B,
      name: 'Twin',
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    const settings = structuredClone(DEFAULT_ALERT_SETTINGS) as AlertSettingsBody;
    settings.rules.meter_silent.enabled = true;
    settings.channels.webhook = { enabled: true, url: hookUrl, secret: 's'.repeat(24) };
    settings.channels.mqtt.enabled = true;
    await metadata.setAlertSettings(B, settings);
    const readings = Array.from({ length: 120 }, (_, i) => ({
      ts: T0 + i * MIN,
      powerW: 200 + (i % 7) * 30,
    }));
    await storeReadings({ timeseries: parts.timeseries, metadata }, B, readings);
    clock = T0 + 3 * 60 * MIN;

    for (const w of workers) w.worker.start({ concurrency: 1, reconcileMs: 3_600_000 });
    await workers[0]!.queue.enqueue(B);
    // The jobs run (each that writes estimates evaluates the rules); wait for the backlog to empty.
    const deadline = Date.now() + 120_000;
    while ((await metadata.listPending(B, 1)).length > 0) {
      if (Date.now() > deadline) throw new Error('the workers did not finish the backlog');
      await new Promise((ok) => setTimeout(ok, 200));
    }
    await Promise.all(workers.map((w) => w.worker.reconcile()));
    await Promise.all(workers.map((w) => w.worker.reconcile()));

    const alerts = await metadata.listAlerts(B, 10);
    expect(alerts.map((a) => a.dedupeKey)).toEqual([`meter_silent:${T0 + 119 * MIN}`]);
    expect(alerts[0]!.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['mqtt', 'sent'],
      ['webhook', 'sent'],
    ]);
    expect(hits).toEqual([{ id: alerts[0]!.id, kind: 'meter_silent' }]);
    const deadlineMqtt = Date.now() + 10_000;
    while (messages.length === 0 && Date.now() < deadlineMqtt)
      await new Promise((ok) => setTimeout(ok, 50));
    expect(messages.map((m) => (JSON.parse(m) as { id: string }).id)).toEqual([alerts[0]!.id]);
  }, 240_000);

  it('a delivery taken by a worker that died is sent by the other once the lease ends', async () => {
    const [a, b] = workers;
    const raised = await a!.metadata.raiseAlert(
      {
        buildingId: B,
        kind: 'left_on',
        dedupeKey: `left_on:oven:${clock}`,
        title: 'Oven still on',
        message: 'Oven has been on for 3 h.',
        at: clock,
        data: {},
      },
      ['webhook'],
    );
    // Worker a takes it and dies before sending (it never reports back).
    const taken = await a!.metadata.claimDeliveries(clock, 60_000, 10);
    expect(taken.map((d) => d.alertId)).toEqual([raised!.id]);
    clock += 30_000;
    expect(await b!.alerts.outbox.drain()).toBe(0);
    clock += 31_000;
    expect(await b!.alerts.outbox.drain()).toBe(1);
    expect(hits.filter((h) => h.id === raised!.id)).toHaveLength(1);
    expect(await b!.alerts.outbox.drain()).toBe(0);
  }, 120_000);
});
