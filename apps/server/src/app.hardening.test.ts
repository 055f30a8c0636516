// Proves the API's answers to issue 12's probes on embedded real parts (PGlite, DuckDB, in-process
// queue, a tiny model), through app.inject: X-Forwarded-For is believed only from TRUST_PROXY, so
// it cannot escape the per-IP or sign-in limits; absurd times, control characters, duplicate
// timestamps, text/plain and non-number powers are coded 4xx that store nothing (no coercion of
// bodies, while query strings still coerce); security headers and a CSP the dashboard's own inline
// script passes; 503 and /ready name the failed dependency, never its address; an oversize header
// gets the JSON error envelope.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '@nilm/queue';
import { StoreUnavailableError } from '@nilm/stores';
import { build } from './app.js';
import { loadConfig } from './config.js';
import { createParts, type Parts } from './app.deps.js';
import { seedMetadata, tinyModelRegistry } from './services.fixture.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'nilm-hardening-'));
const base = Date.UTC(2024, 0, 1);
const minute = 60_000;
let modelsDir: string;

type Running = { parts: Parts; app: FastifyInstance; admin: Record<string, string> };
const opened: Running[] = [];

/** A fresh app on fresh embedded stores, with an admin and building "home". */
async function setup(env: Record<string, string> = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmp, 'run-'));
  const config = loadConfig(
    {
      NILM_WEB_DIR: join(dir, 'no-web-build'),
      NILM_DATA_DIR: join(dir, 'data'),
      NILM_MODELS_DIR: modelsDir,
      LOG_LEVEL: 'silent',
      DEMO: 'false',
      ...env,
    },
    ROOT,
  );
  seedMetadata(config.dataDir);
  const parts = await createParts(config);
  const app = await build(parts);
  const running: Running = { parts, app, admin: {} };
  opened.push(running);
  if (parts.issuer) {
    await parts.metadata.upsertUser({
      id: 'admin',
      email: 'admin@test',
      role: 'admin',
      passwordHash: null,
    });
    const token = (await parts.issuer.sign({ sub: 'admin', role: 'admin' })).token;
    running.admin = { authorization: `Bearer ${token}` };
    await parts.metadata.createBuilding({
      id: 'home',
      name: 'Home',
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    await parts.metadata.setMember({ buildingId: 'home', userId: 'admin', role: 'owner' });
  }
  return running;
}

let s: Running;

beforeAll(async () => {
  modelsDir = await tinyModelRegistry(tmp);
  s = await setup();
}, 120_000);

afterAll(async () => {
  for (const r of opened) {
    await r.app.close();
    await r.parts.close();
  }
  // Removing every test app's embedded stores can take longer than the default hook timeout
  // on a busy disk.
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

const stored = (r: Running = s): Promise<unknown[]> =>
  r.parts.timeseries.readReadings('home', 0, Date.now() + 3_600_000);

describe('TRUST_PROXY (issue 12.1)', () => {
  it('by default ignores X-Forwarded-For: a new address per request still meets the per-IP limit', async () => {
    const r = await setup({ RATE_LIMIT_PER_IP: '3' });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await r.app.inject({
        url: '/api/v1/models',
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
  });

  it('by default ignores X-Forwarded-For at sign-in: password guessing stops at 20 a minute', async () => {
    const r = await setup();
    const codes: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await r.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        // One guess per account: the per-account backoff (issue 12.2) stays out of the way.
        payload: { email: `user-${i}@test`, password: `guess-${i}` },
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(codes[20]).toBe(429);
  });

  it('believes X-Forwarded-For from a listed proxy, so each client behind it has its own limit', async () => {
    const r = await setup({ RATE_LIMIT_PER_IP: '3', TRUST_PROXY: '127.0.0.1' });
    const from = async (client: string): Promise<number> =>
      (await r.app.inject({ url: '/api/v1/models', headers: { 'x-forwarded-for': client } }))
        .statusCode;
    for (let i = 0; i < 5; i++) expect(await from(`203.0.113.${i + 1}`)).toBe(401);
    const same = [];
    for (let i = 0; i < 4; i++) same.push(await from('203.0.113.99'));
    expect(same).toEqual([401, 401, 401, 429]);
  });
});

describe('bad input is a coded 4xx that stores nothing (issue 12.5, 12.6, 12.12)', () => {
  const ingest = (payload: unknown, headers: Record<string, string> = {}) =>
    s.app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { ...s.admin, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it.each([
    ['1e308', 1e308],
    ['-1e308', -1e308],
    ['8.64e15 + 1 (past the last Date)', 8.64e15 + 1],
    ['after 2262 (past what InfluxDB can hold)', 9_300_000_000_000],
  ])('refuses ts %s with 422 VALIDATION_TIME', async (_what, ts) => {
    const r = await ingest({
      building_id: 'home',
      readings: [
        { ts: base, power_w: 1 },
        { ts, power_w: 2 },
      ],
    });
    expect(r.statusCode).toBe(422);
    expect(r.json().error).toMatchObject({ code: 'VALIDATION_TIME', details: { index: 1 } });
    expect(await stored()).toEqual([]);
  });

  it.each([
    ['null', null],
    ['true', true],
    ['"77"', '77'],
    ['[5]', [5]],
    ['{}', {}],
  ])('refuses power_w %s (no coercion) and stores nothing', async (_what, power_w) => {
    const r = await ingest({
      building_id: 'home',
      readings: [
        { ts: base, power_w: 1 },
        { ts: base + minute, power_w },
      ],
    });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('VALIDATION_FAILED');
    expect(r.json().error.message).toMatch(/readings\/1\/power_w/);
    expect(await stored()).toEqual([]);
  });

  it('refuses other coercions on write routes: a number as a name, a string as a price', async () => {
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers: s.admin,
      payload: { id: 'coerced', name: 12345 },
    });
    expect(created.statusCode).toBe(422);
    expect(
      (await s.app.inject({ url: '/api/v1/buildings/coerced', headers: s.admin })).statusCode,
    ).toBe(404);
    const tariff = await s.app.inject({
      method: 'PUT',
      url: '/api/v1/buildings/home/tariff',
      headers: s.admin,
      payload: { currency: 'GBP', price_per_kwh: '0.30', bands: [] },
    });
    expect(tariff.statusCode).toBe(422);
    expect(
      (await s.app.inject({ url: '/api/v1/buildings/home/tariff', headers: s.admin })).json()
        .is_default,
    ).toBe(true);
  });

  it('still coerces query strings: points=50 is a number', async () => {
    const r = await s.app.inject({
      url: `/api/v1/buildings/home/readings?start=${base}&end=${base + 60 * minute}&resolution=auto&points=50`,
      headers: s.admin,
    });
    expect(r.statusCode).toBe(200);
  });

  it('refuses a batch with a repeated timestamp, naming both readings', async () => {
    const r = await ingest({
      building_id: 'home',
      readings: [
        { ts: base, power_w: 1 },
        { ts: base + minute, power_w: 2 },
        { ts: new Date(base).toISOString(), power_w: 3 },
      ],
    });
    expect(r.statusCode).toBe(422);
    expect(r.json().error).toMatchObject({
      code: 'VALIDATION_TIME',
      details: { index: 2, first_index: 0 },
    });
    expect(r.json().error.message).toMatch(/readings\[2\]\.ts .* readings\[0\]/);
    expect(await stored()).toEqual([]);
  });

  it('answers text/plain with 415 UNSUPPORTED_MEDIA_TYPE, as documented', async () => {
    const r = await ingest(
      { building_id: 'home', readings: [{ ts: base, power_w: 1 }] },
      { 'content-type': 'text/plain' },
    );
    expect(r.statusCode).toBe(415);
    expect(r.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await stored()).toEqual([]);
  });

  it.each([
    ['NUL', 'Home\u0000'],
    ['a bell', 'Home\u0007'],
    ['an escape', '\u001b[31mHome'],
    ['a newline', 'Home\nTwo'],
    ['DEL', 'Home\u007f'],
  ])('refuses a building name with %s (create and rename) with 422', async (_what, name) => {
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/v1/buildings',
      headers: s.admin,
      payload: { id: 'ctl', name },
    });
    expect(created.statusCode).toBe(422);
    expect(created.json().error.code).toBe('VALIDATION_FAILED');
    expect(created.json().error.message).toMatch(/name/);
    expect(
      (await s.app.inject({ url: '/api/v1/buildings/ctl', headers: s.admin })).statusCode,
    ).toBe(404);
    const renamed = await s.app.inject({
      method: 'PATCH',
      url: '/api/v1/buildings/home',
      headers: s.admin,
      payload: { name },
    });
    expect(renamed.statusCode).toBe(422);
    expect(
      (await s.app.inject({ url: '/api/v1/buildings/home', headers: s.admin })).json().name,
    ).toBe('Home');
  });

  it('refuses control characters in token and tariff band names', async () => {
    const token = await s.app.inject({
      method: 'POST',
      url: '/api/v1/buildings/home/tokens',
      headers: s.admin,
      payload: { name: 'meter\u0000' },
    });
    expect(token.statusCode).toBe(422);
    expect(
      (await s.app.inject({ url: '/api/v1/buildings/home/tokens', headers: s.admin })).json()
        .tokens,
    ).toEqual([]);
    const tariff = await s.app.inject({
      method: 'PUT',
      url: '/api/v1/buildings/home/tariff',
      headers: s.admin,
      payload: {
        currency: 'GBP',
        price_per_kwh: 0.3,
        bands: [{ name: 'Night\u0001', start: '00:00', end: '07:00', price_per_kwh: 0.1 }],
      },
    });
    expect(tariff.statusCode).toBe(422);
  });

  it('refuses NUL anywhere in a request (PostgreSQL cannot hold it) with 422, not 500', async () => {
    const member = await s.app.inject({
      method: 'POST',
      url: '/api/v1/buildings/home/members',
      headers: s.admin,
      payload: { email: 'x\u0000@test', role: 'viewer' },
    });
    expect(member.statusCode).toBe(422);
    expect(member.json().error.message).toMatch(/body\/email/);
    const login = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'admin\u0000@test', password: 'x' },
    });
    expect(login.statusCode).toBe(422);
    const removed = await s.app.inject({
      method: 'DELETE',
      url: '/api/v1/buildings/home/members/bob%00',
      headers: s.admin,
    });
    expect(removed.statusCode).toBe(422);
  });
});

describe('security headers (issue 12.8)', () => {
  /** sha256 CSP sources of the inline scripts of an HTML page. */
  const inlineScriptHashes = (html: string): string[] =>
    [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
      .filter(([, attrs]) => !/\bsrc\s*=/i.test(attrs!))
      .map(([, , body]) => `'sha256-${createHash('sha256').update(body!).digest('base64')}'`);

  it('sends nosniff, SAMEORIGIN framing, no referrer and a CSP on API answers', async () => {
    const r = await s.app.inject('/api/v1/auth/config');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/frame-ancestors 'self'/);
    expect(csp).toMatch(/object-src 'none'/);
    // Served over plain HTTP on a LAN: upgrading would break every request.
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    expect(r.headers['strict-transport-security']).toBeUndefined();
  });

  it("allows the dashboard's own inline script by hash, its files and same-origin fetch, nothing else", async () => {
    const web = mkdtempSync(join(tmp, 'web-'));
    // The real index.html (the built one when present): its inline theme script must pass.
    const built = join(ROOT, 'apps/web/dist/index.html');
    let html: string;
    try {
      html = readFileSync(built, 'utf8');
    } catch {
      html = readFileSync(join(ROOT, 'apps/web/index.html'), 'utf8');
    }
    writeFileSync(join(web, 'index.html'), html);
    const hashes = inlineScriptHashes(html);
    expect(hashes.length).toBeGreaterThan(0);
    const w = await setup({ NILM_WEB_DIR: web });
    for (const url of ['/', '/b/home?range=24h']) {
      const r = await w.app.inject(url);
      expect(r.statusCode).toBe(200);
      const csp = String(r.headers['content-security-policy']);
      const scriptSrc = /script-src ([^;]*)/.exec(csp)![1]!.split(' ');
      expect(scriptSrc).toEqual(expect.arrayContaining(["'self'", ...hashes]));
      expect(scriptSrc).not.toContain("'unsafe-inline'");
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/connect-src 'self'(;|$)/);
      expect(csp).toMatch(/script-src-attr 'none'/);
    }
    // A rebuild needs no restart: a changed inline script is allowed once it is on disk.
    const changed = html.replace(/<script>/, '<script>/* rebuilt */');
    writeFileSync(join(web, 'index.html'), changed);
    const again = String((await w.app.inject('/')).headers['content-security-policy']);
    for (const h of inlineScriptHashes(changed)) expect(again).toContain(h);
  });

  it('serves the installable app: its manifest as application/manifest+json, its service worker revalidated, both allowed by the CSP', async () => {
    const web = mkdtempSync(join(tmp, 'web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(web, 'manifest.webmanifest'), '{"name":"NILM Monitor"}');
    writeFileSync(join(web, 'sw.js'), 'self.addEventListener("fetch", () => {});');
    const w = await setup({ NILM_WEB_DIR: web });
    const manifest = await w.app.inject('/manifest.webmanifest');
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
    const sw = await w.app.inject('/sw.js');
    expect(sw.statusCode).toBe(200);
    expect(sw.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    // Not cached for a year like the hashed files: a new build must reach the browser.
    expect(sw.headers['cache-control']).toBe('no-cache');
    const csp = String((await w.app.inject('/')).headers['content-security-policy']);
    expect(csp).toMatch(/worker-src 'self'(;|$)/);
    expect(csp).toMatch(/manifest-src 'self'(;|$)/);
  });

  it('lets the dashboard reach Supabase Auth when it signs in there', async () => {
    const anonKey = 'sb_publishable_abc123';
    const r = await setup({
      SUPABASE_URL: 'https://abcd.supabase.co/',
      SUPABASE_ANON_KEY: anonKey,
    });
    const csp = String(
      (await r.app.inject('/api/v1/auth/config')).headers['content-security-policy'],
    );
    expect(csp).toMatch(/connect-src 'self' https:\/\/abcd\.supabase\.co(;|$)/);
  });
});

describe('no internal addresses in public answers (issue 12.9)', () => {
  it('/ready names the failed dependency only', async () => {
    const r = await setup();
    r.parts.metadata.ping = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:15432');
    };
    const ready = await r.app.inject('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.body).not.toMatch(/127\.0\.0\.1|15432|ECONNREFUSED/);
    expect(ready.json().checks.metadata).toMatchObject({ ok: false, kind: 'pglite' });
    expect(ready.json().checks.timeseries).toMatchObject({ ok: true });
  });

  it('a 503 names the store or queue, not where it lives', async () => {
    const r = await setup();
    r.parts.metadata.listBuildings = async () => {
      throw new StoreUnavailableError('postgres', 'connect ECONNREFUSED 127.0.0.1:15432');
    };
    r.app.get('/queue-down', async () => {
      throw new QueueUnavailableError(
        'Redis at 10.1.2.3:6379 did not answer enqueue within 5000 ms',
      );
    });
    const store = await r.app.inject({ url: '/api/v1/buildings', headers: r.admin });
    expect(store.statusCode).toBe(503);
    expect(store.headers['retry-after']).toBe('5');
    expect(store.json().error.code).toBe('STORE_UNAVAILABLE');
    expect(store.json().error.message).toMatch(/postgres/);
    expect(store.body).not.toMatch(/127\.0\.0\.1|15432/);
    const queue = await r.app.inject('/queue-down');
    expect(queue.statusCode).toBe(503);
    expect(queue.json().error.code).toBe('QUEUE_UNAVAILABLE');
    expect(queue.body).not.toMatch(/10\.1\.2\.3|6379|Redis at/);
  });

  it("an unreachable identity provider's key set is a 503 without its address", async () => {
    const r = await setup({ AUTH_JWKS_URL: 'http://127.0.0.1:9/internal/jwks.json' });
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64({ sub: 'u', exp: 2e9 })}.c2ln`;
    const res = await r.app.inject({
      url: '/api/v1/buildings',
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('NOT_READY');
    expect(res.body).not.toMatch(/127\.0\.0\.1|internal\/jwks/);
  });
});

describe('an oversize header (issue 12.12)', () => {
  it('gets the JSON error envelope with 431, not a bare status line', async () => {
    const r = await setup();
    const url = new URL(await r.app.listen({ port: 0, host: '127.0.0.1' }));
    const raw = await new Promise<string>((ok, fail) => {
      const socket = connect(Number(url.port), '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d.toString('utf8')));
      socket.on('close', () => ok(text));
      socket.on('error', fail);
      socket.write(`GET /live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(body!)).toEqual({
      error: { code: 'HEADERS_TOO_LARGE', message: expect.stringMatching(/header/) },
      request_id: expect.stringMatching(/^req_[0-9a-f]{16}$/),
    });
  });
});
