import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '@nilm/stores';
import { Gatherer } from './gatherer.js';

/** A write whose calls are recorded and end when the test says so. */
function controlledWrite(fail?: (items: number[]) => Error | undefined) {
  const calls: number[][] = [];
  const ends: Array<() => void> = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push(items);
      ends.push(() => {
        const e = fail?.(items);
        if (e) reject(e);
        else resolve();
      });
    });
  return { calls, ends, write };
}

const settled = () => new Promise((r) => setImmediate(r));

describe('Gatherer', () => {
  it('writes a lone item at once, and gathers what arrives meanwhile into the next call', async () => {
    const w = controlledWrite();
    const g = new Gatherer({ call: w.write });
    const first = g.add(1);
    await settled();
    expect(w.calls).toEqual([[1]]);
    const rest = [g.add(2), g.add(3), g.add(4)];
    await settled();
    expect(w.calls).toHaveLength(1);
    w.ends[0]!();
    await first;
    await settled();
    expect(w.calls).toEqual([[1], [2, 3, 4]]);
    w.ends[1]!();
    await Promise.all(rest);
    expect([g.calls, g.items]).toEqual([2, 4]);
  });

  it('caps a call at maxItems, in arrival order', async () => {
    const w = controlledWrite();
    const g = new Gatherer({ call: w.write, maxItems: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => g.add(i));
    for (let i = 0; i < 3; i++) {
      await settled();
      w.ends[i]!();
    }
    await Promise.all(all);
    expect(w.calls).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('fails every item of a call to an unavailable store', async () => {
    const w = controlledWrite(() => new StoreUnavailableError('duckdb', 'down'));
    const g = new Gatherer({ call: w.write });
    const first = g.add(1);
    const others = Promise.allSettled([g.add(2), g.add(3)]);
    await settled();
    w.ends[0]!();
    await expect(first).rejects.toBeInstanceOf(StoreUnavailableError);
    await settled();
    w.ends[1]!();
    for (const r of await others)
      expect(r).toMatchObject({ status: 'rejected', reason: expect.any(StoreUnavailableError) });
    expect(w.calls).toEqual([[1], [2, 3]]);
  });

  it('retries a refused call one item at a time, so only the item at fault fails', async () => {
    const w = controlledWrite((items) =>
      items.includes(3) ? new Error('item 3 is bad; nothing was written') : undefined,
    );
    const g = new Gatherer({ call: w.write });
    const first = g.add(1);
    const others = Promise.allSettled([g.add(2), g.add(3), g.add(4)]);
    for (let i = 0; i < 5; i++) {
      await settled();
      w.ends[i]!();
    }
    await first;
    const results = await others;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      message: 'item 3 is bad; nothing was written',
    });
    expect(w.calls).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('fails the whole call, without retrying items alone, for errors failsAll names', async () => {
    const w = controlledWrite(() => new Error('queue down'));
    const g = new Gatherer({ call: w.write, failsAll: () => true });
    const first = g.add(1);
    const others = Promise.allSettled([g.add(2), g.add(3)]);
    await settled();
    w.ends[0]!();
    await expect(first).rejects.toThrow('queue down');
    await settled();
    w.ends[1]!();
    expect((await others).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(w.calls).toEqual([[1], [2, 3]]);
  });

  it('answers each item of a gathered read with its own result', async () => {
    const calls: number[][] = [];
    const g = new Gatherer<number, string>({
      call: async (items) => {
        calls.push(items);
        return items.map((i) => `r${i}`);
      },
    });
    expect(await Promise.all([g.add(1), g.add(2), g.add(3)])).toEqual(['r1', 'r2', 'r3']);
    expect(calls).toEqual([[1], [2, 3]]);
  });

  it('fails an item whose write throws before returning a promise', async () => {
    const g = new Gatherer<number>({
      call: () => {
        throw new Error('refused');
      },
    });
    await expect(g.add(1)).rejects.toThrow('refused');
    // The gatherer is not stuck after it.
    const ok = new Gatherer<number>({ call: async () => undefined });
    await expect(ok.add(1)).resolves.toBeUndefined();
  });
});
