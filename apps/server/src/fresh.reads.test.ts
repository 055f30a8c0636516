// Proves FreshReads shares a read only with callers that came before it began, and forgets failed reads.
import { describe, expect, it } from 'vitest';
import { FreshReads } from './fresh.reads.js';

describe('FreshReads', () => {
  /** A read that ends when the test says, numbered in the order reads began. */
  function reads() {
    const started: Array<(v: number) => void> = [];
    const read = () => new Promise<number>((resolve) => started.push(resolve));
    return { started, read };
  }

  it('shares a read only with callers that came before it began', async () => {
    const fresh = new FreshReads<number>();
    const { started, read } = reads();
    const a = fresh.get('k', read);
    // b comes while a's read runs: it must not take a's rows, but the next read's.
    const b = fresh.get('k', read);
    const c = fresh.get('k', read);
    expect(started).toHaveLength(1);
    started[0]!(1);
    expect(await a).toBe(1);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toHaveLength(2);
    started[1]!(2);
    expect(await b).toBe(2);
    expect(await c).toBe(2);
    expect(fresh.inFlight).toBe(0);
    // Other keys read on their own; a failed read fails its callers and is forgotten.
    const failing = fresh.get('x', () => Promise.reject(new Error('store down')));
    await expect(failing).rejects.toThrow('store down');
    expect(fresh.inFlight).toBe(0);
  });
});
