// Proves meters feed the product with configuration alone, on the whole product (`runServer`,
// embedded stores, the embedded MQTT broker on its own port): owners add sources through the
// API (a bad setting is a 422 naming it; nothing stored); a Shelly Pro 3EM signed in with a
// device token publishes its recorded native status on its own topic and the reading is stored
// with the source's status; a home exporting solar with no known production stores nothing and
// says why, and with a production source stores import - export + production; a HomeWizard P1
// polled from a local server answering its documented JSON, and a Shelly (RPC) and an IoTaWatt
// polled at their documented paths; InfluxDB line protocol from an IoTaWatt-style uploader
// through POST /api/v1/write with real timestamps (a bad line refused whole, naming it); per-phase power from a meter or from phases_w over HTTP comes back from
// /readings (phases that do not add up are a coded 422); and a device may not publish a topic
// that is none of its building's.
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer, type RunningServer } from '../server.js';
import { freePort, tinyModelRegistry } from '../services.fixture.js';
import { consumptionOf } from './source.runner.js';
import {
  expectMeterCase,
  feedMeterCase,
  meterCases,
  until,
  type MeterRig,
} from './meter.cases.fixture.js';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';

const ROOT = resolve(import.meta.dirname, '../../../..');
const FIXTURES = resolve(ROOT, 'packages/sources/fixtures');
const fixture = (p: string): string => readFileSync(join(FIXTURES, p), 'utf8').trim();
const tmp = mkdtempSync(join(tmpdir(), 'nilm-sources-'));
let server: RunningServer;
let bearer = '';
let mqttPort = 0;
let http: Server;
let httpBody = '';
const B = 'meter-home';

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    ...init,
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      authorization: `Bearer ${bearer}`,
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

async function addSource(body: object, building = B): Promise<Response> {
  return api(`/buildings/${building}/sources`, { method: 'POST', body: JSON.stringify(body) });
}

/** The source's status from the API. */
async function status(id: string, building = B): Promise<Record<string, unknown>> {
  const list = (await (await api(`/buildings/${building}/sources`)).json()) as {
    sources: Array<{ id: string; status: Record<string, unknown> }>;
  };
  return list.sources.find((s) => s.id === id)!.status;
}

/** The building's readings in [from, to). */
async function readings(
  from: number,
  to: number,
  building = B,
): Promise<Array<{ ts: number; powerW: number }>> {
  return server.parts.timeseries.readReadings(building, from, to);
}

beforeAll(async () => {
  mqttPort = await freePort();
  http = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(httpBody);
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  server = await runServer(
    {
      PORT: '0',
      LOG_LEVEL: process.env.SOURCES_TEST_LOG ?? 'silent',
      DEMO: 'false',
      NILM_DATA_DIR: join(tmp, 'data'),
      NILM_MODELS_DIR: await tinyModelRegistry(tmp),
      NILM_ADMIN_PASSWORD: 'sources-secret',
      MQTT_EMBEDDED_PORT: String(mqttPort),
    },
    ROOT,
  );
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@nilm.local', password: 'sources-secret' }),
  });
  bearer = ((await login.json()) as { access_token: string }).access_token;
  expect(
    (await api('/buildings', { method: 'POST', body: JSON.stringify({ id: B, name: 'Meters' }) }))
      .status,
  ).toBe(201);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await new Promise((ok) => http?.close(ok));
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('consumptionOf', () => {
  it('is import - export + production, and unknown while exporting without production', () => {
    expect(consumptionOf({ netW: 392.5 }, undefined)).toEqual({ watts: 392.5 });
    expect(consumptionOf({ importW: 0, exportW: 500 }, 1200)).toEqual({ watts: 700 });
    expect(consumptionOf({ netW: -500, productionW: 1500 }, undefined)).toEqual({ watts: 1000 });
    expect(consumptionOf({ netW: -500 }, undefined)).toMatchObject({
      unknown: expect.stringMatching(/production source/),
    });
    expect(consumptionOf({}, undefined)).toMatchObject({ unknown: expect.any(String) });
  });
});

describe('sources API', () => {
  it('validates settings by type, naming the bad one, and stores nothing then', async () => {
    const bad = await addSource({ type: 'shelly-gen2', settings: { topic: 'a/#/b' } });
    expect(bad.status).toBe(422);
    expect(
      ((await bad.json()) as { error: { details: { setting: string } } }).error.details,
    ).toMatchObject({
      setting: 'topic',
    });
    const unknown = await addSource({ type: 'smart-toaster', settings: {} });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toMatch(/shelly-gen2/);
    expect(
      ((await (await api(`/buildings/${B}/sources`)).json()) as { sources: unknown[] }).sources,
    ).toEqual([]);
  });

  it('adds, changes and removes a source; a viewer may not', async () => {
    const created = await addSource({
      type: 'esphome',
      name: 'ESP',
      settings: { topic: 'esp/sensor/power/state' },
    });
    expect(created.status).toBe(201);
    const s = (await created.json()) as { id: string; transport: string; role: string };
    expect([s.transport, s.role]).toEqual(['mqtt', 'mains']);
    const patched = await api(`/buildings/${B}/sources/${s.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ settings: { topic: '' } }),
    });
    expect(patched.status).toBe(422);
    const renamed = await api(`/buildings/${B}/sources/${s.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ name: 'Kitchen ESP' }),
    });
    expect(((await renamed.json()) as { name: string }).name).toBe('Kitchen ESP');
    expect((await api(`/buildings/${B}/sources/${s.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/buildings/${B}/sources/${s.id}`, { method: 'DELETE' })).status).toBe(404);

    await server.parts.metadata.upsertUser({
      id: 'viewer',
      email: null,
      role: 'user',
      passwordHash: null,
    });
    await server.parts.metadata.setMember({ buildingId: B, userId: 'viewer', role: 'viewer' });
    const t = (await server.parts.issuer!.sign({ sub: 'viewer', role: 'user' })).token;
    const r = await fetch(`${server.url}/api/v1/buildings/${B}/sources`, {
      headers: { authorization: `Bearer ${t}` },
    });
    expect(r.status).toBe(403);
  });
});

describe('meters on the embedded broker', () => {
  it('stores a Shelly Pro 3EM status, refuses export without production, then adds production', async () => {
    const topic = 'shellies/shellypro3em-00000000000/status/em:0';
    const created = (await (
      await addSource({
        type: 'shelly-gen2',
        name: 'Pro 3EM',
        settings: { topic: 'shellies/shellypro3em-00000000000/#' },
      })
    ).json()) as { id: string };
    const token = (
      (await (
        await api(`/buildings/${B}/tokens`, {
          method: 'POST',
          body: JSON.stringify({ name: 'shelly' }),
        })
      ).json()) as { token: string }
    ).token;
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      username: B,
      password: token,
      clientId: 'shellypro3em-00000000000',
      reconnectPeriod: 0,
    });
    try {
      const before = Date.now();
      await device.publishAsync(topic, fixture('shelly-gen2/pro3em-status-em0.txt'), { qos: 1 });
      const stored = await until('the Pro 3EM reading', async () => {
        const r = await readings(before - 1000, Date.now() + 1000);
        return r.length > 0 ? r : undefined;
      });
      expect(stored[0]!.powerW).toBeCloseTo(392.572, 3);
      expect(await status(created.id)).toMatchObject({ last_value_w: 392.572, last_error: null });

      // Solar export: L1 and L2 export more than L3 imports, and no production is known.
      const exporting = JSON.stringify({
        id: 0,
        a_act_power: -900,
        b_act_power: -400,
        c_act_power: 300,
        total_act_power: -1000,
      });
      const t1 = Date.now();
      await device.publishAsync(topic, exporting, { qos: 1 });
      const st = await until('the export to be reported', async () => {
        const s = await status(created.id);
        return s.last_error_code === 'SOURCE_CONSUMPTION_UNKNOWN' ? s : undefined;
      });
      expect(st.last_error).toMatch(/production source/);
      expect(await readings(t1 - 10, Date.now() + 1000)).toEqual([]);

      // A production meter (the inverter, on its own Shelly) makes consumption known.
      await addSource({
        type: 'esphome',
        role: 'production',
        name: 'Inverter',
        settings: { topic: 'inverter/sensor/power/state' },
      });
      await device.publishAsync('inverter/sensor/power/state', '1600', { qos: 1 });
      await new Promise((ok) => setTimeout(ok, 500));
      const t2 = Date.now();
      await device.publishAsync(topic, exporting, { qos: 1 });
      const withSolar = await until('consumption with production', async () => {
        const r = await readings(t2 - 10, Date.now() + 1000);
        return r.length > 0 ? r : undefined;
      });
      expect(withSolar[0]!.powerW).toBeCloseTo(600, 3);

      // /readings carries each reading's phases as the meter measured them, with and without
      // production (each read alone, so no other reading of the minute enters its mean).
      const gridAt = async (ts: number) => {
        const res = await api(`/buildings/${B}/readings?start=${ts}&end=${ts + 1}&resolution=1m`);
        return ((await res.json()) as { points: Array<{ grid?: unknown }> }).points[0]?.grid;
      };
      expect(await gridAt(stored[0]!.ts)).toEqual({
        import_w: null,
        export_w: null,
        production_w: null,
        phases_w: [-60.2, 72.8, 379.9],
      });
      expect(await gridAt(withSolar[0]!.ts)).toEqual({
        import_w: 0,
        export_w: 1000,
        production_w: 1600,
        phases_w: [-900, -400, 300],
      });
    } finally {
      await device.endAsync();
    }

    // Another topic than its building's: the broker closes the connection, nothing is stored.
    const rogue = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      username: B,
      password: token,
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((ok) => rogue.once('close', () => ok()));
    rogue.publish('someone-else/status/em:0', '{}', { qos: 1 });
    await closed;
    await rogue.endAsync(true);
  });
});

describe('every MQTT meter type on the embedded broker', () => {
  // Each type's recorded payloads, published by a device signed in with its building's token.
  const rig = (): MeterRig => ({
    server,
    api: (path, body) =>
      api(path, body ? { method: 'POST', body: JSON.stringify(body) } : undefined),
    connect: async (buildingId) => {
      const res = await api(`/buildings/${buildingId}/tokens`, {
        method: 'POST',
        body: JSON.stringify({ name: 'meter' }),
      });
      const { token } = (await res.json()) as { token: string };
      return mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
        username: buildingId,
        password: token,
        reconnectPeriod: 0,
      });
    },
  });
  for (const c of meterCases('embedded', Date.now())) {
    it(`${c.type}: stores consumption, import, export and production`, async () => {
      expectMeterCase(c, await feedMeterCase(rig(), c, `emb-${c.type}`));
    });
  }
});

describe('a polled HomeWizard P1', () => {
  it('polls the local API and stores its power; export is reported, not stored', async () => {
    // A building of its own: the other one's production meter would make export count.
    const P = 'polled-home';
    await api('/buildings', { method: 'POST', body: JSON.stringify({ id: P, name: 'Polled' }) });
    const doc = fixture('homewizard-p1/v1-data-3-phase-doc-example.txt');
    httpBody = doc;
    const created = (await (
      await addSource(
        {
          type: 'homewizard-p1',
          settings: {
            url: `http://127.0.0.1:${(http.address() as { port: number }).port}`,
            interval_s: 1,
          },
        },
        P,
      )
    ).json()) as { id: string };
    const st = await until('the documented (exporting) response', async () => {
      const s = await status(created.id, P);
      return s.last_value_w === -543 ? s : undefined;
    });
    expect(st.last_error_code).toBe('SOURCE_CONSUMPTION_UNKNOWN');
    // Our values: the same document importing 1,234 W.
    httpBody = doc
      .replace('"active_power_w": -543', '"active_power_w": 1234')
      .replace('"active_power_l1_w": -676', '"active_power_l1_w": 1101');
    const t = Date.now();
    const stored = await until('a polled reading', async () => {
      const r = await readings(t - 10, Date.now() + 1000, P);
      return r.find((x) => Math.abs(x.powerW - 1234) < 1e-6);
    });
    expect(stored.powerW).toBe(1234);
    await api(`/buildings/${P}/sources/${created.id}`, { method: 'DELETE' });
  });
});

describe('a polled Shelly (RPC) and IoTaWatt (query API)', () => {
  it('polls each device at the path its API documents and stores what it answers', async () => {
    const P = 'polled-devices';
    await api('/buildings', { method: 'POST', body: JSON.stringify({ id: P, name: 'Polled 2' }) });
    // One local server answering like both devices, each only on its documented path.
    const asked: string[] = [];
    const answers: Record<string, string> = {
      '/rpc/EM.GetStatus?id=0': fixture('shelly-rpc/em-getstatus-doc-example.txt'),
      '/query?select=[time.utc.unix,Heat_Pump.watts,misc.watts]&begin=s-10s&end=s&group=5s&format=json&header=yes&missing=null':
        fixture('iotawatt/query-select-json-header-doc-example.txt'),
    };
    const device = createServer((req, res) => {
      asked.push(req.url ?? '');
      const body = answers[req.url ?? ''];
      res.statusCode = body === undefined ? 404 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(body ?? '{"error":"not found"}');
    });
    await new Promise<void>((ok) => device.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(device.address() as { port: number }).port}`;
    try {
      const t = Date.now();
      const shelly = (await (
        await addSource({ type: 'shelly-rpc', settings: { url, interval_s: 1 } }, P)
      ).json()) as { id: string };
      // The documentation's EM.GetStatus: total_act_power 2484.782 W, imported.
      const fromShelly = await until('a reading polled from the Shelly', async () => {
        const r = await readings(t - 10, Date.now() + 1000, P);
        return r.find((x) => Math.abs(x.powerW - 2484.782) < 1e-3);
      });
      expect(fromShelly.powerW).toBeCloseTo(2484.782, 3);
      expect((await status(shelly.id, P)).last_value_w).toBeCloseTo(2484.782, 3);
      await api(`/buildings/${P}/sources/${shelly.id}`, { method: 'DELETE' });

      // IoTaWatt: two inputs as two phases; the newest row (345.7 + 124.2 W) is what is stored.
      const t2 = Date.now();
      const iota = (await (
        await addSource(
          { type: 'iotawatt', settings: { url, interval_s: 1, series: ['Heat_Pump', 'misc'] } },
          P,
        )
      ).json()) as { id: string };
      const fromIota = await until('a reading polled from the IoTaWatt', async () => {
        const r = await readings(t2 - 10, Date.now() + 1000, P);
        return r.find((x) => Math.abs(x.powerW - 469.9) < 1e-3);
      });
      expect(fromIota.powerW).toBeCloseTo(469.9, 3);
      const st = await status(iota.id, P);
      expect(st.last_value_w).toBeCloseTo(469.9, 3);
      expect(st.last_error_code ?? null).toBeNull();
      await api(`/buildings/${P}/sources/${iota.id}`, { method: 'DELETE' });
      // Nothing was asked anywhere but the two documented paths.
      expect(asked.length).toBeGreaterThan(1);
      expect(asked.every((u) => u in answers)).toBe(true);
    } finally {
      await new Promise((ok) => device.close(ok));
    }
  });
});

describe('a HomeWizard P1 on local API v2 (https, bearer token)', () => {
  it('polls /api/measurement with its token, verifies the device CA when given, keeps the token sealed', async () => {
    const P = 'hw-v2-home';
    await api('/buildings', { method: 'POST', body: JSON.stringify({ id: P, name: 'HW v2' }) });
    // A certificate named as HomeWizard names its devices (not by address), made for this test.
    const dir = join(tmp, 'hw-tls');
    mkdirSync(dir);
    const cert = (name: string): { key: string; cert: string } => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=appliance\\/p1dongle\\/5c2fafaabbcc',
          '-keyout',
          join(dir, `${name}.key`),
          '-out',
          join(dir, `${name}.pem`),
        ],
        { stdio: 'ignore' },
      );
      return {
        key: readFileSync(join(dir, `${name}.key`), 'utf8'),
        cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
      };
    };
    const device = cert('device');
    const other = cert('other');
    const TOKEN = '00112233445566778899AABBCCDDEEFF';
    // Our values: the documented answer importing 1,234 W (L1 1,101 W, L2 133 W, L3 0 W).
    const answer = fixture('homewizard-p1/v2-measurement-3-phase-doc-example.txt')
      .replace('"power_w": -543', '"power_w": 1234')
      .replace('"power_l1_w": -676', '"power_l1_w": 1101');
    const asked: Array<{ path?: string; version?: string }> = [];
    const hw = createHttpsServer(device, (req, res) => {
      asked.push({ path: req.url, version: req.headers['x-api-version'] as string });
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.statusCode = 401;
        res.end('{"error":"user:unauthorized"}');
        return;
      }
      res.end(answer);
    });
    await new Promise<void>((ok) => hw.listen(0, '127.0.0.1', ok));
    const url = `https://127.0.0.1:${(hw.address() as { port: number }).port}`;
    try {
      const t = Date.now();
      const created = await addSource(
        {
          type: 'homewizard-p1',
          settings: { url, api: 'v2', token: TOKEN, ca: device.cert, interval_s: 1 },
        },
        P,
      );
      expect(created.status).toBe(201);
      const src = (await created.json()) as { id: string; settings: { token: string } };
      expect(src.settings.token).toBe('(stored encrypted)');
      const stored = await server.parts.metadata.getSource(src.id);
      expect(String(stored!.settings.token)).toMatch(/^enc:v1:/);
      const got = await until('a v2 reading', async () => {
        const r = await readings(t - 10, Date.now() + 1000, P);
        return r.length > 0 ? r : undefined;
      });
      expect(got[0]!.powerW).toBe(1234);
      const st = await until('the status', async () => {
        const s1 = await status(src.id, P);
        return s1.last_seen ? s1 : undefined;
      });
      expect(st).toMatchObject({ last_value_w: 1234, last_phases_w: [1101, 133, 0] });
      expect(asked[0]).toEqual({ path: '/api/measurement', version: '2' });

      // A CA that did not sign the device's certificate: refused, the status says why.
      await api(`/buildings/${P}/sources/${src.id}`, {
        method: 'PATCH',
        body: JSON.stringify({ settings: { url, api: 'v2', ca: other.cert, interval_s: 1 } }),
      });
      const refused = await until('the unverified certificate', async () => {
        const s2 = await status(src.id, P);
        return s2.last_error_code === 'SOURCE_UNREACHABLE' ? s2 : undefined;
      });
      expect(refused.last_error).toMatch(/certificate/);

      // A wrong token: the device answers 401.
      await api(`/buildings/${P}/sources/${src.id}`, {
        method: 'PATCH',
        body: JSON.stringify({
          settings: { url, api: 'v2', token: 'F'.repeat(32), interval_s: 1 },
        }),
      });
      await until('the refused token', async () => {
        const s3 = await status(src.id, P);
        return typeof s3.last_error === 'string' && /HTTP 401/.test(s3.last_error) ? s3 : undefined;
      });
      await api(`/buildings/${P}/sources/${src.id}`, { method: 'DELETE' });
    } finally {
      await new Promise((ok) => hw.close(ok));
    }
  });
});

describe('POST /api/v1/write (InfluxDB line protocol)', () => {
  it('stores an IoTaWatt upload at its own times, and refuses a bad body whole', async () => {
    const token = (
      (await (
        await api(`/buildings/${B}/tokens`, {
          method: 'POST',
          body: JSON.stringify({ name: 'iotawatt' }),
        })
      ).json()) as { token: string }
    ).token;
    const write = (body: string, headers: Record<string, string>) =>
      fetch(`${server.url}/api/v1/write?db=nilm&precision=s`, { method: 'POST', headers, body });
    const t0 = Math.floor(Date.now() / 60_000) * 60 - 3600;
    const body = [0, 1, 2].map((k) => `Mains value=${1000 + k * 10} ${t0 + k * 60}`).join('\n');

    const none = await write(body, { authorization: `Token ${token}` });
    expect(none.status).toBe(422);
    expect(await none.text()).toMatch(/no line-protocol source/);

    const src = (await (
      await addSource({
        type: 'line-protocol',
        settings: { power: { measurement: 'Mains' }, precision: 's' },
      })
    ).json()) as { id: string };
    expect((await write(body, { authorization: `Token ${token}` })).status).toBe(204);
    const basic = Buffer.from(`iotawatt:${token}`).toString('base64');
    expect(
      (await write(`Mains value=1100 ${t0 + 180}`, { authorization: `Basic ${basic}` })).status,
    ).toBe(204);
    const got = await readings(t0 * 1000, (t0 + 240) * 1000);
    expect(got).toEqual(
      [0, 1, 2, 3].map((k) => ({
        ts: (t0 + k * 60) * 1000,
        powerW: 1000 + k * 10 + (k === 3 ? 70 : 0),
      })),
    );
    expect(await status(src.id)).toMatchObject({ last_value_w: 1100 });

    const bad = await write(`Mains value=5 ${t0 + 240}\nMains value= ${t0 + 300}`, {
      'x-ingest-token': token,
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/line 2/);
    expect(await readings((t0 + 240) * 1000, (t0 + 400) * 1000)).toEqual([]);
    expect((await write(body, { authorization: 'Token nilm_dev_notarealtoken' })).status).toBe(401);

    // A solar uploader: net power and production; import, export and production are kept.
    await api(`/buildings/${B}/sources/${src.id}`, {
      method: 'PATCH',
      body: JSON.stringify({
        settings: {
          power: { measurement: 'Mains' },
          production: { measurement: 'Solar' },
          precision: 's',
        },
      }),
    });
    const t1 = t0 + 600;
    expect(
      (await write(`Mains value=-800 ${t1}\nSolar value=2000 ${t1}`, { 'x-ingest-token': token }))
        .status,
    ).toBe(204);
    expect(await readings(t1 * 1000, (t1 + 1) * 1000)).toEqual([{ ts: t1 * 1000, powerW: 1200 }]);
    expect(
      await server.parts.timeseries.readGridBuckets(B, t1 * 1000, (t1 + 60) * 1000, 60),
    ).toEqual([{ ts: t1 * 1000, importW: 0, exportW: 800, productionW: 2000 }]);
  });
});

describe('solar over HTTP ingest', () => {
  it('takes signed net power with production, stores consumption and what was measured', async () => {
    const S = 'solar-home';
    await api('/buildings', { method: 'POST', body: JSON.stringify({ id: S, name: 'Solar' }) });
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const send = (readings: object[]) =>
      api('/ingest', { method: 'POST', body: JSON.stringify({ building_id: S, readings }) });

    const refused = await send([{ ts: t0, power_w: -5 }]);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toMatch(/production_w/);
    expect((await send([{ ts: t0, power_w: -900, production_w: 500 }])).status).toBe(422);

    // Minute 0 exports 1,500 W of 2,000 W made; minute 1 imports 300 W with 200 W made.
    expect(
      (
        await send([
          { ts: t0, power_w: -1500, production_w: 2000 },
          { ts: t0 + 60_000, power_w: 300, production_w: 200 },
        ])
      ).status,
    ).toBe(202);
    expect(await readings(t0, t0 + 120_000, S)).toEqual([
      { ts: t0, powerW: 500 },
      { ts: t0 + 60_000, powerW: 500 },
    ]);
    const points = (
      (await (
        await api(`/buildings/${S}/readings?start=${t0}&end=${t0 + 120_000}&resolution=1m`)
      ).json()) as { points: Array<{ power_w: number; grid?: Record<string, number> }> }
    ).points;
    expect(points.map((p) => [p.power_w, p.grid])).toEqual([
      [500, { import_w: 0, export_w: 1500, production_w: 2000 }],
      [500, { import_w: 300, export_w: 0, production_w: 200 }],
    ]);
    const day = (
      (await (await api(`/buildings/${S}/energy?start=${t0}&end=${t0 + 120_000}`)).json()) as {
        periods: Array<Record<string, number | null>>;
      }
    ).periods.at(-1)!;
    const kwh = (w: number) => w / 60 / 1000;
    expect(day.import_kwh).toBeCloseTo(kwh(300), 9);
    expect(day.export_kwh).toBeCloseTo(kwh(1500), 9);
    expect(day.production_kwh).toBeCloseTo(kwh(2200), 9);
    expect(day.self_consumption_kwh).toBeCloseTo(kwh(700), 9);
    expect(day.total_kwh).toBeCloseTo(kwh(1000), 9);
    // A building whose meter measures consumption only has none of these.
    const plain = (
      (await (
        await api(`/buildings/polled-home/energy?start=${t0}&end=${t0 + 120_000}`)
      ).json()) as {
        periods: Array<Record<string, number | null>>;
      }
    ).periods.at(-1)!;
    expect(plain.export_kwh).toBeNull();
  });

  it('stores per-phase power sent as phases_w and returns it from /readings; refuses phases that do not add up', async () => {
    const S = 'phase-home';
    await api('/buildings', { method: 'POST', body: JSON.stringify({ id: S, name: 'Phases' }) });
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const send = (readings: object[]) =>
      api('/ingest', { method: 'POST', body: JSON.stringify({ building_id: S, readings }) });
    const code = async (r: Response) =>
      [r.status, ((await r.json()) as { error: { code: string } }).error.code] as const;

    // 900 W short of power_w; a phase past 100 kW; four phases: nothing of the batch is stored.
    const ok = { ts: t0 + 120_000, power_w: 10 };
    expect(
      await code(await send([ok, { ts: t0, power_w: 300, phases_w: [-900, 300, 0] }])),
    ).toEqual([422, 'VALIDATION_PHASES']);
    expect(
      await code(await send([{ ts: t0, power_w: 300, phases_w: [200_300, -200_000] }])),
    ).toEqual([422, 'VALIDATION_PHASES']);
    expect((await send([{ ts: t0, power_w: 0, phases_w: [0, 0, 0, 0] }])).status).toBe(422);
    expect(await readings(t0, t0 + 180_000, S)).toEqual([]);

    // Minute 0 exports 600 W of 1,600 W made, L3 importing; minute 1 has one phase, no solar.
    expect(
      (
        await send([
          { ts: t0, power_w: -600, production_w: 1600, phases_w: [-900, -400, 700] },
          { ts: t0 + 60_000, power_w: 250.5, phases_w: [250.5] },
          ok,
        ])
      ).status,
    ).toBe(202);
    const points = (
      (await (
        await api(`/buildings/${S}/readings?start=${t0}&end=${t0 + 180_000}&resolution=1m`)
      ).json()) as { points: Array<{ power_w: number; grid?: Record<string, unknown> }> }
    ).points;
    expect(points.map((p) => [p.power_w, p.grid])).toEqual([
      [1000, { import_w: 0, export_w: 600, production_w: 1600, phases_w: [-900, -400, 700] }],
      [250.5, { import_w: null, export_w: null, production_w: null, phases_w: [250.5] }],
      [10, undefined],
    ]);

    // Our JSON over MQTT takes phases_w the same way.
    const token = (
      (await (
        await api(`/buildings/${S}/tokens`, { method: 'POST', body: JSON.stringify({ name: 'm' }) })
      ).json()) as { token: string }
    ).token;
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      username: S,
      password: token,
      reconnectPeriod: 0,
    });
    const t3 = t0 + 180_000;
    try {
      await device.publishAsync(
        `nilm/${S}/power`,
        JSON.stringify({ ts: t3, power_w: 400, phases_w: [100, 300] }),
        { qos: 1 },
      );
      await until('the MQTT reading', async () => {
        const r = await readings(t3, t3 + 1, S);
        return r.length > 0 ? r : undefined;
      });
    } finally {
      await device.endAsync();
    }
    expect(await server.parts.timeseries.readGridBuckets(S, t3, t3 + 60_000, 60)).toEqual([
      { ts: t3, importW: null, exportW: null, productionW: null, phasesW: [100, 300] },
    ]);
  });
});

describe('a Home Assistant sensor (WebSocket API)', () => {
  it('authenticates, subscribes to the entity, stores its states, keeps the token encrypted', async () => {
    const H = 'ha-sensor-home';
    await api('/buildings', { method: 'POST', body: JSON.stringify({ id: H, name: 'HA' }) });
    // A stand-in that speaks Home Assistant's auth and subscribe_entities protocol.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/api/websocket' });
    const seen: Array<Record<string, unknown>> = [];
    let client: ServerSocket | undefined;
    wss.on('connection', (ws) => {
      client = ws;
      ws.send(JSON.stringify({ type: 'auth_required', ha_version: '2026.11.0' }));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as Record<string, unknown>;
        seen.push(msg);
        if (msg.type === 'auth')
          ws.send(
            JSON.stringify(
              msg.access_token === 'ha-long-lived-token'
                ? { type: 'auth_ok', ha_version: '2026.11.0' }
                : { type: 'auth_invalid', message: 'Invalid access token or password' },
            ),
          );
        if (msg.type === 'subscribe_entities') {
          ws.send(JSON.stringify({ id: msg.id, type: 'result', success: true, result: null }));
          ws.send(
            JSON.stringify({
              id: msg.id,
              type: 'event',
              event: {
                a: {
                  'sensor.grid_power': {
                    s: '1.25',
                    a: { unit_of_measurement: 'kW', device_class: 'power' },
                    c: '01J',
                    lc: 1796400000.1,
                  },
                },
              },
            }),
          );
        }
      });
    });
    await new Promise((ok) => wss.once('listening', ok));
    const port = (wss.address() as { port: number }).port;
    try {
      const t = Date.now();
      const created = await addSource(
        {
          type: 'home-assistant',
          settings: {
            url: `http://127.0.0.1:${port}`,
            entity_id: 'sensor.grid_power',
            token: 'ha-long-lived-token',
          },
        },
        H,
      );
      expect(created.status).toBe(201);
      const src = (await created.json()) as {
        id: string;
        transport: string;
        settings: { token: string };
      };
      expect(src.transport).toBe('websocket');
      // Never sent back, and stored sealed.
      expect(src.settings.token).toBe('(stored encrypted)');
      const stored = await server.parts.metadata.getSource(src.id);
      expect(String(stored!.settings.token)).toMatch(/^enc:v1:/);
      expect(JSON.stringify(stored!.settings)).not.toContain('ha-long-lived-token');

      // The added state (1.25 kW) is stored as 1250 W.
      const first = await until('the sensor state', async () => {
        const r = await readings(t - 1000, Date.now() + 1000, H);
        return r.length > 0 ? r : undefined;
      });
      expect(first[0]!.powerW).toBe(1250);
      expect(seen.map((m) => m.type)).toEqual(['auth', 'subscribe_entities']);
      expect(seen[1]).toMatchObject({ entity_ids: ['sensor.grid_power'] });

      // A change event carries only what changed: the unit stated before still holds.
      await new Promise((ok) => setTimeout(ok, 1100));
      client!.send(
        JSON.stringify({
          id: 1,
          type: 'event',
          event: { c: { 'sensor.grid_power': { '+': { s: '0.4', lc: 1796400060.2 } } } },
        }),
      );
      const second = await until('the changed state', async () => {
        const r = await readings(t - 1000, Date.now() + 1000, H);
        return r.find((x) => x.powerW === 400);
      });
      expect(second.powerW).toBe(400);
      client!.send(
        JSON.stringify({
          id: 1,
          type: 'event',
          event: { c: { 'sensor.grid_power': { '+': { s: 'unavailable' } } } },
        }),
      );
      const st = await until('the unavailable state', async () => {
        const s2 = await status(src.id, H);
        return typeof s2.last_error === 'string' && /unavailable/.test(s2.last_error)
          ? s2
          : undefined;
      });
      // The status keeps the last value it recorded (at most one every 5 s).
      expect([1250, 400]).toContain(st.last_value_w);

      // A change of name keeps the token; a wrong token is reported.
      const renamed = await api(`/buildings/${H}/sources/${src.id}`, {
        method: 'PATCH',
        body: JSON.stringify({
          name: 'HA grid',
          settings: {
            url: `http://127.0.0.1:${port}`,
            entity_id: 'sensor.grid_power',
            token: 'wrong-token',
          },
        }),
      });
      expect(renamed.status).toBe(200);
      await until('the refused token', async () => {
        const s3 = await status(src.id, H);
        return s3.last_error_code === 'SOURCE_AUTH_REFUSED' ? s3 : undefined;
      });
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((ok) => wss.close(ok));
    }
  });
});
