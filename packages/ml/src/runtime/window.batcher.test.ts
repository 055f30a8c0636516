// Proves the one batching path on the real ONNX Runtime and a tiny model: requests made together
// are packed into calls of at most `batch` windows (a request split across calls when it must),
// each gets exactly what its windows give alone, a failed call fails only the requests in it,
// and a short buffer is refused before any call.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomModel } from '../transformer/model.fixture.js';
import type { ModelSession, WindowOutputs } from './model.runtime.js';
import { onnxModelRuntime } from './onnx.model.runtime.js';
import { WindowBatcher } from './window.batcher.js';

const L = 32;
const A = 2;
const tmp = mkdtempSync(join(tmpdir(), 'nilm-batcher-'));
let session: ModelSession;

/** The real session, recording the window count of each call; `fail` makes call n throw. */
function recorded(fail?: number): ModelSession & { sizes: number[] } {
  const sizes: number[] = [];
  return {
    sizes,
    run: async (mains, count, window) => {
      sizes.push(count);
      if (sizes.length === fail) throw new Error(`call ${fail} failed`);
      return session.run(mains, count, window);
    },
    close: () => Promise.resolve(),
  };
}

/** `count` distinct windows of integer watts. */
const windows = (count: number, seed: number): Float32Array =>
  Float32Array.from({ length: count * L }, (_, i) => 100 + ((i * (seed + 5)) % 13) * 210);

async function alone(mains: Float32Array, count: number): Promise<WindowOutputs> {
  const power = new Float32Array(count * A * L);
  const onProb = new Float32Array(count * A * L);
  for (let k = 0; k < count; k++) {
    const out = await session.run(mains.slice(k * L, (k + 1) * L), 1, L);
    power.set(out.power, k * A * L);
    onProb.set(out.onProb, k * A * L);
  }
  return { power, onProb };
}

beforeAll(async () => {
  await writeRandomModel(tmp);
  session = await onnxModelRuntime.load(readFileSync(join(tmp, 'model.onnx')), { threads: 1 });
});

afterAll(async () => {
  await session.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('WindowBatcher', () => {
  it('packs requests made together into calls of at most `batch` windows, results as alone', async () => {
    const s = recorded();
    const b = new WindowBatcher(s, L, A, 4);
    const asks = [windows(3, 1), windows(1, 2), windows(6, 3)];
    const counts = [3, 1, 6];
    const outs = await Promise.all(asks.map((m, k) => b.run(m, counts[k]!)));
    expect(s.sizes).toEqual([4, 4, 2]);
    expect(b.calls).toBe(3);
    for (let k = 0; k < asks.length; k++) {
      const ref = await alone(asks[k]!, counts[k]!);
      expect(outs[k]!.power).toEqual(ref.power);
      expect(outs[k]!.onProb).toEqual(ref.onProb);
    }
  });

  it('a failed call fails only the requests with windows in it', async () => {
    const s = recorded(1);
    const b = new WindowBatcher(s, L, A, 2);
    const results = await Promise.allSettled([
      b.run(windows(1, 1), 1),
      b.run(windows(1, 2), 1),
      b.run(windows(2, 3), 2),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('call 1 failed'));
    const ok = (results[2] as PromiseFulfilledResult<WindowOutputs>).value;
    expect(ok.power).toEqual((await alone(windows(2, 3), 2)).power);
  });

  it('refuses a buffer shorter than its windows, with no runtime call', async () => {
    const s = recorded();
    const b = new WindowBatcher(s, L, A, 4);
    await expect(b.run(new Float32Array(L), 2)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'expected 2 windows of 32 samples (64 values), got 32 values',
    });
    expect(s.sizes).toEqual([]);
  });
});
