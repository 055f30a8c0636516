// Proves the labels API through app.inject on embedded parts: an owner adds a label (an alias is
// stored as its canonical appliance; a found device's owner-given name is accepted once named),
// members list it (by overlap and appliance) and download it as CSV (a note is quoted and never
// a spreadsheet formula); every refusal (unknown appliance, end not after start, longer than 7
// days, in the future, no readings in the span, an "on" over an "off" of the same appliance, a
// bad body) answers its code and changes nothing; only owners add and delete; the routes are in
// the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';

/** The app's clock: 2026-11-10 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 10, 12);
const H = 3_600_000;
const D = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApp;
let owner: Record<string, string>;
let member: Record<string, string>;

beforeAll(async () => {
  t = await openTestApp({}, { now: () => NOW });
  owner = await t.auth('admin');
  member = await t.auth('alice');
  await t.parts.metadata.setMember({ buildingId: 'home', userId: 'alice', role: 'member' });
  // A reading a minute over the last 9 days, except from 3 to 2 days ago.
  const readings = [];
  for (let ts = NOW - 9 * D; ts < NOW; ts += 60_000)
    if (ts < NOW - 3 * D || ts >= NOW - 2 * D) readings.push({ ts, powerW: 300 });
  await t.parts.timeseries.writeReadings('home', readings);
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const url = '/api/v1/buildings/home/labels';
const add = (body: object, headers = owner) =>
  t.app.inject({ method: 'POST', url, headers, payload: body });
const list = async (q = '', headers = member) =>
  (await t.app.inject({ url: `${url}${q}`, headers })).json() as {
    labels: Array<Record<string, unknown>>;
  };

describe('labels', () => {
  let washing = '';

  it('an owner adds a label; members list it by overlap and appliance', async () => {
    const res = await add({
      appliance: 'Washing machine',
      kind: 'on',
      start: iso(NOW - 5 * H),
      end: iso(NOW - 4 * H),
      note: ' 40 degrees ',
    });
    expect(res.statusCode).toBe(201);
    const label = res.json() as Record<string, unknown>;
    expect(label).toMatchObject({
      building_id: 'home',
      appliance: 'washing_machine',
      kind: 'on',
      start: iso(NOW - 5 * H),
      end: iso(NOW - 4 * H),
      note: '40 degrees',
      created_by: 'admin',
    });
    washing = String(label.id);
    const off = await add({ appliance: 'kettle', kind: 'off', start: '-1h', end: 'now' });
    expect(off.statusCode).toBe(201);
    expect(off.json()).toMatchObject({ start: iso(NOW - H), end: iso(NOW), note: null });

    expect((await list()).labels.map((l) => l.appliance)).toEqual(['washing_machine', 'kettle']);
    expect((await list('?appliance=kettle')).labels).toHaveLength(1);
    expect((await list(`?from=${iso(NOW - 4.5 * H)}&to=${iso(NOW - 2 * H)}`)).labels).toEqual([
      label,
    ]);
    expect((await list(`?from=${NOW - 4 * H}&to=${NOW - 2 * H}`)).labels).toEqual([]);
  });

  it('refuses each bad label with its code, naming what was wrong, and stores nothing', async () => {
    const before = await list();
    const span = { start: iso(NOW - 10 * H), end: iso(NOW - 9 * H) };
    const cases: Array<[object, number, string, RegExp]> = [
      [{ appliance: 'hot tub', kind: 'on', ...span }, 422, 'VALIDATION_FAILED', /kettle/],
      [
        { appliance: 'kettle', kind: 'on', start: span.end, end: span.start },
        422,
        'VALIDATION_TIME',
        /must be after start/,
      ],
      [
        { appliance: 'kettle', kind: 'on', start: iso(NOW - 8 * D), end: iso(NOW - H) },
        422,
        'VALIDATION_WINDOW',
        /at most 7 days/,
      ],
      [
        { appliance: 'kettle', kind: 'on', start: iso(NOW - H), end: iso(NOW + 2 * H) },
        422,
        'VALIDATION_TIME',
        /in the future/,
      ],
      [
        { appliance: 'kettle', kind: 'on', start: iso(NOW - 3 * D), end: iso(NOW - 2 * D) },
        422,
        'VALIDATION_FAILED',
        /no readings/,
      ],
      [
        { appliance: 'washer', kind: 'off', start: iso(NOW - 4.5 * H), end: iso(NOW - 3 * H) },
        409,
        'CONFLICT',
        new RegExp(`contradicts label ${washing}`),
      ],
      [{ appliance: 'kettle', kind: 'maybe', ...span }, 422, 'VALIDATION_FAILED', /kind/],
      [{ appliance: 'kettle', kind: 'on', ...span, colour: 'red' }, 422, 'VALIDATION_FAILED', /./],
      [
        { appliance: 'kettle', kind: 'on', start: 'soon', end: span.end },
        422,
        'VALIDATION_TIME',
        /start/,
      ],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await add(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      const error = (res.json() as { error: { code: string; message: string; details: unknown } })
        .error;
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      if (code === 'CONFLICT') expect(error.details).toMatchObject({ label_id: washing });
      if (message.source === 'no readings')
        expect(error.details).toEqual({ reason: 'no_readings' });
    }
    expect(await list()).toEqual(before);
  });

  it('takes the name an owner gave a found device as an appliance, and only once named', async () => {
    const { created } = await t.parts.metadata.recordDiscovery(
      'home',
      [
        {
          signature: { powerW: 450, runMinutes: 120, periodMinutes: null },
          stats: {
            runs: 3,
            runsPerDay: 1,
            energyPerMonthKWh: 27,
            hourProfile: Array.from({ length: 24 }, () => 0),
            examples: [],
            fromMs: NOW - 3 * D,
            toMs: NOW,
          },
        },
      ],
      { same: () => false, label: (n) => `Device ${String.fromCharCode(65 + n)}` },
    );
    const body = {
      appliance: 'Pond pump',
      kind: 'on',
      start: iso(NOW - 9 * H),
      end: iso(NOW - 8 * H),
    };
    expect((await add(body)).statusCode).toBe(422);
    await t.parts.metadata.nameFoundDevice('home', created[0]!.id, { name: 'Pond pump' });
    const res = await add(body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ appliance: 'Pond pump' });
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `${url}/${(res.json() as { id: string }).id}`,
          headers: owner,
        })
      ).statusCode,
    ).toBe(204);
  });

  it('exports the labels as CSV, a note quoted and never a formula', async () => {
    expect(
      (
        await add({
          appliance: 'kettle',
          kind: 'on',
          start: iso(NOW - 7 * H),
          end: iso(NOW - 6.9 * H),
          note: '=HYPERLINK("x"), tea',
        })
      ).statusCode,
    ).toBe(201);
    const res = await t.app.inject({ url: `${url}.csv?appliance=kettle`, headers: member });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="home-labels.csv"');
    const lines = res.body.trimEnd().split('\n');
    expect(lines[0]).toBe('id,appliance,kind,start,end,note,created_by,created_at');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(
        `^[0-9a-f-]+,kettle,on,${iso(NOW - 7 * H)},${iso(NOW - 6.9 * H)},"'=HYPERLINK\\(""x""\\), tea",admin,`,
      ),
    );
    expect(lines[2]).toMatch(/,kettle,off,.*,,admin,/);
  });

  it('only owners add and delete; a label of no such id is 404', async () => {
    const body = {
      appliance: 'kettle',
      kind: 'on',
      start: iso(NOW - 8 * H),
      end: iso(NOW - 7.5 * H),
    };
    expect((await add(body, member)).statusCode).toBe(403);
    const del = (id: string, headers = owner) =>
      t.app.inject({ method: 'DELETE', url: `${url}/${id}`, headers });
    expect((await del(washing, member)).statusCode).toBe(403);
    expect((await del(washing)).statusCode).toBe(204);
    expect((await del(washing)).statusCode).toBe(404);
    expect((await list()).labels.map((l) => l.id)).not.toContain(washing);
    expect((await t.app.inject({ url })).statusCode).toBe(401);
    const stranger = await t.auth('mallory');
    expect((await t.app.inject({ url, headers: stranger })).statusCode).toBe(404);
  });

  it('are in the OpenAPI document with the sub-meter readings', async () => {
    const doc = (await t.app.inject('/docs/json')).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const b = '/api/v1/buildings/{id}';
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        `${b}/labels`,
        `${b}/labels.csv`,
        `${b}/labels/{labelId}`,
        `${b}/submeters/{appliance}/readings`,
      ]),
    );
    expect(doc.paths[`${b}/labels`]!.post!.requestBody).toBeDefined();
  });
});
