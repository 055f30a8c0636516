// Proves a polled source is polled by exactly one of several API processes sharing a real
// PostgreSQL metadata store: two source runners (each with its own connection pool, as two
// processes have) race for a HomeWizard P1 stand-in and only one polls; when that one dies (its
// database connection gone) the other takes over once the lease has run out on the injected
// clock, not before; and a runner that stops gives its leases up, so a third takes over at once.
// A Home Assistant sensor (followed over a WebSocket, not polled) is likewise followed by one
// process at a time, and by the other once the first dies.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MemoryJobQueue } from '@nilm/queue';
import {
  createPostgresMetadataStore,
  DuckDbTimeSeriesStore,
  type MetadataStore,
} from '@nilm/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createDatabase, dropDatabase } from '../services.fixture.js';
import { IngestService } from '../services/ingest.service.js';
import { until } from './meter.cases.fixture.js';
import { SourceRunner } from './source.runner.js';

const DATABASE_URL = process.env.NILM_TEST_DATABASE_URL ?? '';
if (!DATABASE_URL) throw new Error('NILM_TEST_DATABASE_URL must be set (.ci/run sets it)');
// The documented answer exports; ours imports 1,234 W (L1 1,101 W), so consumption is known.
const DOC = readFileSync(
  resolve(
    import.meta.dirname,
    '../../../../packages/sources/fixtures/homewizard-p1/v1-data-3-phase-doc-example.txt',
  ),
  'utf8',
)
  .replace('"active_power_w": -543', '"active_power_w": 1234')
  .replace('"active_power_l1_w": -676', '"active_power_l1_w": 1101');
const dbName = `nilm_lease_${Date.now().toString(36)}`;
const LEASE_MS = 15_000;
let dbUrl = '';
let http: Server;
let timeseries: DuckDbTimeSeriesStore;
const stores: MetadataStore[] = [];
const queue = new MemoryJobQueue();
/** The clock every runner reads; each poll answered moves it one second on. */
let t = Date.UTC(2026, 11, 1);
const quiet = { info: () => undefined, warn: () => undefined };

/** A source runner as one API process runs it, with its own pool, counting what it does. */
async function apiProcess(name: string): Promise<{
  runner: SourceRunner;
  store: MetadataStore;
  polls: () => number;
  claims: () => number;
}> {
  const store = createPostgresMetadataStore({ connectionString: dbUrl, max: 2 });
  stores.push(store);
  let polls = 0;
  let claims = 0;
  const runner = new SourceRunner({
    metadata: {
      ...store,
      claimSourcePoll: (...a) => {
        claims++;
        return store.claimSourcePoll(...a);
      },
    },
    ingest: new IngestService({ timeseries, backlog: store, queue, now: () => t }),
    brokers: [],
    log: quiet,
    now: () => t,
    holder: name,
    pollLeaseMs: () => LEASE_MS,
    fetch: (async (...a: Parameters<typeof fetch>) => {
      polls++;
      t += 1000;
      return fetch(...a);
    }) as typeof fetch,
  });
  await runner.start();
  return { runner, store, polls: () => polls, claims: () => claims };
}

beforeAll(async () => {
  dbUrl = await createDatabase(DATABASE_URL, dbName);
  const setup = createPostgresMetadataStore({ connectionString: dbUrl });
  stores.push(setup);
  await setup.migrate();
  timeseries = await DuckDbTimeSeriesStore.open();
  http = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(DOC);
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  await setup.createBuilding({
    id: 'lease-home',
    name: 'Lease',
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
  await setup.createSource({
    id: 'hw-p1',
    buildingId: 'lease-home',
    name: 'HomeWizard',
    type: 'homewizard-p1',
    role: 'mains',
    settings: {
      url: `http://127.0.0.1:${(http.address() as { port: number }).port}`,
      interval_s: 1,
    },
  });
}, 60_000);

afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
  await timeseries?.close();
  await queue.close();
  await new Promise((ok) => http?.close(ok));
  await dropDatabase(DATABASE_URL, dbName);
}, 60_000);

describe('polled sources with several API processes', () => {
  it('are polled by one process at a time, with takeover when it dies or stops', async () => {
    const a = await apiProcess('api-a');
    const b = await apiProcess('api-b');
    await until('four polls', async () => (a.polls() + b.polls() >= 4 ? true : undefined));
    const [holder, other] = a.polls() > 0 ? [a, b] : [b, a];
    expect(other.polls()).toBe(0);
    expect(other.claims()).toBeGreaterThan(0);
    // Every poll stored its reading.
    const stored = await timeseries.readReadings('lease-home', 0, t + 1000);
    expect(stored.length).toBeGreaterThanOrEqual(4);
    expect(new Set(stored.map((r) => r.powerW))).toEqual(new Set([1234]));

    // The holder dies: its database connections are gone, its lease stays until it runs out.
    await holder.store.close();
    const before = other.claims();
    await until('the other process to try again', async () =>
      other.claims() >= before + 2 ? true : undefined,
    );
    expect(other.polls()).toBe(0);
    t += LEASE_MS;
    await until('the takeover', async () => (other.polls() > 0 ? true : undefined));
    await holder.runner.stop();

    // A third process waits while `other` polls; `other` stops and gives the lease up.
    const c = await apiProcess('api-c');
    await until('the third process to be refused', async () =>
      c.claims() >= 2 ? true : undefined,
    );
    expect(c.polls()).toBe(0);
    await other.runner.stop();
    await until('the handover', async () => (c.polls() > 0 ? true : undefined));
    await c.runner.stop();
  });

  it('follow a Home Assistant sensor from one process at a time, and from another when it dies', async () => {
    // A stand-in speaking Home Assistant's auth and subscribe_entities protocol.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/api/websocket' });
    let connections = 0;
    wss.on('connection', (ws) => {
      connections++;
      ws.send(JSON.stringify({ type: 'auth_required', ha_version: '2026.11.0' }));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { type: string; id?: number };
        if (msg.type === 'auth') ws.send(JSON.stringify({ type: 'auth_ok' }));
        if (msg.type === 'subscribe_entities')
          ws.send(
            JSON.stringify({
              id: msg.id,
              type: 'event',
              event: { a: { 'sensor.grid_power': { s: '812', a: { unit_of_measurement: 'W' } } } },
            }),
          );
      });
    });
    await new Promise((ok) => wss.once('listening', ok));
    const setup = stores[0]!;
    await setup.deleteSource('hw-p1');
    await setup.createSource({
      id: 'ha-1',
      buildingId: 'lease-home',
      name: 'Home Assistant',
      type: 'home-assistant',
      role: 'mains',
      settings: {
        url: `http://127.0.0.1:${(wss.address() as { port: number }).port}`,
        entity_id: 'sensor.grid_power',
        token: 'ha-token',
      },
    });
    try {
      const a = await apiProcess('ha-a');
      const b = await apiProcess('ha-b');
      await until('a connection', async () => (wss.clients.size > 0 ? true : undefined));
      await until('both to have asked for the lease', async () =>
        a.claims() > 0 && b.claims() > 0 ? true : undefined,
      );
      expect([wss.clients.size, connections]).toEqual([1, 1]);
      // Which one follows: the one whose claims still succeed; kill it.
      const first = (await a.store.claimSourcePoll('ha-1', 'ha-a', t, t + LEASE_MS)) ? a : b;
      const second = first === a ? b : a;
      await first.store.close();
      await until('the dead process to let go', async () =>
        wss.clients.size === 0 ? true : undefined,
      );
      t += LEASE_MS;
      await until('the takeover', async () => (wss.clients.size === 1 ? true : undefined));
      expect(connections).toBe(2);
      await first.runner.stop();
      await second.runner.stop();
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((ok) => wss.close(ok));
    }
  }, 120_000);
});
