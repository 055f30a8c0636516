// Proves the server's clustering passes: the first after its delay, then one per period, each rewriting the embedded store's finished days (logged only when it did something), a failed pass logged and retried on the next, and stopping cancels what is scheduled.
import { DuckDbTimeSeriesStore } from '@nilm/stores';
import { describe, expect, it, vi } from 'vitest';
import { startClustering, type Schedule } from './store.clustering.js';

/** A schedule the test fires by hand: the pending call and its delay. */
function manual(): { schedule: Schedule; pending: Array<{ fn: () => void; ms: number }> } {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  return {
    pending,
    schedule: (fn, ms) => {
      const entry = { fn, ms };
      pending.push(entry);
      return () => pending.splice(pending.indexOf(entry), 1);
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('startClustering', () => {
  it('rewrites finished days on its first pass, logs it, then passes hourly and stops', async () => {
    const store = await DuckDbTimeSeriesStore.open();
    // Long finished: a slice of every level (day, week, 28 days) holds it.
    const old = Date.UTC(2025, 0, 1);
    await store.writeReadings('home-a', [{ ts: old, powerW: 1 }]);
    await store.writeReadings('home-b', [{ ts: old, powerW: 2 }]);
    const log = { info: vi.fn(), warn: vi.fn() };
    const { schedule, pending } = manual();
    const stop = startClustering({ store, log, schedule });
    expect(pending.map((p) => p.ms)).toEqual([60_000]);
    pending.shift()!.fn();
    await vi.waitFor(() => expect(pending.map((p) => p.ms)).toEqual([3_600_000]));
    expect(log.info).toHaveBeenCalledTimes(1);
    expect(log.info.mock.calls[0]![0]).toMatchObject({ slices: 4, rows: 8 });
    // Nothing finished since: no log.
    pending.shift()!.fn();
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    await flush();
    expect(log.info).toHaveBeenCalledTimes(1);
    await stop();
    expect(pending).toHaveLength(0);
    expect(await store.readReadings('home-b', old, old + 1)).toEqual([{ ts: old, powerW: 2 }]);
    await store.close();
  });

  it('logs a failed pass and tries again on the next', async () => {
    const cluster = vi
      .fn()
      .mockRejectedValueOnce(new Error('disk full'))
      .mockResolvedValue({ slices: 0, rows: 0 });
    const log = { info: vi.fn(), warn: vi.fn() };
    const { schedule, pending } = manual();
    const stop = startClustering({ store: { cluster }, log, schedule, firstMs: 5 });
    pending.shift()!.fn();
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    expect(log.warn).toHaveBeenCalledWith(
      { err: expect.objectContaining({ message: 'disk full' }) },
      'store: clustering pass failed; trying again on the next',
    );
    pending.shift()!.fn();
    await vi.waitFor(() => expect(cluster).toHaveBeenCalledTimes(2));
    await stop();
  });
});
