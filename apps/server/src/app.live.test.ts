// Proves issues 12.3 and 12.4 against the real HTTP server of `build()` on embedded parts: a live
// stream ends with an `end` event saying why within seconds of its token expiring, its member
// being removed (in this process, or by another one: the store is checked again) or its building
// being deleted; streams are capped per user and in total (429 STREAM_LIMIT); 300 concurrent
// streams of one building share one store poll, all get each new reading, and once closed leave
// no streams, feeds, sockets or timers behind and the heap back near where it was.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openTestApp, type TestApp } from './app.fixture.js';

const opened: TestApp[] = [];
afterAll(async () => {
  for (const t of opened) await t.close();
});

/** A fresh app listening on a free port; returns it and its URL. */
async function listening(env: Record<string, string>): Promise<{ t: TestApp; url: string }> {
  const t = await openTestApp({ LIVE_RECHECK_MS: '200', LIVE_POLL_MS: '200', ...env });
  opened.push(t);
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { t, url };
}

interface Sse {
  status: number;
  /** Everything received so far. */
  text: () => string;
  /** Resolves when the server ends the stream, with all it sent. */
  ended: Promise<string>;
  close: () => void;
}

/** Open a stream with plain node:http (no fetch buffering), resolving once headers arrive. */
function stream(url: string, path: string, headers: Record<string, string>): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers, agent: false }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      const ended = new Promise<string>((done) => {
        res.on('end', () => done(text));
        res.on('close', () => done(text));
      });
      resolve({
        status: res.statusCode ?? 0,
        text: () => text,
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
}

/** The `end` event's data, or undefined. */
const endEvent = (text: string): { reason: string; message: string } | undefined => {
  const m = /event: end\ndata: (.*)\n\n/.exec(text);
  return m ? JSON.parse(m[1]!) : undefined;
};

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

describe('a stream ends when its right does (issue 12.3)', () => {
  it('ends with token_expired within seconds of the token expiring', async () => {
    const { t, url } = await listening({});
    const s = await stream(url, '/api/v1/buildings/home/live', await t.auth('admin', 'admin', 2));
    expect(s.status).toBe(200);
    const started = Date.now();
    const text = await within(s.ended, 8_000);
    expect(text).not.toBe('timeout');
    expect(endEvent(text as string)?.reason).toBe('token_expired');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends with access_revoked when the member is removed, here or by another process', async () => {
    const { t, url } = await listening({});
    const owner = await t.auth('admin');
    for (const how of ['api', 'store'] as const) {
      await t.parts.metadata.setMember({ buildingId: 'home', userId: 'alice', role: 'viewer' });
      const s = await stream(url, '/api/v1/buildings/home/live', await t.auth('alice'));
      expect(s.status).toBe(200);
      if (how === 'api') {
        const r = await t.app.inject({
          method: 'DELETE',
          url: '/api/v1/buildings/home/members/alice',
          headers: owner,
        });
        expect(r.statusCode).toBe(204);
      } else {
        // Another API process removed her: only the store knows.
        await t.parts.metadata.removeMember('home', 'alice');
      }
      const text = await within(s.ended, 3_000);
      expect(text).not.toBe('timeout');
      expect(endEvent(text as string)).toEqual({
        reason: 'access_revoked',
        message: 'you are no longer a member of this building',
      });
    }
    // The owner's own stream was never touched; and a new one for alice is refused.
    const again = await stream(url, '/api/v1/buildings/home/live', await t.auth('alice'));
    expect(again.status).toBe(404);
  });

  it('ends with building_deleted when the building is deleted', async () => {
    const { t, url } = await listening({});
    const s = await stream(url, '/api/v1/buildings/home/live', await t.auth('admin'));
    const r = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/buildings/home',
      headers: await t.auth('admin'),
    });
    expect(r.statusCode).toBe(204);
    const text = await within(s.ended, 3_000);
    expect(endEvent(text as string)?.reason).toBe('building_deleted');
  });
});

describe('streams are bounded (issue 12.4)', () => {
  it('caps streams per user and in total with 429 STREAM_LIMIT', async () => {
    const { t, url } = await listening({ LIVE_STREAMS_PER_USER: '2', LIVE_STREAMS_TOTAL: '3' });
    await t.parts.metadata.setMember({ buildingId: 'home', userId: 'alice', role: 'viewer' });
    const admin = await t.auth('admin');
    const alice = await t.auth('alice');
    const a1 = await stream(url, '/api/v1/buildings/home/live', admin);
    const a2 = await stream(url, '/api/v1/buildings/home/live', admin);
    const a3 = await stream(url, '/api/v1/buildings/home/live', admin);
    expect([a1.status, a2.status, a3.status]).toEqual([200, 200, 429]);
    expect(JSON.parse(a3.text() || (await a3.ended)).error.code).toBe('STREAM_LIMIT');
    const b1 = await stream(url, '/api/v1/buildings/home/live', alice);
    const b2 = await stream(url, '/api/v1/buildings/home/live', alice);
    expect([b1.status, b2.status]).toEqual([200, 429]);
    expect(JSON.parse(await b2.ended).error.details).toEqual({ limit: 3, scope: 'server' });
    // A closed stream frees its place.
    a1.close();
    await new Promise((r) => setTimeout(r, 200));
    const a4 = await stream(url, '/api/v1/buildings/home/live', admin);
    expect(a4.status).toBe(200);
    for (const s of [a2, b1, a4]) s.close();
  });

  it('serves 300 streams from one poll of the store, and frees everything when they close', async () => {
    const N = 300;
    const { t, url } = await listening({
      LIVE_STREAMS_PER_USER: '1000',
      LIVE_STREAMS_TOTAL: '1000',
      LIVE_POLL_MS: '250',
    });
    const headers = await t.auth('admin');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // Warm up once (first stream, first feed), so lazily built things are not counted as a leak.
    const warm = await stream(url, '/api/v1/buildings/home/live', headers);
    warm.close();
    await new Promise((r) => setTimeout(r, 300));
    await settle();
    const handlesBefore = process.getActiveResourcesInfo().length;
    const heapBefore = process.memoryUsage().heapUsed;

    const streams: Sse[] = [];
    for (let i = 0; i < N; i += 50)
      streams.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, N - i) }, () =>
            stream(url, '/api/v1/buildings/home/live', headers),
          ),
        )),
      );
    expect(streams.every((s) => s.status === 200)).toBe(true);
    const reads = vi.spyOn(t.parts.timeseries, 'readReadings');
    const ts = Date.now() - 30_000;
    const ingest = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers,
      payload: { building_id: 'home', readings: [{ ts, power_w: 4321.5 }] },
    });
    expect(ingest.statusCode).toBe(202);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !streams.every((s) => s.text().includes('4321.5')))
      await new Promise((r) => setTimeout(r, 100));
    expect(streams.filter((s) => s.text().includes('"power_w":4321.5')).length).toBe(N);
    const elapsed = Date.now() - (deadline - 10_000);
    // One read per poll for the building, not one per stream: at 250 ms, a handful.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    reads.mockRestore();

    for (const s of streams) s.close();
    const closeDeadline = Date.now() + 10_000;
    while (
      Date.now() < closeDeadline &&
      process.getActiveResourcesInfo().length > handlesBefore + 2
    )
      await new Promise((r) => setTimeout(r, 100));
    await settle();
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(handlesBefore + 2);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(8 * 1024 * 1024);
  }, 60_000);
});

describe('shutdown', () => {
  it('ends open streams with server_shutdown, so closing the app does not wait on them', async () => {
    const t = await openTestApp({});
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const s = await stream(url, '/api/v1/buildings/home/live', await t.auth('admin'));
    const closed = t.close();
    expect(endEvent(await s.ended)?.reason).toBe('server_shutdown');
    expect(await within(closed, 5_000)).not.toBe('timeout');
  });
});
