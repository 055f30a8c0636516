// Proves nothing large leaves uncompressed: API JSON and CSV by Accept-Encoding (br, gzip, none),
// small answers left alone, the web build's precompressed files sent as they are with the right
// encoding, Vary and cache headers, and the live stream still streaming.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from './app.fixture.js';

const T0 = Date.UTC(2024, 0, 1);
const DAY = `/api/v1/buildings/home/readings?start=${T0}&end=${T0 + 86_400_000}&resolution=1m`;
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(5000))});`;

let t: TestApp;
let auth: Record<string, string>;

beforeAll(async () => {
  const web = join(
    (await import('node:os')).tmpdir(),
    `nilm-web-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(web, 'assets', 'app-abc123.js'), SCRIPT);
  // Marked so the test can tell which file went out: the server must send these as they are.
  writeFileSync(join(web, 'assets', 'app-abc123.js.br'), brotliCompressSync(`${SCRIPT}//br`));
  writeFileSync(join(web, 'assets', 'app-abc123.js.gz'), gzipSync(`${SCRIPT}//gz`));
  t = await openTestApp({ NILM_WEB_DIR: web });
  auth = await t.auth('admin', 'admin');
  await t.parts.timeseries.writeReadings(
    'home',
    Array.from({ length: 1440 }, (_, i) => ({ ts: T0 + i * 60_000, powerW: 100 + (i % 97) })),
  );
}, 120_000);

afterAll(async () => t?.close(), 60_000);

describe('API responses', () => {
  it('sends the one-day readings brotli-compressed to a client that accepts br', async () => {
    const r = await t.app.inject({
      url: DAY,
      headers: { ...auth, 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers.vary).toMatch(/accept-encoding/i);
    const json = JSON.parse(brotliDecompressSync(r.rawPayload).toString('utf8')) as {
      points: unknown[];
    };
    expect(json.points).toHaveLength(1440);
    expect(r.rawPayload.length).toBeLessThan(JSON.stringify(json).length / 4);
  });

  it('sends gzip to a client that accepts only gzip, and plain JSON to one that accepts none', async () => {
    const gz = await t.app.inject({ url: DAY, headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await t.app.inject({ url: DAY, headers: auth });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString('utf8'))).toEqual(plain.json());
  });

  it('compresses the CSV export too', async () => {
    const r = await t.app.inject({
      url: DAY.replace('/readings?', '/readings.csv?'),
      headers: { ...auth, 'accept-encoding': 'br' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(r.rawPayload).toString('utf8').split('\n').length).toBeGreaterThan(
      1440,
    );
  });

  it('leaves answers under 1 KB uncompressed', async () => {
    const r = await t.app.inject({ url: '/live', headers: { 'accept-encoding': 'br, gzip' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBeUndefined();
  });
});

describe('the web build', () => {
  it('sends a hashed asset precompressed as brotli, cached for good', async () => {
    const r = await t.app.inject({
      url: '/assets/app-abc123.js',
      headers: { 'accept-encoding': 'gzip, deflate, br, zstd' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers.vary).toMatch(/accept-encoding/i);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(brotliDecompressSync(r.rawPayload).toString('utf8')).toBe(`${SCRIPT}//br`);
  });

  it('sends the .gz file to a gzip-only client and the file itself to one that accepts none', async () => {
    const gz = await t.app.inject({
      url: '/assets/app-abc123.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(`${SCRIPT}//gz`);
    const plain = await t.app.inject({ url: '/assets/app-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('has index.html revalidated on every visit, also as the fallback of app routes', async () => {
    for (const url of ['/', '/buildings/home']) {
      const r = await t.app.inject({ url, headers: { 'accept-encoding': 'br' } });
      expect(r.statusCode).toBe(200);
      expect(r.headers['cache-control']).toBe('no-cache');
      const body =
        r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.rawPayload) : r.rawPayload;
      expect(body.toString('utf8')).toContain('<title>t</title>');
    }
  });
});

describe('the live stream', () => {
  it('still streams event by event to a client that accepts compression', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const r = await fetch(`${address}/api/v1/buildings/home/live`, {
      headers: { ...auth, 'accept-encoding': 'br, gzip' },
      signal: controller.signal,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-encoding')).toBeNull();
    expect(r.headers.get('content-type')).toMatch(/text\/event-stream/);
    // The first event arrives while the response is still open.
    const reader = r.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(new TextDecoder().decode(first.value)).toMatch(/^(event|data|:|retry)/m);
    controller.abort();
  }, 30_000);
});
