// Proves the history import on embedded real parts (PGlite, DuckDB, in-process queue): the
// bundled REFIT excerpt is stored with its own 2014 timestamps and values and queued for
// estimating; a file with one bad line is refused whole (422 naming the line), with nothing
// stored; time,power files in kW; who may import; media types and the body limit; a store failure
// part-way answers 503 and sending the same file again completes it without doubling anything.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IMPORT_MAX_FUTURE_MS, IMPORT_MAX_POWER_W, IMPORT_MIN_TIME_MS } from '@nilm/contracts';
import { StoreUnavailableError } from '@nilm/stores';
import { build } from '../app.js';
import { loadConfig } from '../config.js';
import { createParts, type Parts } from '../app.deps.js';
import { seedMetadata, tinyModelRegistry } from '../services.fixture.js';
import { MAX_FUTURE_MS, MAX_POWER_W, MIN_TIME_MS } from '../services/ingest.service.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const EXCERPT = gunzipSync(
  readFileSync(join(ROOT, 'data/REFIT_House20_2014-09-03_14d.csv.gz')),
).toString('utf8');
const FIRST = Date.UTC(2014, 8, 3);
const LAST = Date.UTC(2014, 8, 16, 23, 59);
const tmp = mkdtempSync(join(tmpdir(), 'nilm-import-'));
const opened: Array<{ app: FastifyInstance; parts: Parts }> = [];
let parts: Parts;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
let deviceToken = '';

async function setup(
  env: Record<string, string> = {},
): Promise<{ parts: Parts; app: FastifyInstance }> {
  const dir = mkdtempSync(join(tmp, 'run-'));
  const config = loadConfig(
    {
      NILM_WEB_DIR: join(dir, 'no-web-build'),
      NILM_DATA_DIR: join(dir, 'data'),
      NILM_MODELS_DIR: await tinyModelRegistry(dir),
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      ...env,
    },
    ROOT,
  );
  seedMetadata(config.dataDir);
  const p = await createParts(config);
  const a = await build(p);
  opened.push({ app: a, parts: p });
  return { parts: p, app: a };
}

const auth = (who: string): Record<string, string> => ({ authorization: `Bearer ${tokens[who]}` });

function post(
  building: string,
  body: string,
  query: string,
  headers: Record<string, string> = auth('alice'),
  to: FastifyInstance = app,
) {
  return to.inject({
    method: 'POST',
    url: `/api/v1/buildings/${building}/import?${query}`,
    headers: { 'content-type': 'text/csv', ...headers },
    payload: body,
  });
}

async function stored(building: string, p: Parts = parts) {
  return p.timeseries.readReadings(building, Date.UTC(2000, 0, 1), Date.now() + 3_600_000);
}

beforeAll(async () => {
  ({ parts, app } = await setup());
  for (const [id, role] of [
    ['admin', 'admin'],
    ['alice', 'user'],
    ['vera', 'user'],
    ['mo', 'user'],
  ] as const) {
    await parts.metadata.upsertUser({ id, email: `${id}@test`, role, passwordHash: null });
    tokens[id] = (await parts.issuer!.sign({ sub: id, email: `${id}@test`, role })).token;
  }
  for (const id of ['house20', 'bad', 'kw', 'flaky', 'other'])
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/buildings',
          headers: auth('admin'),
          payload: { id, name: id, owner_id: 'alice' },
        })
      ).statusCode,
    ).toBe(201);
  for (const [user_id, role] of [
    ['vera', 'viewer'],
    ['mo', 'member'],
  ])
    await app.inject({
      method: 'POST',
      url: '/api/v1/buildings/kw/members',
      headers: auth('alice'),
      payload: { user_id, role },
    });
  const t = await app.inject({
    method: 'POST',
    url: '/api/v1/buildings/kw/tokens',
    headers: auth('alice'),
    payload: { name: 'meter' },
  });
  deviceToken = t.json().token;
}, 120_000);

afterAll(async () => {
  for (const o of opened) {
    await o.app.close();
    await o.parts.close();
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('POST /api/v1/buildings/{id}/import', () => {
  it('keeps the limits of the ingest service', () => {
    expect([IMPORT_MAX_POWER_W, IMPORT_MAX_FUTURE_MS, IMPORT_MIN_TIME_MS]).toEqual([
      MAX_POWER_W,
      MAX_FUTURE_MS,
      MIN_TIME_MS,
    ]);
  });

  it('stores the REFIT excerpt with its own 2014 timestamps and queues it for estimating', async () => {
    const r = await post('house20', EXCERPT, 'format=dataset');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      imported: 20160,
      start: '2014-09-03T00:00:00.000Z',
      end: '2014-09-16T23:59:00.000Z',
      skipped_missing: 0,
    });
    const readings = await stored('house20');
    expect(readings).toHaveLength(20160);
    expect(readings[0]).toEqual({ ts: FIRST, powerW: 117 });
    expect(readings[1]!.ts).toBe(FIRST + 60_000);
    expect(readings[1]!.powerW).toBeCloseTo(117.45833333333334, 9);
    expect(readings.at(-1)!.ts).toBe(LAST);
    // A line picked from the middle of the file, read back through the API at 1-minute resolution.
    const line = EXCERPT.split('\n')[10_001]!.split(',');
    const at = Date.parse(`${line[0]!.replace(' ', 'T')}Z`);
    const api = await app.inject({
      url: `/api/v1/buildings/house20/readings?start=${at}&end=${at + 60_000}&resolution=1m`,
      headers: auth('alice'),
    });
    expect(api.statusCode).toBe(200);
    expect(api.json().points[0]).toMatchObject({
      time: new Date(at).toISOString(),
      power_w: Math.round(Number(line[1]) * 10) / 10,
    });
    const backlog = await parts.metadata.backlogSummary('house20');
    expect(backlog.fromMs).toBe(FIRST);
    expect(backlog.toMs).toBe(LAST + 1);
  });

  it('imports the same file again without doubling anything', async () => {
    const r = await post('house20', EXCERPT, 'format=dataset');
    expect(r.json()).toMatchObject({ imported: 20160 });
    expect(await stored('house20')).toHaveLength(20160);
  });

  it('refuses a file with one bad line whole, naming the line and why, and stores nothing', async () => {
    const lines = EXCERPT.split('\n');
    lines[5000] = lines[5000]!.replace(/^([^,]+),[^,]+/, '$1,12.5.3');
    lines[7000] = lines[6998]!;
    const r = await post('bad', lines.join('\n'), 'format=dataset');
    expect(r.statusCode).toBe(422);
    expect(r.json().error).toMatchObject({
      code: 'VALIDATION_POWER',
      message: expect.stringMatching(
        /^line 5001: power "12\.5\.3" is not a number \(and 1 more bad line: 7001\); nothing was imported$/,
      ),
      details: {
        line: 5001,
        bad_lines: 2,
        problems: [
          { line: 5001, kind: 'power', reason: 'power "12.5.3" is not a number' },
          {
            line: 7001,
            kind: 'time',
            reason: expect.stringMatching(
              /^time 2014-09-07 20:37:00 .* earlier than line 7000's \(2014-09-07T20:38:00.000Z\)/,
            ),
          },
        ],
      },
    });
    expect(await stored('bad')).toHaveLength(0);
    const future = `time,power\n2026-01-01T00:00:00Z,100\n${new Date(Date.now() + 3_600_000).toISOString()},100\n`;
    const f = await post('bad', future, 'format=time-power');
    expect(f.statusCode).toBe(422);
    expect(f.json().error).toMatchObject({
      code: 'VALIDATION_TIME',
      message: expect.stringMatching(/^line 3: time .* is in the future/),
    });
    expect(await stored('bad')).toHaveLength(0);
  });

  it('imports time,power in kW for members and the building device token', async () => {
    const body =
      'time,power_kw\n2024-05-01T12:00:00+02:00,0.4315\n1714557660,2.5\n1714557720000,0\n';
    const r = await post('kw', body, 'format=time-power&unit=kW', auth('mo'));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      imported: 3,
      start: '2024-05-01T10:00:00.000Z',
      end: '2024-05-01T10:02:00.000Z',
      skipped_missing: 0,
    });
    expect(await stored('kw')).toEqual([
      { ts: Date.UTC(2024, 4, 1, 10, 0), powerW: 431.5 },
      { ts: Date.UTC(2024, 4, 1, 10, 1), powerW: 2500 },
      { ts: Date.UTC(2024, 4, 1, 10, 2), powerW: 0 },
    ]);
    const d = await post('kw', 'time,power\n1714557780,100\n', 'format=time-power', {
      'x-ingest-token': deviceToken,
    });
    expect(d.statusCode).toBe(200);
    expect(await stored('kw')).toHaveLength(4);
  });

  it('refuses viewers, strangers, other buildings, wrong media types and bad queries', async () => {
    const body = 'time,power\n1714557840,100\n';
    const cases: Array<
      [Promise<{ statusCode: number; json: () => { error: { code: string } } }>, number, string]
    > = [
      [post('kw', body, 'format=time-power', auth('vera')), 403, 'AUTHZ_FORBIDDEN'],
      [post('kw', body, 'format=time-power', {}), 401, 'AUTH_REQUIRED'],
      [
        post('other', body, 'format=time-power', { 'x-ingest-token': deviceToken }),
        404,
        'BUILDING_NOT_FOUND',
      ],
      [post('kw', body, 'format=csv'), 422, 'VALIDATION_FAILED'],
      [post('kw', body, ''), 422, 'VALIDATION_FAILED'],
      [post('kw', body, 'format=time-power&unit=MW'), 422, 'VALIDATION_FAILED'],
      [
        post('kw', body, 'format=time-power', {
          ...auth('alice'),
          'content-type': 'application/json',
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        post('kw', body, 'format=time-power', { ...auth('alice'), 'content-encoding': 'gzip' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ];
    for (const [pending, status, code] of cases) {
      const r = await pending;
      expect([r.statusCode, r.json().error.code]).toEqual([status, code]);
    }
    const plain = await post('kw', body, 'format=time-power', {
      ...auth('alice'),
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(plain.statusCode).toBe(200);
  });

  it('answers 413 naming IMPORT_MAX_BYTES for a file over the limit', async () => {
    const small = await setup({ IMPORT_MAX_BYTES: '2048' });
    await small.parts.metadata.upsertUser({
      id: 'admin',
      email: 'a@test',
      role: 'admin',
      passwordHash: null,
    });
    const token = (await small.parts.issuer!.sign({ sub: 'admin', email: 'a@test', role: 'admin' }))
      .token;
    await small.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers: { authorization: `Bearer ${token}` },
      payload: { id: 'tiny', name: 'tiny' },
    });
    const r = await post(
      'tiny',
      EXCERPT.slice(0, 4096),
      'format=dataset',
      { authorization: `Bearer ${token}` },
      small.app,
    );
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatchObject({
      code: 'BODY_TOO_LARGE',
      message: expect.stringMatching(/larger than 2048 bytes \(IMPORT_MAX_BYTES\)/),
    });
    const fits = await post(
      'tiny',
      EXCERPT.slice(0, 2000).replace(/\n[^\n]*$/, '\n'),
      'format=dataset',
      { authorization: `Bearer ${token}` },
      small.app,
    );
    expect(fits.statusCode).toBe(200);
  });

  it('answers 503 when the store fails part-way; the same file sent again completes it', async () => {
    const write = parts.timeseries.writeReadingsMany.bind(parts.timeseries);
    let calls = 0;
    const spy = vi.spyOn(parts.timeseries, 'writeReadingsMany').mockImplementation(async (b) => {
      if (++calls === 2) throw new StoreUnavailableError('duckdb', 'simulated outage');
      return write(b);
    });
    try {
      const r = await post('flaky', EXCERPT, 'format=dataset');
      expect(r.statusCode).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      expect(r.json().error).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        message: expect.stringMatching(
          /after 10000 of 20160 readings were stored; send the same file again/,
        ),
        details: { stored: 10000, readings: 20160 },
      });
      expect(await stored('flaky')).toHaveLength(10000);
      const again = await post('flaky', EXCERPT, 'format=dataset');
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ imported: 20160 });
    } finally {
      spy.mockRestore();
    }
    const readings = await stored('flaky');
    expect(readings).toHaveLength(20160);
    expect(readings).toEqual(await stored('house20'));
  });
});
