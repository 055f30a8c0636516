// Proves issue 12.7 on a real full file system (a small tmpfs, when this process may mount one;
// otherwise the same assertions with ENOSPC injected at the store boundary): an ingest or a
// metadata write on a full disk answers 503 STORE_UNAVAILABLE naming the cause and stores
// nothing, /ready reports the disk, both recover once there is room; a start on a full disk
// fails with a readable DISK_FULL message (not "[object Object]"); and every driver's way of
// saying "disk full" is recognised.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestApp, type TestApp } from './app.fixture.js';
import { runServer } from './server.js';
import { tinyModelRegistry } from './services.fixture.js';
import { isDiskFull, startFailure, StartError } from './storage.health.js';

const tmp = mkdtempSync(join(tmpdir(), 'nilm-diskfull-'));
const mnt = join(tmp, 'mnt');
mkdirSync(mnt);
/** Whether `mnt` is a real 64 MiB tmpfs we can fill. */
let realDisk = false;

beforeAll(() => {
  try {
    // NILM_TEST_NO_MOUNT=1 runs the injected path where mounting would work.
    if (process.env.NILM_TEST_NO_MOUNT) throw new Error('mounting not wanted');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt], { stdio: 'ignore' });
    realDisk = true;
  } catch {
    realDisk = false; // not root: injected ENOSPC below
  }
});
afterAll(() => {
  if (realDisk) execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
});

/** Fill the tmpfs (or make the stores' writes fail with ENOSPC); returns how to undo it. */
function fillDisk(t: TestApp): () => void {
  if (realDisk) {
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=1M', 'count=256'], {
        stdio: 'ignore',
      });
    } catch {
      // dd stops at "No space left on device": that is the point.
    }
    return () => rmSync(join(mnt, 'fill'), { force: true });
  }
  const enospc = () =>
    Promise.reject(Object.assign(new Error('write: no space left on device'), { code: 'ENOSPC' }));
  const spies = [
    vi.spyOn(t.parts.timeseries, 'writeReadingsMany').mockImplementation(enospc),
    vi.spyOn(t.parts.metadata, 'setTariff').mockImplementation(enospc),
  ];
  return () => spies.forEach((s) => s.mockRestore());
}

describe('a full disk (issue 12.7)', () => {
  it('answers 503 naming the cause, stores nothing, shows in /ready, and recovers', async () => {
    let clock = Date.now();
    const t = await openTestApp({ NILM_DATA_DIR: join(mnt, 'data') }, { now: () => clock });
    try {
      const h = await t.auth('admin');
      const ingest = (ts: number) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: h,
          payload: {
            building_id: 'home',
            readings: Array.from({ length: 500 }, (_, i) => ({ ts: ts + i * 60_000, power_w: i })),
          },
        });
      const t0 = clock - 3 * 86_400_000;
      expect((await ingest(t0)).statusCode).toBe(202);
      expect((await t.app.inject('/ready')).json().checks.disk).toEqual({ ok: true, kind: 'disk' });

      const undo = fillDisk(t);
      const full = await ingest(t0 + 86_400_000);
      expect(full.statusCode).toBe(503);
      expect(full.json().error).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        details: { cause: 'disk_full' },
      });
      expect(full.json().error.message).toMatch(/disk is full; nothing was stored/);
      expect(full.json().error.message).not.toContain(mnt);
      expect(full.headers['retry-after']).toBe('30');
      const tariff = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/buildings/home/tariff',
        headers: h,
        payload: { currency: 'GBP', price_per_kwh: 0.3, bands: [] },
      });
      expect([tariff.statusCode, tariff.json().error.details?.cause]).toEqual([503, 'disk_full']);
      const ready = await t.app.inject('/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.disk.ok).toBe(false);
      expect(ready.json().checks.disk.error).toMatch(/disk is full/);
      expect(ready.body).not.toContain(mnt);
      const stored = await t.parts.timeseries.readReadings('home', t0, t0 + 3 * 86_400_000);
      expect(stored).toHaveLength(500);

      undo();
      clock += 61_000;
      expect((await t.app.inject('/ready')).statusCode).toBe(200);
      expect((await ingest(t0 + 86_400_000)).statusCode).toBe(202);
      expect(await t.parts.timeseries.readReadings('home', t0, t0 + 3 * 86_400_000)).toHaveLength(
        1000,
      );
    } finally {
      await t.close().catch(() => undefined);
    }
  }, 120_000);

  it('makes a first start on a full disk fail with a readable message', async () => {
    const modelsDir = await tinyModelRegistry(join(tmp, 'models-src'));
    const dataDir = join(mnt, 'fresh');
    let undo = () => undefined as void;
    if (realDisk) {
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=1M', 'count=256'], {
          stdio: 'ignore',
        });
      } catch {
        // full
      }
      undo = () => rmSync(join(mnt, 'fill'), { force: true });
    } else {
      // PGlite's file system says "disk full" with a plain object, which used to print as
      // "[object Object]".
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'metadata'), 'not a folder');
    }
    try {
      const err = await runServer(
        {
          NILM_DATA_DIR: dataDir,
          NILM_MODELS_DIR: modelsDir,
          LOG_LEVEL: 'silent',
          DEMO: 'false',
          PORT: '0',
          NILM_ROLE: 'api',
        },
        resolve(import.meta.dirname, '../../..'),
      ).then(
        async (s) => {
          await s.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message)).not.toContain('[object Object]');
      if (realDisk) {
        expect(err).toBeInstanceOf(StartError);
        expect((err as StartError).code).toBe('DISK_FULL');
        expect((err as Error).message).toContain(dataDir);
        expect((err as Error).message).toMatch(/free some space there, or set NILM_DATA_DIR/);
      }
    } finally {
      undo();
    }
  }, 120_000);

  it('recognises each driver’s way of saying it, and describes a thrown non-Error', () => {
    const pgliteFs = { name: 'ErrnoError', errno: 51 };
    const postgres = Object.assign(new Error('could not extend file "base/5/16479"'), {
      code: '53100',
    });
    const duckdb = new Error(
      'TransactionContext Error: Failed to commit: Could not write file "x.wal": No space left on device',
    );
    const node = Object.assign(new Error('ENOSPC: write'), { code: 'ENOSPC' });
    const wrapped = new Error('write failed', { cause: node });
    for (const e of [pgliteFs, postgres, duckdb, node, wrapped]) expect(isDiskFull(e)).toBe(true);
    for (const e of [new Error('connection refused'), { errno: 2 }, null, 'disk']) {
      expect(isDiskFull(e)).toBe(false);
    }
    expect(startFailure(pgliteFs, '/data').message).toMatch(/^cannot start: the disk holding/);
    expect(startFailure({ name: 'Weird', errno: 7 }, '/data').message).toBe(
      'cannot start: {"name":"Weird","errno":7}',
    );
  });
});
