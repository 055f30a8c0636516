/**
 * Running the product: open the parts the configuration names, serve the API (role `api` or
 * `all`), run the worker (role `worker` or `all`), the demo home and MQTT ingestion, and shut
 * down gracefully on SIGTERM/SIGINT: stop taking work, let running jobs finish, close.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DuckDbTimeSeriesStore, WatermarkedTimeSeriesStore } from '@nilm/stores';
import { build } from './app.js';
import { hashPassword } from './auth/index.js';
import { loadConfig, type ServerConfig } from './config.js';
import { createParts, type Parts } from './app.deps.js';
import { DemoHome, DEMO_BUILDING_ID } from './demo/demo.home.js';
import { ingestServiceFor } from './services/ingest.service.js';
import { SubmeterService } from './services/submeter.service.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/embedded.broker.js';
import { MqttIngest } from './mqtt/mqtt.ingest.js';
import { sourceFiltersOf } from './mqtt/source.filters.js';
import { Worker } from './worker.js';
import { PriceRefresher, PricesService } from './prices/prices.service.js';
import { startFailure } from './storage.health.js';
import { HaPublisher } from './ha/ha.publisher.js';
import { createAlertService } from './alerts/alert.wiring.js';
import { DiscoveryService } from './services/discovery.service.js';
import { SourceRunner, type SourceBroker } from './sources/source.runner.js';
import { openSecretBox, type SecretBox } from './sources/secret.box.js';
import { FinetuneRunner } from './finetune/finetune.runner.js';
import { startClustering } from './store.clustering.js';

export interface RunningServer {
  config: ServerConfig;
  parts: Parts;
  app?: FastifyInstance;
  url?: string;
  worker?: Worker;
  ha?: HaPublisher;
  sources?: SourceRunner;
  demo?: DemoHome;
  broker?: EmbeddedBroker;
  mqtt?: MqttIngest;
  /** Fetches dynamic prices from the price API on a schedule (worker role). */
  prices?: PriceRefresher;
  close(): Promise<void>;
}

const ADMIN_ID = 'local-admin';

/** Create the local admin on first start; returns where its password can be read. */
async function bootstrapAdmin(
  config: ServerConfig,
  parts: Parts,
): Promise<{ email: string; password?: string; passwordFile?: string }> {
  const email = config.NILM_ADMIN_EMAIL;
  const file = join(config.dataDir, 'admin-password.txt');
  const existing =
    (await parts.metadata.getUserByEmail(email)) ?? (await parts.metadata.getUser(ADMIN_ID));
  if (existing)
    return { email: existing.email ?? email, passwordFile: existsSync(file) ? file : undefined };
  const password = config.NILM_ADMIN_PASSWORD ?? randomBytes(12).toString('base64url');
  await parts.metadata.upsertUser({
    id: ADMIN_ID,
    email,
    role: 'admin',
    passwordHash: await hashPassword(password),
  });
  if (!config.NILM_ADMIN_PASSWORD) writeFileSync(file, `${password}\n`, { mode: 0o600 });
  // A generated password is shown once; a configured one is never printed.
  return config.NILM_ADMIN_PASSWORD ? { email } : { email, password, passwordFile: file };
}

/** Start the server as configured by `env`. `repoRoot` locates models/, data/ and the web app. */
export async function runServer(
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  overrides: Partial<ServerConfig> = {},
): Promise<RunningServer> {
  const config = { ...loadConfig(env, repoRoot), ...overrides };
  // A failed start says what to do (a full disk, a value thrown that is no Error).
  let parts: Parts;
  try {
    parts = await createParts(config, (message) => console.log(message));
  } catch (e) {
    throw startFailure(e, config.dataDir);
  }
  const log = console;
  const running: RunningServer = { config, parts, close: async () => undefined };
  let closeAlerts: () => Promise<void> = async () => undefined;
  let stopClustering: () => Promise<void> = async () => undefined;
  try {
    let admin: Awaited<ReturnType<typeof bootstrapAdmin>> | undefined;
    if (!config.externalAuth) admin = await bootstrapAdmin(config, parts);
    if (config.NILM_ROLE !== 'worker') {
      const app = await build(parts);
      running.app = app;
      const address = await app.listen({ port: config.PORT, host: config.HOST });
      running.url = address.replace('[::1]', 'localhost');
      if (config.DEMO && admin) {
        running.demo = new DemoHome({
          dataFile: resolve(repoRoot, 'data', 'REFIT_House20_2014-09-03_14d.csv.gz'),
          speed: config.DEMO_SPEED,
          backfillHours: config.DEMO_BACKFILL_HOURS,
          ownerId: ADMIN_ID,
          metadata: parts.metadata,
          timeseries: parts.timeseries,
          ingest: ingestServiceFor(parts, app.log, 'demo'),
          log: app.log,
        });
        await running.demo.start();
      }
      // MQTT: an embedded broker that authenticates devices per building (trusted), or an external
      // broker whose messages must carry a device token of the topic's building.
      const mqttIngest = ingestServiceFor(parts, app.log, 'mqtt');
      const filters = sourceFiltersOf(parts.metadata);
      if (config.MQTT_EMBEDDED_PORT > 0) {
        running.broker = await startBrokerNear(config, {
          host: config.HOST,
          metadata: parts.metadata,
          sourceFilters: filters.lookup,
          log: app.log,
          topicPattern: config.MQTT_TOPIC,
          alertTopicRoot: config.HA_STATE_TOPIC_ROOT,
        });
        // What devices are told (GET /api/v1/ingest/info) is the port it really took.
        config.MQTT_EMBEDDED_PORT = running.broker.port;
        const c = running.broker.internalCredentials;
        running.mqtt = new MqttIngest({
          url: running.broker.url,
          ingest: mqttIngest,
          metadata: parts.metadata,
          log: app.log,
          topicPattern: config.MQTT_TOPIC,
          trustBroker: true,
          username: c.username,
          password: c.password,
          clientId: c.clientId,
        });
      } else if (config.MQTT_URL) {
        running.mqtt = new MqttIngest({
          url: config.MQTT_URL,
          ingest: mqttIngest,
          metadata: parts.metadata,
          log: app.log,
          topicPattern: config.MQTT_TOPIC,
          trustBroker: false,
        });
      }
      await running.mqtt?.start();
      // The building's configured meters (Shelly, P1, HomeWizard, ...), on either broker and polled.
      const brokers: SourceBroker[] = [];
      if (running.broker) {
        const c = running.broker.internalCredentials;
        brokers.push({
          kind: 'embedded',
          url: running.broker.url,
          username: c.username,
          password: c.password,
          clientId: `${c.clientId}-sources`,
        });
      }
      if (config.MQTT_URL) brokers.push({ kind: 'external', url: config.MQTT_URL });
      let secretBox: SecretBox | undefined;
      running.sources = new SourceRunner({
        metadata: parts.metadata,
        ingest: ingestServiceFor(parts, app.log, 'meter'),
        submeters: new SubmeterService(parts),
        brokers,
        log: app.log,
        secrets: () => (secretBox ??= openSecretBox(config)),
      });
      await running.sources.start();
      const sources = running.sources;
      parts.sourcesChanged = () => {
        filters.clear();
        void sources.reload();
      };
      const lines = [
        '',
        `  NILM Monitor is running at ${running.url}`,
        `  API docs:   ${running.url}/docs`,
        running.broker
          ? `  MQTT:       ${running.broker.url} (meters sign in with the building id and a device token)`
          : '',
        admin
          ? `  Sign in:    ${admin.email} / ${admin.password ?? (admin.passwordFile ? `(password in ${admin.passwordFile})` : '(the password you set with NILM_ADMIN_PASSWORD)')}`
          : '  Sign in with your identity provider (external auth is configured).',
        running.demo
          ? `  Demo home:  "${DEMO_BUILDING_ID}" replays real REFIT data (at least ${config.DEMO_BACKFILL_HOURS} h of history, then live at ${config.DEMO_SPEED}x)`
          : '',
        existsSync(config.webDir) ? '' : '  (the web app is not built; API only)',
        '',
      ].filter((l, i, a) => l !== '' || i === 0 || i === a.length - 1);
      log.log(lines.join('\n'));
    }
    if (config.NILM_ROLE !== 'api') {
      if (config.HA_DISCOVERY && config.MQTT_URL) {
        running.ha = new HaPublisher({
          url: config.MQTT_URL,
          topics: { prefix: config.HA_DISCOVERY_PREFIX, base: config.HA_STATE_TOPIC_ROOT },
          metadata: parts.metadata,
          timeseries: parts.timeseries,
          engine: parts.engine,
          software: 'nilm-monitor',
          syncMs: config.HA_SYNC_MS,
          log: running.app?.log ?? { warn: (o, m) => log.warn(m, o) },
        });
        await running.ha.start();
      }
      const ha = running.ha;
      const workerLog = running.app?.log ?? {
        info: () => undefined,
        warn: (o: object, m: string) => log.warn(m, o),
        error: (o: object, m: string) => log.error(m, o),
      };
      const broker = running.broker;
      const alerts = createAlertService({
        ...parts,
        log: workerLog,
        embedded: broker && { url: broker.url, ...broker.internalCredentials },
      });
      closeAlerts = alerts.close;
      running.worker = new Worker({
        ...parts,
        onEstimated: ha ? (id) => ha.buildingUpdated(id) : undefined,
        alerts: alerts.alerts,
        discovery: new DiscoveryService({ ...parts, log: workerLog }),
        finetune: new FinetuneRunner({
          ...parts,
          workDir: join(config.dataDir, 'finetune'),
          log: workerLog,
        }),
        log: workerLog,
      });
      running.worker.start({
        concurrency: config.WORKER_CONCURRENCY,
        reconcileMs: config.WORKER_RECONCILE_MS,
      });
      await running.worker.reconcile();
      running.prices = new PriceRefresher(
        new PricesService({
          metadata: parts.metadata,
          now: Date.now,
          priceApiUrl: config.PRICE_API_URL,
          timeoutMs: config.PRICE_FETCH_TIMEOUT_MS,
        }),
        workerLog,
      );
      running.prices.start(config.PRICE_REFRESH_MS);
    }
    // The embedded store keeps finished days in building order (InfluxDB needs nothing).
    const points =
      parts.timeseries instanceof WatermarkedTimeSeriesStore
        ? parts.timeseries.inner
        : parts.timeseries;
    if (points instanceof DuckDbTimeSeriesStore)
      stopClustering = startClustering({
        store: points,
        log: running.app?.log ?? {
          info: (o, m) => log.log(m, o),
          warn: (o, m) => log.warn(m, o),
        },
      });
  } catch (e) {
    await running.app?.close().catch(() => undefined);
    await parts.close();
    throw startFailure(e, config.dataDir);
  }
  let closing: Promise<void> | undefined;
  running.close = () =>
    (closing ??= (async () => {
      running.demo?.stop();
      await stopClustering();
      await running.sources?.stop();
      await running.worker?.close();
      await running.prices?.stop();
      await running.ha?.close();
      await closeAlerts();
      await running.mqtt?.stop();
      await running.broker?.close();
      await running.app?.close();
      await parts.close();
    })());
  return running;
}

/**
 * Start the embedded broker on the configured port; when the port was not configured and 1883
 * is taken (a Mosquitto already runs), on the next free one of the ten after it, else on any.
 */
async function startBrokerNear(
  config: ServerConfig,
  options: Omit<Parameters<typeof startEmbeddedBroker>[0], 'port'>,
): Promise<EmbeddedBroker> {
  const first = config.MQTT_EMBEDDED_PORT;
  const candidates = config.mqttPortAuto
    ? [...Array.from({ length: 11 }, (_, i) => first + i), 0]
    : [first];
  for (const port of candidates) {
    try {
      return await startEmbeddedBroker({ ...options, port });
    } catch (e) {
      const busy = (e as { code?: unknown }).code === 'EADDRINUSE';
      if (!busy || port === candidates[candidates.length - 1]) throw e;
    }
  }
  throw new Error('unreachable: the last candidate port either listens or throws');
}
