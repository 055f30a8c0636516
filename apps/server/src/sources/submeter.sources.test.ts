// Proves a smart plug bound to an appliance feeds its sub-meter series and never the mains, on
// the whole product (`runServer`, embedded stores, the embedded MQTT broker): an owner adds a
// Shelly Plus Plug S (its documented `status/switch:0` JSON, read through the `json` type at
// `/apower`) as the kettle's sub-meter and a Tasmota plug as the fridge's; a device signed in with
// a device token publishes each plug's native payload beside a mains meter's; each plug's power
// is in its appliance's series, the mains holds only the mains meter's power, the plug's status
// shows its last value, and /submeters/{appliance}/readings shows the plug's power.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer, type RunningServer } from '../server.js';
import { freePort, tinyModelRegistry } from '../services.fixture.js';
import { until } from './meter.cases.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const tmp = mkdtempSync(join(tmpdir(), 'nilm-submeter-'));
const B = 'plug-home';
let server: RunningServer;
let bearer = '';
let mqttPort = 0;

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
  mqttPort = await freePort();
  server = await runServer(
    {
      PORT: '0',
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      NILM_DATA_DIR: join(tmp, 'data'),
      NILM_MODELS_DIR: await tinyModelRegistry(tmp),
      NILM_ADMIN_PASSWORD: 'submeter-secret',
      MQTT_EMBEDDED_PORT: String(mqttPort),
    },
    ROOT,
  );
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@nilm.local', password: 'submeter-secret' }),
  });
  bearer = ((await login.json()) as { access_token: string }).access_token;
  expect((await api('/buildings', { id: B, name: 'Plugs' })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('smart plugs as sub-meters on the embedded broker', () => {
  it('store each plug as its appliance series, apart from the mains', async () => {
    const added = async (body: object) => {
      const res = await api(`/buildings/${B}/sources`, body);
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; appliance: string | null };
    };
    const shelly = await added({
      type: 'json',
      name: 'Kettle plug',
      role: 'submeter',
      appliance: 'kettle',
      settings: { topic: 'shellyplusplugs-e86beae7a1b2/status/switch:0', pointer: '/apower' },
    });
    expect(shelly.appliance).toBe('kettle');
    await added({
      type: 'tasmota',
      name: 'Fridge plug',
      role: 'submeter',
      appliance: 'fridge',
      settings: { topic: 'tele/fridge_plug/SENSOR' },
    });
    await added({
      type: 'esphome',
      name: 'Mains',
      settings: { topic: 'meter/sensor/power/state' },
    });
    const { token } = (await (await api(`/buildings/${B}/tokens`, { name: 'plugs' })).json()) as {
      token: string;
    };
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      username: B,
      password: token,
      reconnectPeriod: 0,
    });
    const from = Date.now() - 1000;
    try {
      // Switch.GetStatus as a Shelly Plus Plug S publishes it (Shelly Gen2 API documentation).
      await device.publishAsync(
        'shellyplusplugs-e86beae7a1b2/status/switch:0',
        JSON.stringify({
          id: 0,
          source: 'button',
          output: true,
          apower: 2987.4,
          voltage: 238.1,
          current: 12.55,
          aenergy: { total: 1534.2, by_minute: [41.2, 49.6, 49.7], minute_ts: 1733400000 },
          temperature: { tC: 41.3, tF: 106.3 },
        }),
        { qos: 1 },
      );
      await device.publishAsync(
        'tele/fridge_plug/SENSOR',
        JSON.stringify({
          Time: '2026-12-05T12:00:00',
          ENERGY: { TotalStartTime: '2026-01-01T00:00:00', Total: 12.3, Power: 84, Voltage: 237 },
        }),
        { qos: 1 },
      );
      await device.publishAsync('meter/sensor/power/state', '3412.5', { qos: 1 });

      const series = (appliance: string) =>
        until(`the ${appliance} sub-meter`, async () => {
          const r = await server.parts.timeseries.readSubmeterBuckets(
            B,
            appliance,
            from,
            Date.now() + 1000,
            3600,
          );
          return r.length > 0 ? r : undefined;
        });
      expect((await series('kettle')).map((r) => r.powerW)).toEqual([2987.4]);
      expect((await series('fridge')).map((r) => r.powerW)).toEqual([84]);
      // The plugs' readings are stored by now; the mains holds the mains meter's alone.
      const mains = await until('the mains reading', async () => {
        const r = await server.parts.timeseries.readReadings(B, from, Date.now() + 1000);
        return r.length > 0 ? r : undefined;
      });
      expect(mains.map((r) => r.powerW)).toEqual([3412.5]);

      const list = (await (await api(`/buildings/${B}/sources`)).json()) as {
        sources: Array<{ id: string; status: { last_value_w: number | null } }>;
      };
      expect(list.sources.find((s) => s.id === shelly.id)!.status.last_value_w).toBe(2987.4);
      const res = await api(
        `/buildings/${B}/submeters/kettle/readings?start=${from}&end=${Date.now() + 60_000}&resolution=1h`,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { points: Array<{ power_w: number | null }> };
      expect(body.points.map((p) => p.power_w)).toEqual([2987.4]);
    } finally {
      await device.endAsync();
    }
  });
});
