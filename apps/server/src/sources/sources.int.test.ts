// Proves meters on an external broker (real Mosquitto) feed the product with configuration
// alone: a P1 dongle's recorded burst (one value per topic) becomes one reading of its building,
// a Tasmota Dual R3's recorded SENSOR frame (power per channel) one reading of another, each by
// its own topic, and what the broker carries for no source is not stored; and every other MQTT
// type's recorded payloads (shelly-gen1, esphome, dsmr-reader, p1-esp, glow, emonhub, json)
// store the right consumption, import, export and production.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer, type RunningServer } from '../server.js';
import { tinyModelRegistry } from '../services.fixture.js';
import {
  expectMeterCase,
  feedMeterCase,
  meterCases,
  type MeterRig,
} from './meter.cases.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const FIXTURES = resolve(ROOT, 'packages/sources/fixtures');
const MQTT_URL = process.env.NILM_TEST_MQTT_URL ?? '';
if (!MQTT_URL) throw new Error('NILM_TEST_MQTT_URL must be set (.ci/run sets it)');
const run = Date.now().toString(36);
const tmp = mkdtempSync(join(tmpdir(), 'nilm-sources-int-'));
let server: RunningServer;
let bearer = '';

async function api(path: string, body?: object): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      authorization: `Bearer ${bearer}`,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

beforeAll(async () => {
  server = await runServer(
    {
      PORT: '0',
      LOG_LEVEL: 'error',
      DEMO: 'false',
      NILM_DATA_DIR: join(tmp, 'data'),
      NILM_MODELS_DIR: await tinyModelRegistry(tmp),
      NILM_ADMIN_PASSWORD: 'sources-int-secret',
      MQTT_URL,
      MQTT_TOPIC: `nilmsrc${run}/+/power`,
    },
    ROOT,
  );
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@nilm.local', password: 'sources-int-secret' }),
  });
  bearer = ((await login.json()) as { access_token: string }).access_token;
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('sources on Mosquitto', () => {
  it('turns a P1 burst and a Tasmota frame into readings of their own buildings', async () => {
    const p1Root = `${run}/sensors/power/p1meter`;
    const tasmotaTopic = `tele/${run}-dual/SENSOR`;
    for (const [id, source] of [
      ['p1-home', { type: 'p1-esp', settings: { topic: `${p1Root}/+` } }],
      ['tasmota-home', { type: 'tasmota', settings: { topic: tasmotaTopic } }],
    ] as const) {
      expect((await api('/buildings', { id, name: id })).status).toBe(201);
      expect((await api(`/buildings/${id}/sources`, source)).status).toBe(201);
    }
    const meter = await mqtt.connectAsync(MQTT_URL, { clientId: `meter-${run}` });
    const t0 = Date.now();
    try {
      const burst = readFileSync(join(FIXTURES, 'p1-esp/readme-data-sent.txt'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      for (const line of burst) {
        const i = line.indexOf(' ');
        const topic = line.slice(0, i).replace('sensors/power/p1meter', p1Root);
        await meter.publishAsync(topic, line.slice(i + 1), { qos: 1 });
      }
      await meter.publishAsync(
        tasmotaTopic,
        readFileSync(join(FIXTURES, 'tasmota/dual-r3-array-sensor.txt'), 'utf8').trim(),
        { qos: 1 },
      );
      // A topic of no source of ours.
      await meter.publishAsync(`${run}/elsewhere/power`, '999', { qos: 1 });
    } finally {
      await meter.endAsync();
    }
    const read = async (id: string) =>
      server.parts.timeseries.readReadings(id, t0 - 1000, Date.now() + 1000);
    for (let i = 0; i < 100; i++) {
      if ((await read('p1-home')).length > 0 && (await read('tasmota-home')).length > 0) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    // The dongle's actual_consumption (313 W, phases 313/0/0): one reading for the burst.
    expect((await read('p1-home')).map((r) => r.powerW)).toEqual([313]);
    // The Dual R3's two channels, 52 W and 5 W.
    expect((await read('tasmota-home')).map((r) => r.powerW)).toEqual([57]);
    const list = (await (await api('/buildings/p1-home/sources')).json()) as {
      sources: Array<{ status: { last_value_w: number; last_seen: string | null } }>;
    };
    expect(list.sources[0]!.status.last_value_w).toBe(313);
    expect(list.sources[0]!.status.last_seen).not.toBeNull();
  });
});

describe('every MQTT meter type on Mosquitto', () => {
  const rig: MeterRig = {
    get server() {
      return server;
    },
    api,
    connect: (buildingId) => mqtt.connectAsync(MQTT_URL, { clientId: `${buildingId}-${run}` }),
  };
  for (const c of meterCases(`nilmsrc${run}`, Date.now())) {
    it(`${c.type}: stores consumption, import, export and production`, async () => {
      expectMeterCase(c, await feedMeterCase(rig, c, `ext-${c.type}`));
    });
  }
});
