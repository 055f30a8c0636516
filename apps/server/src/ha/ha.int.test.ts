// Proves Home Assistant publishing through real Mosquitto with the whole product (`runServer`,
// embedded stores, HA_DISCOVERY=true): after a building has estimates, the broker holds the
// retained discovery configs of its device with the fields HA's Energy dashboard needs, the
// retained state carries the values the API returns for the same minute and day, and configs
// are removed (empty retained) when an appliance is switched off and when the building is deleted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer, type RunningServer } from '../server.js';
import { tinyModelRegistry } from '../services.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const MQTT_URL = process.env.NILM_TEST_MQTT_URL ?? '';
if (!MQTT_URL) throw new Error('NILM_TEST_MQTT_URL must be set (.ci/run sets it)');
const run = Date.now().toString(36);
// Topics of this run only: the broker is shared with other tests and may hold old retained ones.
const PREFIX = `hatest${run}`;
const ROOT_TOPIC = `nilmha${run}`;
const tmp = mkdtempSync(join(tmpdir(), 'nilm-ha-int-'));
const MIN = 60_000;
let server: RunningServer;
let bearer = '';
let watcher: MqttClient;

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    ...init,
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      authorization: `Bearer ${bearer}`,
    },
  });
}

/** The retained messages under `filter` right now (a fresh subscription gets them all). */
async function retained(filter: string): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(MQTT_URL, { clientId: `ha-check-${Math.random()}` });
  const got = new Map<string, string>();
  client.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) got.set(topic, payload.toString());
  });
  await client.subscribeAsync(filter, { qos: 1 });
  await new Promise((ok) => setTimeout(ok, 1000));
  await client.endAsync();
  return got;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 120; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((ok) => setTimeout(ok, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  server = await runServer(
    {
      PORT: '0',
      LOG_LEVEL: 'error',
      DEMO: 'false',
      NILM_DATA_DIR: join(tmp, 'data'),
      NILM_MODELS_DIR: await tinyModelRegistry(tmp),
      NILM_ADMIN_PASSWORD: 'ha-secret-password',
      MQTT_URL,
      MQTT_TOPIC: `${ROOT_TOPIC}/+/power`,
      HA_DISCOVERY: 'true',
      HA_DISCOVERY_PREFIX: PREFIX,
      HA_STATE_TOPIC_ROOT: ROOT_TOPIC,
      HA_SYNC_MS: '1000',
      WORKER_RECONCILE_MS: '1000',
    },
    ROOT,
  );
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@nilm.local', password: 'ha-secret-password' }),
  });
  bearer = ((await login.json()) as { access_token: string }).access_token;
  watcher = await mqtt.connectAsync(MQTT_URL, { clientId: `ha-watch-${run}` });
}, 180_000);

afterAll(async () => {
  await watcher?.endAsync();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe('Home Assistant discovery on Mosquitto', () => {
  it('publishes configs and states that match the API, and removes what goes away', async () => {
    expect(
      (
        await api('/buildings', {
          method: 'POST',
          body: JSON.stringify({ id: 'ha-home', name: 'HA home' }),
        })
      ).status,
    ).toBe(201);
    const states: Array<Record<string, unknown>> = [];
    watcher.on('message', (topic, payload) => {
      // An empty payload is the state being removed (when the building is deleted).
      if (topic === `${ROOT_TOPIC}/ha-home/ha/state` && payload.length > 0)
        states.push(JSON.parse(payload.toString()));
    });
    await watcher.subscribeAsync(`${ROOT_TOPIC}/ha-home/ha/state`, { qos: 1 });

    // Two hours of readings ending at the current minute, with a kettle boil in the middle.
    const end = Math.floor(Date.now() / MIN) * MIN;
    const readings = Array.from({ length: 120 }, (_, i) => ({
      ts: end - (119 - i) * MIN,
      power_w: 180 + (i % 9) * 12 + (i >= 60 && i < 64 ? 2800 : 0),
    }));
    expect(
      (
        await api('/ingest', {
          method: 'POST',
          body: JSON.stringify({ building_id: 'ha-home', readings }),
        })
      ).status,
    ).toBe(202);

    // The state of the newest minute arrives once it is estimated.
    const state = await until('the state of the newest minute', async () =>
      states.find((s) => s.time === new Date(end).toISOString()),
    );

    // Retained discovery configs: one device, 11 entities (2 appliances of the tiny model).
    const configs = await retained(`${PREFIX}/#`);
    const ours = [...configs.keys()].filter((t) => t.includes('/nilm_ha-home/')).sort();
    // Published before the first state, so all there once the state is.
    expect(ours).toHaveLength(11);
    const kettleEnergy = JSON.parse(
      configs.get(`${PREFIX}/sensor/nilm_ha-home/kettle_energy/config`)!,
    );
    expect(kettleEnergy).toMatchObject({
      device_class: 'energy',
      state_class: 'total_increasing',
      unit_of_measurement: 'kWh',
      state_topic: `${ROOT_TOPIC}/ha-home/ha/state`,
      availability_topic: `${ROOT_TOPIC}/ha-home/ha/availability`,
      device: { identifiers: ['nilm_ha-home'], name: 'HA home' },
    });
    const mains = JSON.parse(configs.get(`${PREFIX}/sensor/nilm_ha-home/mains_power/config`)!);
    expect(mains).toMatchObject({
      device_class: 'power',
      state_class: 'measurement',
      unit_of_measurement: 'W',
    });
    expect(
      (await retained(`${ROOT_TOPIC}/ha-home/ha/availability`)).get(
        `${ROOT_TOPIC}/ha-home/ha/availability`,
      ),
    ).toBe('online');

    // The state's values are the API's for the same minute and the same day.
    const point = (
      (await (
        await api(`/buildings/ha-home/readings?start=${end}&end=${end + MIN}&resolution=1m`)
      ).json()) as {
        points: Array<{ power_w: number; appliances: Record<string, { power_w: number }> }>;
      }
    ).points[0]!;
    expect(state.mains_power).toBeCloseTo(point.power_w, 1);
    for (const a of ['kettle', 'washing_machine'])
      expect(state[`${a}_power`]).toBeCloseTo(point.appliances[a]!.power_w, 0);
    const today = (
      (await (await api(`/buildings/ha-home/energy?start=${end}&period=day`)).json()) as {
        periods: Array<{
          appliances: Record<string, number>;
          other_kwh: number;
          baseload_kwh: number;
        }>;
      }
    ).periods.at(-1)!;
    for (const a of ['kettle', 'washing_machine'])
      expect(state[`${a}_energy`]).toBeCloseTo(today.appliances[a]!, 2);
    expect(state.other_energy).toBeCloseTo(today.other_kwh, 2);
    expect(state.baseload_energy).toBeCloseTo(today.baseload_kwh, 2);
    expect(['ON', 'OFF']).toContain(state.kettle_on);

    // An appliance switched off: its three entities are removed at the next sync.
    await server.parts.metadata.setAppliance({
      buildingId: 'ha-home',
      appliance: 'kettle',
      label: 'Kettle',
      enabled: false,
    });
    await until('the kettle configs to go', async () => {
      const left = [...(await retained(`${PREFIX}/#`)).keys()].filter((t) =>
        t.includes('/nilm_ha-home/'),
      );
      return left.length === 8 && !left.some((t) => t.includes('kettle')) ? true : undefined;
    });

    // The building deleted: every config of its device is removed.
    expect((await api('/buildings/ha-home', { method: 'DELETE' })).status).toBe(204);
    await until('the device to go', async () =>
      [...(await retained(`${PREFIX}/#`)).keys()].some((t) => t.includes('/nilm_ha-home/'))
        ? undefined
        : true,
    );
    // Its retained state and availability too: nothing of it is left on the broker.
    await until('its state to go', async () =>
      (await retained(`${ROOT_TOPIC}/#`)).size === 0 ? true : undefined,
    );
  });
});
