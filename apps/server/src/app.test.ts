// Proves the API on embedded real parts (PGlite, DuckDB, in-process queue, a tiny ONNX model):
// health and docs, auth failures, how the web app signs in, per-building access control, ingest
// validation with nothing stored on a bad batch, idempotency, device tokens, members by e-mail,
// a building never left without an owner, external users' e-mail remembered at /auth/me, local
// accounts for admins, ingest details for meters (no secrets, MQTT_PUBLIC_URL), the worker
// writing estimates, readings, energy and CSV, an appliance's runs at 1-minute resolution,
// /infer, model admin, store outage as 503, rate limits and request ids.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry, readDatasetCsv } from '@nilm/ml';
import { writeRandomModel } from '@nilm/ml/testing';
import { build } from './app.js';
import { loadConfig } from './config.js';
import { createParts, type Parts } from './app.deps.js';
import { Worker } from './worker.js';
import { seedMetadata } from './services.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'nilm-app-'));
let parts: Parts;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

async function setup(
  env: Record<string, string> = {},
): Promise<{ parts: Parts; app: FastifyInstance }> {
  const dir = mkdtempSync(join(tmp, 'run-'));
  const modelsDir = join(dir, 'models');
  await writeRandomModel(join(dir, 'src'), { id: 'tiny', version: '1' });
  await (await ModelRegistry.open(modelsDir)).add(join(dir, 'src'), { activate: true });
  const config = loadConfig(
    {
      NILM_WEB_DIR: join(dir, 'no-web-build'),
      NILM_DATA_DIR: join(dir, 'data'),
      NILM_MODELS_DIR: modelsDir,
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      // build() starts no broker: say so, rather than the one-process start's default of 1883.
      MQTT_EMBEDDED_PORT: '0',
      ...env,
    },
    ROOT,
  );
  seedMetadata(config.dataDir);
  const p = await createParts(config);
  return { parts: p, app: await build(p) };
}

const auth = (who: string): Record<string, string> => ({ authorization: `Bearer ${tokens[who]}` });
const minute = 60_000;
const base = Date.UTC(2024, 0, 1);

beforeAll(async () => {
  ({ parts, app } = await setup());
  for (const [id, role] of [
    ['admin', 'admin'],
    ['alice', 'user'],
    ['bob', 'user'],
    ['vera', 'user'],
  ] as const) {
    await parts.metadata.upsertUser({ id, email: `${id}@test`, role, passwordHash: null });
    tokens[id] = (await parts.issuer!.sign({ sub: id, email: `${id}@test`, role })).token;
  }
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/buildings',
    headers: auth('admin'),
    payload: { id: 'home-a', name: 'A', timezone: 'Europe/London', owner_id: 'alice' },
  });
  expect(r.statusCode).toBe(201);
  await app.inject({
    method: 'POST',
    url: '/api/v1/buildings',
    headers: auth('admin'),
    payload: { id: 'home-b', name: 'B' },
  });
  await app.inject({
    method: 'POST',
    url: '/api/v1/buildings/home-a/members',
    headers: auth('alice'),
    payload: { user_id: 'vera', role: 'viewer' },
  });
}, 120_000);

afterAll(async () => {
  await app.close();
  await parts.close();
  // Removing every test app's embedded stores can take longer than the default hook timeout
  // on a busy disk.
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe('health and docs', () => {
  it('answers /live, /ready with every dependency, /metrics and the OpenAPI document', async () => {
    expect((await app.inject('/live')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({
      timeseries: { ok: true, kind: 'duckdb' },
      metadata: { ok: true, kind: 'pglite' },
      queue: { ok: true, kind: 'memory' },
      model: { ok: true },
    });
    expect((await app.inject('/metrics')).body).toMatch(/nilm_model_info\{model="tiny@1"\} 1/);
    const doc = (await app.inject('/docs/json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/ingest',
        '/api/v1/buildings/{id}/readings',
        '/api/v1/infer',
      ]),
    );
  });

  it('echoes a request id, or makes one', async () => {
    expect(
      (await app.inject({ url: '/live', headers: { 'x-request-id': 'abc-123' } })).headers[
        'x-request-id'
      ],
    ).toBe('abc-123');
    const r = await app.inject({ url: '/api/v1/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({
      error: { code: 'NOT_FOUND' },
      request_id: expect.stringMatching(/^req_[0-9a-f]{16}$/),
    });
  });
});

describe('authentication and access control', () => {
  it('refuses missing, malformed, forged and unsigned tokens', async () => {
    expect((await app.inject('/api/v1/buildings')).json().error.code).toBe('AUTH_REQUIRED');
    const bad = await app.inject({
      url: '/api/v1/buildings',
      headers: { authorization: 'Bearer not.a.jwt' },
    });
    expect(bad.statusCode).toBe(401);
    const [h, p] = tokens.alice!.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    expect(
      (await app.inject({ url: '/api/v1/buildings', headers: { authorization: `Bearer ${none}` } }))
        .statusCode,
    ).toBe(401);
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', role: 'admin', exp: 9e9, iss: 'nilm-local', aud: 'nilm' })).toString('base64url')}.${tokens.alice!.split('.')[2]}`;
    expect(
      (
        await app.inject({
          url: '/api/v1/buildings',
          headers: { authorization: `Bearer ${forged}` },
        })
      ).json().error.details.auth_code,
    ).toBe('AUTH_INVALID_SIGNATURE');
  });

  it('shows each user only their buildings; others get 404, viewers cannot write', async () => {
    expect(
      (await app.inject({ url: '/api/v1/buildings', headers: auth('alice') }))
        .json()
        .buildings.map((b: { id: string }) => b.id),
    ).toEqual(['home-a']);
    expect(
      (await app.inject({ url: '/api/v1/buildings', headers: auth('admin') })).json().buildings,
    ).toHaveLength(2);
    expect(
      (await app.inject({ url: '/api/v1/buildings/home-a', headers: auth('bob') })).statusCode,
    ).toBe(404);
    expect(
      (
        await app.inject({
          url: '/api/v1/buildings/home-a/readings?start=-1d',
          headers: auth('bob'),
        })
      ).statusCode,
    ).toBe(404);
    const ingest = { building_id: 'home-a', readings: [{ ts: base, power_w: 100 }] };
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: auth('bob'),
          payload: ingest,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: auth('vera'),
          payload: ingest,
        })
      ).json().error.code,
    ).toBe('AUTHZ_FORBIDDEN');
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/buildings',
          headers: auth('alice'),
          payload: { id: 'x', name: 'x' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/buildings/home-a/members',
          headers: auth('vera'),
          payload: { user_id: 'bob', role: 'owner' },
        })
      ).statusCode,
    ).toBe(403);
  });
});

describe('sign-in configuration (GET /api/v1/auth/config, public)', () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const anonKey = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'supabase', ref: 'abcd', role: 'anon' })}.c2ln`;

  it('answers local when the server signs its own tokens', async () => {
    const r = await app.inject('/api/v1/auth/config');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ mode: 'local' });
  });

  it('hands out the Supabase URL and anon key, and local sign-in is off', async () => {
    const s = await setup({
      SUPABASE_URL: 'https://abcd.supabase.co/',
      SUPABASE_ANON_KEY: anonKey,
    });
    const r = await s.app.inject('/api/v1/auth/config');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      mode: 'supabase',
      supabase_url: 'https://abcd.supabase.co',
      supabase_anon_key: anonKey,
    });
    const login = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'a@b.c', password: 'secret' },
    });
    expect(login.statusCode).toBe(404);
    expect(login.json().error.message).toMatch(/^local sign-in is off/);
    await s.app.close();
    await s.parts.close();
  });

  // Supabase without SUPABASE_ANON_KEY is external too (config.test.ts).
  it('answers external for another identity provider', async () => {
    const s = await setup({
      AUTH_HS256_SECRET: 'x'.repeat(32),
      AUTH_ISSUER: 'https://idp.example',
    });
    const r = await s.app.inject('/api/v1/auth/config');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ mode: 'external' });
    await s.app.close();
    await s.parts.close();
  });
});

describe('ingest', () => {
  const readings = (n: number, from = base): Array<{ ts: number; power_w: number }> =>
    Array.from({ length: n }, (_, i) => ({ ts: from + i * minute, power_w: 100 + i }));

  it('accepts a batch once, idempotently per (building, ts)', async () => {
    const payload = { building_id: 'home-a', readings: readings(5) };
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: auth('alice'),
      payload,
    });
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ accepted: 5 });
    await app.inject({ method: 'POST', url: '/api/v1/ingest', headers: auth('alice'), payload });
    expect(await parts.timeseries.readReadings('home-a', base, base + 5 * minute)).toHaveLength(5);
  });

  it.each([
    ['bad JSON', '{"building_id": ', 400, 'VALIDATION_JSON'],
    [
      'a string power',
      { building_id: 'home-a', readings: [{ ts: base, power_w: 'NaN' }] },
      422,
      'VALIDATION_FAILED',
    ],
    [
      'negative power',
      {
        building_id: 'home-a',
        readings: [...readings(3, base + 100 * minute), { ts: base + 200 * minute, power_w: -5 }],
      },
      422,
      'VALIDATION_POWER',
    ],
    [
      'absurd power',
      { building_id: 'home-a', readings: [{ ts: base + 300 * minute, power_w: 5e6 }] },
      422,
      'VALIDATION_POWER',
    ],
    [
      'a future time',
      { building_id: 'home-a', readings: [{ ts: Date.now() + 86_400_000, power_w: 1 }] },
      422,
      'VALIDATION_TIME',
    ],
    [
      'a time without zone',
      { building_id: 'home-a', readings: [{ ts: '2024-01-01 00:00:00', power_w: 1 }] },
      422,
      'VALIDATION_TIME',
    ],
    [
      'an unknown building',
      { building_id: 'nowhere', readings: readings(1) },
      404,
      'BUILDING_NOT_FOUND',
    ],
    [
      'an extra field',
      { building_id: 'home-a', readings: readings(1), extra: 1 },
      422,
      'VALIDATION_FAILED',
    ],
    [
      'too many readings',
      { building_id: 'home-a', readings: readings(10_001) },
      422,
      'VALIDATION_FAILED',
    ],
    ['an empty batch', { building_id: 'home-a', readings: [] }, 422, 'VALIDATION_FAILED'],
  ])('refuses %s and stores nothing of the batch', async (_what, payload, status, code) => {
    const before = (
      await parts.timeseries.readReadings('home-a', base + 99 * minute, base + 400 * minute)
    ).length;
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { ...auth('alice'), 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    expect(r.statusCode).toBe(status);
    expect(r.json().error.code).toBe(code);
    expect(r.json().error.message.length).toBeGreaterThan(10);
    expect(
      (await parts.timeseries.readReadings('home-a', base + 99 * minute, base + 400 * minute))
        .length,
    ).toBe(before);
  });

  it('accepts device tokens for their own building only, and not once revoked', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/buildings/home-a/tokens',
      headers: auth('alice'),
      payload: { name: 'meter' },
    });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { 'x-ingest-token': token },
      payload: { building_id: 'home-a', readings: readings(2, base + 10 * minute) },
    });
    expect(ok.statusCode).toBe(202);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: { 'x-ingest-token': token },
          payload: { building_id: 'home-b', readings: readings(1) },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ url: '/api/v1/buildings/home-a', headers: { 'x-ingest-token': token } }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/buildings/home-a/tokens/${id}`,
          headers: auth('alice'),
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: { 'x-ingest-token': token },
          payload: { building_id: 'home-a', readings: readings(1) },
        })
      ).statusCode,
    ).toBe(401);
  });
});

describe('disaggregation and history', () => {
  it('runs the worker on real data and serves readings, energy and CSV', async () => {
    const excerpt = await readDatasetCsv(join(ROOT, 'data', 'REFIT_House20_2014-09-03_14d.csv.gz'));
    const start = Date.UTC(2024, 5, 1);
    const batch = Array.from({ length: 600 }, (_, i) => ({
      ts: start + i * minute,
      power_w: excerpt.mains[i]!,
    }));
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: auth('alice'),
          payload: { building_id: 'home-b', readings: batch },
        })
      ).statusCode,
    ).toBe(404);
    await app.inject({
      method: 'POST',
      url: '/api/v1/buildings/home-b/members',
      headers: auth('admin'),
      payload: { user_id: 'alice', role: 'member' },
    });
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: auth('alice'),
          payload: { building_id: 'home-b', readings: batch },
        })
      ).statusCode,
    ).toBe(202);
    const worker = new Worker({
      ...parts,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    // Before the worker ran: readings without estimates are 'pending', not 'other'.
    const unestimated = (
      await app.inject({
        url: `/api/v1/buildings/home-b/energy?start=${start}&end=${start + 600 * minute}`,
        headers: auth('alice'),
      })
    ).json();
    expect(unestimated.periods[0].estimate_coverage).toBe(0);
    expect(unestimated.periods[0].other_kwh).toBe(0);
    expect(unestimated.periods[0].pending_kwh).toBeCloseTo(unestimated.periods[0].total_kwh, 9);
    const run = await worker.service.run('home-b');
    expect(run.written).toBe(600 * 2); // every minute with a reading, both appliances of the tiny model
    const r = await app.inject({
      url: `/api/v1/buildings/home-b/readings?start=${start}&end=${start + 600 * minute}&resolution=1h`,
      headers: auth('alice'),
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.resolution_s).toBe(3600);
    expect(body.appliances).toEqual(['kettle', 'washing_machine']);
    expect(body.points).toHaveLength(10);
    expect(body.estimate_coverage).toBe(1);
    const firstHour = Array.from(excerpt.mains.subarray(0, 60)).reduce((a, b) => a + b, 0) / 60;
    expect(body.points[0].power_w).toBeCloseTo(firstHour, 1);
    expect(body.points[0].appliances.kettle.on_prob).toBeGreaterThanOrEqual(0);
    const energy = (
      await app.inject({
        url: `/api/v1/buildings/home-b/energy?start=${start}&end=${start + 600 * minute}`,
        headers: auth('alice'),
      })
    ).json();
    expect(energy.periods).toHaveLength(1);
    const total = Array.from(excerpt.mains.subarray(0, 600)).reduce((a, b) => a + b, 0) / 60 / 1000;
    expect(energy.periods[0].total_kwh).toBeCloseTo(total, 3);
    expect(energy.periods[0].coverage).toBeCloseTo(600 / 1440, 6);
    expect(energy.periods[0].estimate_coverage).toBe(1);
    expect(energy.periods[0].pending_kwh).toBe(0);
    // period=span: one period exactly as asked (Compare's like-for-like windows), not the day.
    const from = new Date(start + 300 * minute).toISOString();
    const to = new Date(start + 700 * minute).toISOString();
    const spanned = (
      await app.inject({
        url: `/api/v1/buildings/home-b/energy?start=${from}&end=${to}&period=span`,
        headers: auth('alice'),
      })
    ).json();
    expect(spanned.period).toBe('span');
    expect(spanned.periods).toHaveLength(1);
    expect([spanned.periods[0].start, spanned.periods[0].end]).toEqual([from, to]);
    const lastFive = Array.from(excerpt.mains.subarray(300, 600)).reduce((a, b) => a + b, 0);
    expect(spanned.periods[0].total_kwh).toBeCloseTo(lastFive / 60 / 1000, 3);
    expect(spanned.periods[0].coverage).toBeCloseTo(300 / 400, 6);
    const csv = await app.inject({
      url: `/api/v1/buildings/home-b/readings.csv?start=${start}&end=${start + 120 * minute}&resolution=1m`,
      headers: auth('alice'),
    });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe(
      'time,mains_w,kettle_w,kettle_on_prob,washing_machine_w,washing_machine_on_prob',
    );
    expect(lines).toHaveLength(121);
    expect(lines[1]!.split(',')[1]).toBe(excerpt.mains[0]!.toFixed(1));
    expect(
      (
        await app.inject({
          url: `/api/v1/buildings/home-b/readings?start=yesterday`,
          headers: auth('alice'),
        })
      ).json().error.code,
    ).toBe('VALIDATION_TIME');
  });

  it("lists the building's appliances with the model's thresholds", async () => {
    const r = await app.inject({
      url: '/api/v1/buildings/home-b/appliances',
      headers: auth('alice'),
    });
    expect(r.json()).toMatchObject({
      model: 'tiny@1',
      appliances: [
        {
          name: 'kettle',
          label: 'Kettle',
          enabled: true,
          on_threshold_w: 1000,
          on_prob_threshold: 0.5,
        },
        { name: 'washing_machine', on_threshold_w: 20, on_prob_threshold: 0.5 },
      ],
    });
  });

  it("finds an appliance's runs minute by minute at the model's threshold", async () => {
    const t = Date.UTC(2025, 2, 1);
    // Kettle (threshold 0.5): on at minutes 1-2 (0.5 counts), off at 3, no estimate at 4, on at
    // 5-6, no estimate at 7, on at 8 until the range ends. The washing machine is on throughout
    // and must not leak into the kettle's runs.
    const kettle: Array<[number, number, number]> = [
      [0, 0, 0.1],
      [1, 2000, 0.5],
      [2, 3000, 0.9],
      [3, 10, 0.2],
      [5, 2400, 0.8],
      [6, 2400, 0.7],
      [8, 1800, 0.9],
    ];
    await parts.timeseries.writeEstimates('home-a', 'tiny@1', [
      ...kettle.map(([m, powerW, onProb]) => ({
        ts: t + m * minute,
        appliance: 'kettle',
        powerW,
        onProb,
      })),
      ...Array.from({ length: 9 }, (_, m) => ({
        ts: t + m * minute,
        appliance: 'washing_machine',
        powerW: 500,
        onProb: 1,
      })),
    ]);
    const url = (name: string, start: string | number, end: string | number) =>
      `/api/v1/buildings/home-a/appliances/${name}/runs?start=${start}&end=${end}`;
    const r = await app.inject({ url: url('kettle', t, t + 9 * minute), headers: auth('vera') });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({
      building_id: 'home-a',
      appliance: 'kettle',
      start: '2025-03-01T00:00:00.000Z',
      end: '2025-03-01T00:09:00.000Z',
      threshold: 0.5,
      count: 3,
      typical_minutes: 2,
      limit: 5000,
      truncated: false,
    });
    expect(body.runs).toHaveLength(3);
    expect(body.runs[0]).toMatchObject({
      start: '2025-03-01T00:01:00.000Z',
      end: '2025-03-01T00:03:00.000Z',
      minutes: 2,
      peak_w: 3000,
    });
    expect(body.runs[0].energy_kwh).toBeCloseTo(5000 / 60 / 1000, 9);
    expect(body.runs[1]).toMatchObject({
      start: '2025-03-01T00:05:00.000Z',
      end: '2025-03-01T00:07:00.000Z',
      minutes: 2,
      peak_w: 2400,
    });
    expect(body.runs[1].energy_kwh).toBeCloseTo(0.08, 9);
    expect(body.runs[2]).toMatchObject({ start: '2025-03-01T00:08:00.000Z', minutes: 1 });
    expect(body.runs[2].energy_kwh).toBeCloseTo(0.03, 9);
    expect(body.mean_energy_kwh).toBeCloseTo((5000 / 60 / 1000 + 0.08 + 0.03) / 3, 9);
    // A range that opens mid-run cuts the run at its start.
    const cut = (
      await app.inject({
        url: url('kettle', new Date(t + 2 * minute).toISOString(), t + 4 * minute),
        headers: auth('alice'),
      })
    ).json();
    expect(cut.runs).toEqual([
      {
        start: '2025-03-01T00:02:00.000Z',
        end: '2025-03-01T00:03:00.000Z',
        minutes: 1,
        energy_kwh: 0.05,
        peak_w: 3000,
      },
    ]);
    const quiet = (
      await app.inject({ url: url('kettle', t - 60 * minute, t), headers: auth('alice') })
    ).json();
    expect(quiet).toMatchObject({ count: 0, runs: [], typical_minutes: null });
    expect(quiet.mean_energy_kwh).toBeNull();
  });

  it('answers 404 for a building you cannot see or an appliance its model lacks', async () => {
    const notMine = await app.inject({
      url: '/api/v1/buildings/home-a/appliances/kettle/runs?start=-24h',
      headers: auth('bob'),
    });
    expect(notMine.statusCode).toBe(404);
    expect(notMine.json().error.code).toBe('BUILDING_NOT_FOUND');
    const unknown = await app.inject({
      url: '/api/v1/buildings/home-a/appliances/toaster/runs?start=-24h',
      headers: auth('alice'),
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({
      code: 'NOT_FOUND',
      details: { appliance: 'toaster' },
    });
    expect(unknown.json().error.message).toMatch(/tiny@1 .* does not estimate "toaster"/);
  });

  it('refuses runs over more than 31 days with a 422 that says to shorten the range', async () => {
    const r = await app.inject({
      url: '/api/v1/buildings/home-a/appliances/kettle/runs?start=-32d',
      headers: auth('alice'),
    });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('VALIDATION_TIME');
    expect(r.json().error.message).toMatch(/at most 31 days.*shorter range/);
    expect(
      (
        await app.inject({
          url: '/api/v1/buildings/home-a/appliances/kettle/runs?start=-31d',
          headers: auth('alice'),
        })
      ).statusCode,
    ).toBe(200);
  });

  it('runs /infer on one window and refuses a wrong length', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/infer',
      headers: auth('alice'),
      payload: { window: [1, 2, 3] },
    });
    expect(wrong.json().error.code).toBe('VALIDATION_WINDOW');
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/infer',
      headers: auth('alice'),
      payload: { window: Array.from({ length: 32 }, (_, i) => 200 + (i % 5) * 500) },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().model).toBe('tiny@1');
    expect(r.json().appliances.kettle.power_w).toHaveLength(32);
  });

  it('lists models and lets only admins switch', async () => {
    const list = (await app.inject({ url: '/api/v1/models', headers: auth('alice') })).json();
    expect(list.active).toBe('tiny@1');
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/admin/models/activate',
          headers: auth('alice'),
          payload: { ref: 'tiny@1' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/admin/models/activate',
          headers: auth('admin'),
          payload: { ref: 'nope@9' },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/admin/models/reload',
          headers: auth('admin'),
        })
      ).json(),
    ).toMatchObject({ models: 1, active: 'tiny@1' });
  });
});

describe('members by e-mail, local accounts and ingest details', () => {
  const addMember = (who: string, payload: object, building = 'home-a') =>
    app.inject({
      method: 'POST',
      url: `/api/v1/buildings/${building}/members`,
      headers: auth(who),
      payload,
    });

  it('adds a member by e-mail (any case) or user_id; refuses both, neither and unknown e-mails', async () => {
    const r = await addMember('alice', { email: 'BOB@Test', role: 'member' });
    expect(r.statusCode).toBe(201);
    expect(r.json().members).toContainEqual({ user_id: 'bob', email: 'bob@test', role: 'member' });
    const both = await addMember('alice', { user_id: 'bob', email: 'bob@test', role: 'viewer' });
    expect(both.statusCode).toBe(422);
    expect(both.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'give exactly one of "user_id" or "email" to name the account to add',
    });
    expect((await addMember('alice', { role: 'viewer' })).json().error.message).toMatch(
      /exactly one of "user_id" or "email"/,
    );
    const unknown = await addMember('alice', { email: 'nobody@test', role: 'viewer' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.message).toBe(
      'no account with e-mail "nobody@test" exists; an admin can create it first (Buildings & users, or POST /api/v1/admin/users), then add it here',
    );
    expect((await addMember('alice', { user_id: 'ghost', role: 'viewer' })).statusCode).toBe(422);
    expect((await addMember('alice', { email: 'bob@test', role: 'king' })).statusCode).toBe(422);
    // Viewers may not manage members; people without a relation do not see the building.
    expect((await addMember('vera', { email: 'bob@test', role: 'owner' })).statusCode).toBe(403);
    expect(
      (await addMember('bob', { email: 'bob@test', role: 'owner' }, 'home-b')).statusCode,
    ).toBe(404);
    const removed = await app.inject({
      method: 'DELETE',
      url: '/api/v1/buildings/home-a/members/bob',
      headers: auth('alice'),
    });
    expect(removed.statusCode).toBe(204);
    expect(
      (await app.inject({ url: '/api/v1/buildings/home-a', headers: auth('bob') })).statusCode,
    ).toBe(404);
  });

  it('lets admins create local accounts (a generated password shown once) and list them', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers: auth('admin'),
      payload: { email: 'carol@example.org' },
    });
    expect(created.statusCode).toBe(201);
    const { user, generated_password } = created.json();
    expect(user).toMatchObject({
      email: 'carol@example.org',
      role: 'user',
      id: expect.any(String),
    });
    expect(generated_password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'carol@example.org', password: generated_password },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().user).toEqual({ id: user.id, email: 'carol@example.org', role: 'user' });

    const chosen = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers: auth('admin'),
      payload: { email: 'dan@example.org', role: 'admin', password: 'correct horse battery' },
    });
    expect(chosen.statusCode).toBe(201);
    expect(chosen.json()).not.toHaveProperty('generated_password');
    expect(chosen.json().user.role).toBe('admin');

    const list = await app.inject({ url: '/api/v1/admin/users', headers: auth('admin') });
    expect(list.statusCode).toBe(200);
    const users = list.json().users as Array<Record<string, unknown>>;
    expect(users.map((u) => u.email)).toEqual(
      expect.arrayContaining(['admin@test', 'alice@test', 'carol@example.org', 'dan@example.org']),
    );
    expect(Object.keys(users[0]!).sort()).toEqual(['created_at', 'email', 'id', 'role']);
    expect(list.body).not.toMatch(/scrypt|password/);

    // The new account can now be added to a building by its e-mail.
    const added = await addMember('alice', { email: 'carol@example.org', role: 'viewer' });
    expect(added.json().members).toContainEqual({
      user_id: user.id,
      email: 'carol@example.org',
      role: 'viewer',
    });
  });

  it('refuses accounts to non-admins, duplicates with 409 and bad input with 422', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const r = await app.inject({
        method,
        url: '/api/v1/admin/users',
        headers: auth('alice'),
        ...(method === 'POST' ? { payload: { email: 'eve@example.org' } } : {}),
      });
      expect(r.statusCode).toBe(403);
      expect(r.json().error.code).toBe('AUTHZ_FORBIDDEN');
    }
    expect((await app.inject({ url: '/api/v1/admin/users' })).statusCode).toBe(401);
    const post = (payload: object) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/admin/users',
        headers: auth('admin'),
        payload,
      });
    const dup = await post({ email: 'CAROL@Example.org' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toMatchObject({
      code: 'CONFLICT',
      message:
        'an account with e-mail "CAROL@Example.org" already exists; add it to buildings instead',
    });
    const notEmail = await post({ email: 'not-an-email' });
    expect(notEmail.statusCode).toBe(422);
    expect(notEmail.json().error.message).toBe('body/email must match format "email"');
    const short = await post({ email: 'frank@example.org', password: 'short' });
    expect(short.statusCode).toBe(422);
    expect(short.json().error.message).toMatch(/^body\/password must NOT have fewer than 8/);
    expect((await post({ email: 'frank@example.org', role: 'root' })).statusCode).toBe(422);
    expect(
      (await app.inject({ url: '/api/v1/admin/users', headers: auth('admin') })).body,
    ).not.toContain('frank@example.org');
  });

  it('tells a signed-in user how a meter sends readings, and devices nothing', async () => {
    const r = await app.inject({ url: '/api/v1/ingest/info', headers: auth('vera') });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      http: {
        method: 'POST',
        path: '/api/v1/ingest',
        token_header: 'X-Ingest-Token',
        max_readings: 10_000,
      },
      mqtt: {
        enabled: false,
        broker: null,
        url: null,
        host: null,
        port: null,
        tls: false,
        websocket: false,
        topic_pattern: 'nilm/+/power',
        auth: null,
        loopback_only: false,
        max_readings_per_message: 10_000,
      },
    });
    expect((await app.inject({ url: '/api/v1/ingest/info' })).statusCode).toBe(401);
    const token = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/buildings/home-a/tokens',
        headers: auth('alice'),
        payload: { name: 'info-meter' },
      })
    ).json().token;
    const device = await app.inject({
      url: '/api/v1/ingest/info',
      headers: { 'x-ingest-token': token },
    });
    expect(device.statusCode).toBe(403);
  });

  it('with external auth: no local accounts, members by user_id, the external broker without its credentials', async () => {
    const secret = 'an-hs256-secret-that-is-long-enough-0123456789';
    const s = await setup({
      AUTH_HS256_SECRET: secret,
      MQTT_URL: 'mqtt://svc:broker-pass@broker.example:1883',
      MQTT_TOPIC: 'meters/+/watts',
    });
    await s.parts.metadata.upsertUser({
      id: 'ext-admin',
      email: 'root@idp.example',
      role: 'admin',
      passwordHash: null,
    });
    const jwt = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ext-admin')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const headers = { authorization: `Bearer ${jwt}` };
    const users = await s.app.inject({ url: '/api/v1/admin/users', headers });
    expect(users.statusCode).toBe(404);
    expect(users.json().error.message).toMatch(
      /^local accounts are off: this server uses external auth/,
    );
    const create = await s.app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers,
      payload: { email: 'x@idp.example' },
    });
    expect(create.statusCode).toBe(404);
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers,
      payload: { id: 'ext-home', name: 'Ext' },
    });
    const byEmail = await s.app.inject({
      method: 'POST',
      url: '/api/v1/buildings/ext-home/members',
      headers,
      payload: { email: 'someone@idp.example', role: 'member' },
    });
    expect(byEmail.statusCode).toBe(422);
    expect(byEmail.json().error.message).toMatch(/add the person by "user_id"/);
    const info = await s.app.inject({ url: '/api/v1/ingest/info', headers });
    expect(info.json().mqtt).toMatchObject({
      enabled: true,
      broker: 'external',
      url: 'mqtt://broker.example:1883',
      host: 'broker.example',
      port: 1883,
      topic_pattern: 'meters/+/watts',
      auth: 'payload',
    });
    expect(info.body).not.toMatch(/broker-pass|svc/);
    await s.app.close();
    await s.parts.close();
  });

  it('reports MQTT_PUBLIC_URL as the broker address devices should use', async () => {
    const s = await setup({
      HOST: '0.0.0.0',
      MQTT_EMBEDDED_PORT: '1884',
      MQTT_PUBLIC_URL: 'mqtts://energy.example.org:8883',
    });
    try {
      await s.parts.metadata.upsertUser({ id: 'u', email: null, role: 'user', passwordHash: null });
      const t = (await s.parts.issuer!.sign({ sub: 'u', role: 'user' })).token;
      const r = await s.app.inject({
        url: '/api/v1/ingest/info',
        headers: { authorization: `Bearer ${t}`, host: '10.0.0.5:8080' },
      });
      expect(r.statusCode).toBe(200);
      expect(r.json().mqtt).toMatchObject({
        enabled: true,
        broker: 'embedded',
        url: 'mqtts://energy.example.org:8883',
        host: 'energy.example.org',
        port: 8883,
        tls: true,
        auth: 'broker_login',
        loopback_only: false,
      });
    } finally {
      await s.app.close();
      await s.parts.close();
    }
  });
});

describe('building owners', () => {
  const members = (who: string, building = 'home-c') =>
    app.inject({ url: `/api/v1/buildings/${building}/members`, headers: auth(who) });
  const setRole = (who: string, payload: object, building = 'home-c') =>
    app.inject({
      method: 'POST',
      url: `/api/v1/buildings/${building}/members`,
      headers: auth(who),
      payload,
    });
  const remove = (who: string, userId: string, building = 'home-c') =>
    app.inject({
      method: 'DELETE',
      url: `/api/v1/buildings/${building}/members/${userId}`,
      headers: auth(who),
    });
  const lastOwner = (userId: string) => ({
    code: 'CONFLICT',
    message: `user "${userId}" is the building's last owner; make someone else owner first`,
    details: { building_id: 'home-c', user_id: userId },
  });

  it('refuses to demote or remove the last owner, also for a platform admin, and changes nothing', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers: auth('admin'),
      payload: { id: 'home-c', name: 'C', owner_id: 'alice' },
    });
    expect(created.statusCode).toBe(201);
    const before = (await members('alice')).json();
    expect(before.members).toEqual([{ user_id: 'alice', email: 'alice@test', role: 'owner' }]);

    for (const r of [
      await setRole('alice', { user_id: 'alice', role: 'member' }),
      await setRole('alice', { email: 'ALICE@test', role: 'viewer' }),
      await remove('alice', 'alice'),
      // The admin is no member, so does not count as an owner either.
      await setRole('admin', { user_id: 'alice', role: 'viewer' }),
      await remove('admin', 'alice'),
    ]) {
      expect(r.statusCode).toBe(409);
      expect(r.json().error).toEqual(lastOwner('alice'));
    }
    expect((await members('alice')).json()).toEqual(before);
    // Re-stating the owner's own role is no demotion.
    expect((await setRole('alice', { user_id: 'alice', role: 'owner' })).statusCode).toBe(201);
  });

  it('lets an owner step down once someone else is owner, who is then the last one', async () => {
    expect((await setRole('alice', { email: 'bob@test', role: 'owner' })).statusCode).toBe(201);
    const down = await setRole('alice', { user_id: 'alice', role: 'viewer' });
    expect(down.statusCode).toBe(201);
    expect(down.json().members).toEqual([
      { user_id: 'alice', email: 'alice@test', role: 'viewer' },
      { user_id: 'bob', email: 'bob@test', role: 'owner' },
    ]);
    // Alice, now a viewer, may no longer manage members at all.
    expect((await remove('alice', 'bob')).statusCode).toBe(403);
    const bobLeaves = await remove('bob', 'bob');
    expect(bobLeaves.statusCode).toBe(409);
    expect(bobLeaves.json().error).toEqual(lastOwner('bob'));
    expect((await remove('bob', 'alice')).statusCode).toBe(204);
    expect((await members('bob')).json().members).toEqual([
      { user_id: 'bob', email: 'bob@test', role: 'owner' },
    ]);
  });

  it('lets exactly one of two owners stepping down at the same moment through', async () => {
    expect((await setRole('bob', { user_id: 'alice', role: 'owner' })).statusCode).toBe(201);
    const [a, b] = await Promise.all([
      setRole('alice', { user_id: 'alice', role: 'member' }),
      remove('bob', 'bob'),
    ]);
    // One succeeds (201 for the demotion, 204 for the removal); the other is refused.
    expect([a.statusCode === 201, b.statusCode === 204].filter(Boolean)).toHaveLength(1);
    expect([a, b].filter((r) => r.statusCode === 409)).toHaveLength(1);
    const owners = (await members('admin'))
      .json()
      .members.filter((m: { role: string }) => m.role === 'owner');
    expect(owners).toHaveLength(1);
  });
});

describe("external users' e-mail", () => {
  it('is remembered from the token at /auth/me, so an owner can then add them by e-mail', async () => {
    const secret = 'an-hs256-secret-that-is-long-enough-0123456789';
    const s = await setup({ AUTH_HS256_SECRET: secret });
    const sign = (sub: string, claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret));
    const me = async (sub: string, claims: Record<string, unknown>) =>
      s.app.inject({
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${await sign(sub, claims)}` },
      });
    const admin = { authorization: `Bearer ${await sign('ext-admin', { role: 'admin' })}` };
    const owner = {
      authorization: `Bearer ${await sign('ext-owner', { email: 'owner@idp.example' })}`,
    };
    const addByEmail = (email: string) =>
      s.app.inject({
        method: 'POST',
        url: '/api/v1/buildings/ext-home/members',
        headers: owner,
        payload: { email, role: 'viewer' },
      });
    try {
      // The owner is known once signed in, so an admin can name them as owner.
      expect((await s.app.inject({ url: '/api/v1/auth/me', headers: owner })).statusCode).toBe(200);
      expect(await s.parts.metadata.getUser('ext-owner')).toMatchObject({
        email: 'owner@idp.example',
        role: 'user',
        passwordHash: null,
      });
      const created = await s.app.inject({
        method: 'POST',
        url: '/api/v1/buildings',
        headers: admin,
        payload: { id: 'ext-home', name: 'Ext', owner_id: 'ext-owner' },
      });
      expect(created.statusCode).toBe(201);

      const unknown = await addByEmail('newbie@idp.example');
      expect(unknown.statusCode).toBe(422);
      expect(unknown.json().error.message).toMatch(/ask them to sign in once/);

      const r = await me('ext-newbie', { email: 'Newbie@IdP.example' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ id: 'ext-newbie', email: 'Newbie@IdP.example', role: 'user' });
      const added = await addByEmail('newbie@idp.example');
      expect(added.statusCode).toBe(201);
      expect(added.json().members).toContainEqual({
        user_id: 'ext-newbie',
        email: 'Newbie@IdP.example',
        role: 'viewer',
      });

      // A changed address replaces the old one; the stored role stays as it was.
      await me('ext-newbie', { email: 'newbie@new.example', app_metadata: { role: 'admin' } });
      expect(await s.parts.metadata.getUser('ext-newbie')).toMatchObject({
        email: 'newbie@new.example',
        role: 'user',
      });
      expect((await addByEmail('newbie@idp.example')).statusCode).toBe(422);

      // Someone added by user_id before signing in gets their address on first sign-in.
      await s.app.inject({
        method: 'POST',
        url: '/api/v1/buildings/ext-home/members',
        headers: owner,
        payload: { user_id: 'ext-later', role: 'member' },
      });
      expect((await s.parts.metadata.getUser('ext-later'))?.email).toBeNull();
      await me('ext-later', { email: 'later@idp.example' });
      expect((await s.parts.metadata.getUser('ext-later'))?.email).toBe('later@idp.example');

      // Not recorded: an address the token marks unverified, or one another user holds
      // (that user keeps it, and the caller is still answered). The user is recorded without
      // one, as every external user is on their first request (issue 12.5).
      await me('ext-unverified', { email: 'unverified@idp.example', email_verified: false });
      expect((await s.parts.metadata.getUser('ext-unverified'))?.email).toBeNull();
      const taken = await me('ext-impostor', { email: 'OWNER@idp.example' });
      expect(taken.statusCode).toBe(200);
      expect((await s.parts.metadata.getUser('ext-impostor'))?.email).toBeNull();
      expect((await s.parts.metadata.getUserByEmail('owner@idp.example'))?.id).toBe('ext-owner');
    } finally {
      await s.app.close();
      await s.parts.close();
    }
  });

  it('is never taken from the token of a local account', async () => {
    const t = (await parts.issuer!.sign({ sub: 'vera', email: 'vera-new@test', role: 'user' }))
      .token;
    const r = await app.inject({
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${t}` },
    });
    expect(r.json()).toEqual({ id: 'vera', email: 'vera-new@test', role: 'user' });
    expect((await parts.metadata.getUser('vera'))?.email).toBe('vera@test');
  });
});

describe('building tariff (GET/PUT /api/v1/buildings/{id}/tariff)', () => {
  const url = (id: string) => `/api/v1/buildings/${id}/tariff`;
  const put = (who: string, id: string, payload: object) =>
    app.inject({ method: 'PUT', url: url(id), headers: auth(who), payload });
  // What a tariff set without them answers: no standing charge, no export price, no dynamic prices.
  const extras = { standing_charge_per_day: 0, export_price_per_kwh: 0, dynamic: null };
  const tou = {
    currency: 'EUR',
    price_per_kwh: 0.31,
    bands: [
      { name: 'Night', start: '22:00', end: '07:00', price_per_kwh: 0.12 },
      { name: 'Peak', start: '16:00', end: '19:00', price_per_kwh: 0.45 },
    ],
  };

  it('answers the default (GBP 0.25/kWh, no bands) for a building that never set one', async () => {
    const r = await app.inject({ url: url('home-b'), headers: auth('admin') });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      building_id: 'home-b',
      currency: 'GBP',
      price_per_kwh: 0.25,
      bands: [],
      ...extras,
      is_default: true,
    });
  });

  it('an owner sets it; every member then reads the same tariff', async () => {
    const saved = await put('alice', 'home-a', tou);
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toEqual({ building_id: 'home-a', ...tou, ...extras, is_default: false });
    for (const who of ['alice', 'vera', 'admin']) {
      const r = await app.inject({ url: url('home-a'), headers: auth(who) });
      expect(r.json()).toEqual({ building_id: 'home-a', ...tou, ...extras, is_default: false });
    }
    // A platform admin may change it too, and a PUT replaces the whole tariff.
    const flat = { currency: 'GBP', price_per_kwh: 0, bands: [] };
    expect((await put('admin', 'home-a', flat)).json()).toEqual({
      building_id: 'home-a',
      ...flat,
      ...extras,
      is_default: false,
    });
    await put('alice', 'home-a', tou);
  });

  it('a viewer may read but not change it (403); a non-member gets 404 either way', async () => {
    const denied = await put('vera', 'home-a', { ...tou, price_per_kwh: 9 });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('AUTHZ_FORBIDDEN');
    expect((await app.inject({ url: url('home-a'), headers: auth('bob') })).statusCode).toBe(404);
    expect((await put('bob', 'home-a', tou)).statusCode).toBe(404);
    expect((await put('alice', 'nowhere', tou)).statusCode).toBe(404);
    expect((await app.inject({ url: url('home-a') })).statusCode).toBe(401);
    // Nothing changed.
    const r = await app.inject({ url: url('home-a'), headers: auth('alice') });
    expect(r.json().price_per_kwh).toBe(0.31);
  });

  it.each([
    ['a lower-case currency', { ...tou, currency: 'eur' }, /currency/],
    ['a currency of four letters', { ...tou, currency: 'EURO' }, /currency/],
    ['a negative price', { ...tou, price_per_kwh: -0.1 }, /price_per_kwh/],
    ['a price over 100 per kWh', { ...tou, price_per_kwh: 100.5 }, /price_per_kwh/],
    [
      'a band price over 100',
      { ...tou, bands: [{ ...tou.bands[0], price_per_kwh: 101 }] },
      /bands\/0\/price_per_kwh/,
    ],
    ['a band time of 24:00', { ...tou, bands: [{ ...tou.bands[0], end: '24:00' }] }, /end/],
    [
      'a band time without a leading zero',
      { ...tou, bands: [{ ...tou.bands[0], start: '7:00' }] },
      /start/,
    ],
    ['a band without a name', { ...tou, bands: [{ ...tou.bands[0], name: '' }] }, /name/],
    [
      'more than 24 bands',
      {
        ...tou,
        bands: Array.from({ length: 25 }, (_, h) => ({
          name: `H${h}`,
          start: '00:00',
          end: '00:01',
          price_per_kwh: 0.1,
        })),
      },
      /bands/,
    ],
    ['a missing currency', { price_per_kwh: 0.2, bands: [] }, /currency/],
    ['an unknown field', { ...tou, standing_charge: 0.5 }, /additional/],
    [
      'bands that overlap across midnight',
      {
        ...tou,
        bands: [tou.bands[0], { name: 'Early', start: '06:30', end: '08:00', price_per_kwh: 0.2 }],
      },
      /bands "Night" \(22:00-07:00\) and "Early" \(06:30-08:00\) overlap/,
    ],
    [
      'a whole-day band (end equal to start) beside another',
      {
        ...tou,
        bands: [
          { name: 'All day', start: '09:00', end: '09:00', price_per_kwh: 0.2 },
          tou.bands[1],
        ],
      },
      /bands "All day" \(09:00-09:00\) and "Peak" \(16:00-19:00\) overlap/,
    ],
  ])('refuses %s with 422 and keeps the tariff', async (_, payload, message) => {
    const r = await put('alice', 'home-a', payload);
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('VALIDATION_FAILED');
    expect(r.json().error.message).toMatch(message);
    const now = await app.inject({ url: url('home-a'), headers: auth('alice') });
    expect(now.json()).toEqual({ building_id: 'home-a', ...tou, ...extras, is_default: false });
  });

  it('accepts bands that touch (one ends where the next starts) and a lone whole-day band', async () => {
    const touching = {
      currency: 'GBP',
      price_per_kwh: 0.3,
      bands: [
        { name: 'Night', start: '23:00', end: '07:00', price_per_kwh: 0.1 },
        { name: 'Day', start: '07:00', end: '23:00', price_per_kwh: 0.3 },
      ],
    };
    expect((await put('alice', 'home-a', touching)).statusCode).toBe(200);
    const whole = {
      currency: 'GBP',
      price_per_kwh: 0.3,
      bands: [{ name: 'All day', start: '00:00', end: '00:00', price_per_kwh: 0.2 }],
    };
    expect((await put('alice', 'home-a', whole)).statusCode).toBe(200);
    await put('alice', 'home-a', tou);
  });
});

describe('web app', () => {
  it('serves the built app, index.html for its routes, and JSON 404s for API paths', async () => {
    const web = mkdtempSync(join(tmp, 'web-'));
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>NILM</title>');
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
    const s = await setup({ NILM_WEB_DIR: web });
    expect((await s.app.inject('/')).body).toContain('<title>NILM</title>');
    const route = await s.app.inject('/b/demo-home?range=24h');
    expect(route.headers['content-type']).toMatch(/text\/html/);
    expect(route.body).toContain('<title>NILM</title>');
    expect((await s.app.inject('/assets/app.js')).body).toBe('console.log(1)');
    const api = await s.app.inject('/api/v1/nope');
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('NOT_FOUND');
    await s.app.close();
    await s.parts.close();
  });
});

describe('live updates', () => {
  it('streams new readings as server-sent events', async () => {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const res = await fetch(`${url}/api/v1/buildings/home-a/live`, {
      headers: auth('alice'),
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const ts = Date.now() - 30_000;
    await app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: auth('alice'),
      payload: { building_id: 'home-a', readings: [{ ts, power_w: 1234.5 }] },
    });
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('1234.5') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toMatch(
      /event: reading\ndata: \{"type":"reading","building_id":"home-a","time":"[^"]+","power_w":1234.5\}/,
    );
  });
});

describe('limits and outages', () => {
  it('answers 413 for a body over the limit and 429 past the rate limit', async () => {
    const small = await setup({ MAX_BODY_BYTES: '2048', RATE_LIMIT_PER_IP: '3' });
    const big = await small.app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        building_id: 'x',
        readings: Array(500).fill({ ts: base, power_w: 1 }),
      }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('BODY_TOO_LARGE');
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await small.app.inject('/api/v1/models')).statusCode);
    expect(codes.slice(0, 2)).toEqual([401, 401]);
    expect(codes[4]).toBe(429);
    await small.app.close();
    await small.parts.close();
  });

  it('answers 503 with Retry-After and stores nothing while the time-series store is down', async () => {
    const s = await setup();
    await s.parts.metadata.upsertUser({
      id: 'admin',
      email: 'a@b',
      role: 'admin',
      passwordHash: null,
    });
    const t = (await s.parts.issuer!.sign({ sub: 'admin', role: 'admin' })).token;
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers: { authorization: `Bearer ${t}` },
      payload: { id: 'h', name: 'h' },
    });
    await s.parts.timeseries.close();
    const r = await s.app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { authorization: `Bearer ${t}` },
      payload: { building_id: 'h', readings: [{ ts: base, power_w: 1 }] },
    });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.json().error.code).toBe('STORE_UNAVAILABLE');
    expect((await s.app.inject('/ready')).statusCode).toBe(503);
    await s.app.close();
    await s.parts.close();
  });
});
