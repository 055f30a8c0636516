// Proves `nilm import` end to end against the whole server started in-process (embedded stores,
// port 0): the gzipped REFIT excerpt is checked, uploaded with a progress bar and stored with its
// own 2014 timestamps; a generic time,power file in kW with a user's token; a bad file stops with
// exit code 2 naming the line and reason before any request is sent; a refused token is exit 2
// with the server's reason; and --help.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '@nilm/ml';
import { writeRandomModel } from '@nilm/ml/testing';
import { runServer, type RunningServer } from '@nilm/server';

const ROOT = resolve(import.meta.dirname, '../../../..');
const BIN = resolve(ROOT, 'apps/cli/bin/nilm.js');
const EXCERPT = resolve(ROOT, 'data/REFIT_House20_2014-09-03_14d.csv.gz');
const tmp = mkdtempSync(join(tmpdir(), 'nilm-import-cli-'));
let server: RunningServer;
let bearer = '';
let deviceToken = '';

async function nilm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ROOT,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function api(path: string, body?: object): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Import requests the server has answered, from its Prometheus counters. */
async function importRequests(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [
    ...text.matchAll(
      /nilm_http_requests_total\{[^}]*route="\/api\/v1\/buildings\/:id\/import"[^}]*\} (\d+)/g,
    ),
  ]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0);
}

const stored = (building: string) =>
  server.parts.timeseries.readReadings(building, Date.UTC(2000, 0, 1), Date.now());

beforeAll(async () => {
  const models = join(tmp, 'models');
  await writeRandomModel(join(tmp, 'tiny-src'), { id: 'tiny', version: '1' });
  await (await ModelRegistry.open(models)).add(join(tmp, 'tiny-src'), { activate: true });
  server = await runServer(
    {
      PORT: '0',
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      NILM_ROLE: 'api',
      MQTT_EMBEDDED_PORT: '0',
      NILM_DATA_DIR: join(tmp, 'data'),
      NILM_MODELS_DIR: models,
      NILM_ADMIN_PASSWORD: 'import-secret',
    },
    ROOT,
  );
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@nilm.local', password: 'import-secret' }),
  });
  bearer = ((await login.json()) as { access_token: string }).access_token;
  for (const id of ['house20', 'generic', 'untouched'])
    expect((await api('/buildings', { id, name: id })).status).toBe(201);
  deviceToken = (
    (await (await api('/buildings/house20/tokens', { name: 'cli' })).json()) as {
      token: string;
    }
  ).token;
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('nilm import', () => {
  it('prints help', async () => {
    const r = await nilm('import', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: nilm import/);
    expect(r.stdout).toMatch(/epoch seconds below 10\^11/);
  });

  it('imports the gzipped REFIT excerpt with its own 2014 timestamps, showing upload progress', async () => {
    const r = await nilm(
      'import',
      '--data',
      EXCERPT,
      '--building',
      'house20',
      '--url',
      server.url!,
      '--token',
      deviceToken,
    );
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'imported 20160 readings into building house20: 2014-09-03T00:00:00.000Z to 2014-09-16T23:59:00.000Z (14.0 days)\n',
    );
    // Not a terminal: the bar is printed at each tenth, ending full.
    expect(r.stderr).toMatch(
      /20160 readings, 2014-09-03T00:00:00\.000Z to 2014-09-16T23:59:00\.000Z/,
    );
    expect(r.stderr).toMatch(/upload \[#{24}\] 0\.95\/0\.95 MB/);
    expect(r.stderr).toMatch(/readings\/s/);
    const readings = await stored('house20');
    expect(readings).toHaveLength(20160);
    const rows = gunzipSync(readFileSync(EXCERPT)).toString('utf8').trim().split('\n').slice(1);
    const at = (i: number) => {
      const [t, p] = rows[i]!.split(',');
      return { ts: Date.parse(`${t!.replace(' ', 'T')}Z`), powerW: Number(p) };
    };
    expect(readings[0]).toEqual(at(0));
    expect(readings[12_345]).toEqual(at(12_345));
    expect(readings.at(-1)).toEqual(at(20_159));
  });

  it('imports a time,power file in kW with a user token', async () => {
    const file = join(tmp, 'meter.csv');
    writeFileSync(file, 'time,power\n2024-05-01T12:00:00+02:00,0.4315\n1714557660,2.5\n');
    const r = await nilm(
      'import',
      '--data',
      file,
      '--format',
      'time-power',
      '--unit',
      'kW',
      '--building',
      'generic',
      '--url',
      server.url!,
      '--token',
      bearer,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^imported 2 readings into building generic: 2024-05-01T10:00:00\.000Z to 2024-05-01T10:01:00\.000Z/,
    );
    expect(await stored('generic')).toEqual([
      { ts: Date.UTC(2024, 4, 1, 10, 0), powerW: 431.5 },
      { ts: Date.UTC(2024, 4, 1, 10, 1), powerW: 2500 },
    ]);
  });

  it('stops a bad file with exit code 2, naming the line and reason, before sending anything', async () => {
    const lines = gunzipSync(readFileSync(EXCERPT)).toString('utf8').split('\n');
    lines[4321] = lines[4321]!.replace(/^([^,]+),[^,]+/, '$1,-40');
    const file = join(tmp, 'bad.csv.gz');
    writeFileSync(file, gzipSync(lines.join('\n')));
    const before = await importRequests();
    expect(before).toBeGreaterThan(0);
    const r = await nilm(
      'import',
      '--data',
      file,
      '--building',
      'untouched',
      '--url',
      server.url!,
      '--token',
      bearer,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error \[DATA_MALFORMED\]: .*bad\.csv\.gz: line 4322: power -40 W is outside 0\.\.100 kW.*nothing was sent\)\n$/,
    );
    expect(await importRequests()).toBe(before);
    expect(await stored('untouched')).toHaveLength(0);
  });

  it("stops with exit code 2 and the server's reason when the token is refused", async () => {
    const r = await nilm(
      'import',
      '--data',
      EXCERPT,
      '--building',
      'untouched',
      '--url',
      server.url!,
      '--token',
      deviceToken,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /the server refused the import \(HTTP 404 BUILDING_NOT_FOUND: building "untouched" not found\); check --building/,
    );
    expect(await stored('untouched')).toHaveLength(0);
  });
});
