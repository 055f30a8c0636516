/**
 * The one batching path of inference: every caller's windows for a model (the worker's runs for
 * many buildings, `POST /infer`, `nilm eval`, the fine-tune scorecard) are queued on the model's
 * batcher, which packs whatever is waiting into runtime calls of at most `batch` windows and
 * hands each caller its own slice back. Calls are made one at a time per session: while one
 * runs, new windows wait and go together into the next, so the more callers are busy, the fuller
 * the batches. A window's result does not depend on what it was batched with.
 */
import { NilmError } from '../errors.js';
import type { ModelSession, WindowOutputs } from './model.runtime.js';

interface Request {
  mains: Float32Array;
  count: number;
  out: WindowOutputs;
  error?: unknown;
  resolve: (out: WindowOutputs) => void;
  reject: (e: unknown) => void;
}

/** A slice of a request in one runtime call: its windows [from, from + n). */
interface Part {
  req: Request;
  from: number;
  n: number;
}

export class WindowBatcher {
  private waiting: Request[] = [];
  private busy = false;
  private runtimeCalls = 0;

  /**
   * @param session the loaded model
   * @param window samples per window
   * @param outputs appliances per window in the outputs
   * @param batch windows per runtime call at most
   */
  constructor(
    private readonly session: ModelSession,
    private readonly window: number,
    private readonly outputs: number,
    private readonly batch: number,
  ) {}

  /** Runtime calls made so far (for benches: windows per call = windows / calls). */
  get calls(): number {
    return this.runtimeCalls;
  }

  /** Run `count` windows held in `mains`; resolves with outputs [count, appliances, window]. */
  run(mains: Float32Array, count: number): Promise<WindowOutputs> {
    if (!Number.isInteger(count) || count < 1 || mains.length < count * this.window)
      return Promise.reject(
        new NilmError(
          'CONFIG_INVALID',
          `expected ${count} windows of ${this.window} samples (${count * this.window} values), got ${mains.length} values`,
        ),
      );
    const size = count * this.outputs * this.window;
    return new Promise((resolve, reject) => {
      this.waiting.push({
        mains,
        count,
        out: { power: new Float32Array(size), onProb: new Float32Array(size) },
        resolve,
        reject,
      });
      // Wait for the rest of this turn of the event loop, so callers that ask together share.
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const requests = this.waiting;
      this.waiting = [];
      let parts: Part[] = [];
      let total = 0;
      for (const req of requests) {
        for (let from = 0; from < req.count;) {
          const n = Math.min(req.count - from, this.batch - total);
          parts.push({ req, from, n });
          total += n;
          from += n;
          if (total === this.batch) {
            await this.call(parts, total);
            parts = [];
            total = 0;
          }
        }
      }
      if (total > 0) await this.call(parts, total);
      for (const req of requests) {
        if (req.error !== undefined) req.reject(req.error);
        else req.resolve(req.out);
      }
    }
    this.busy = false;
  }

  /** One runtime call over `parts`; a failure fails every request with a part in it. */
  private async call(parts: Part[], total: number): Promise<void> {
    const L = this.window;
    const span = this.outputs * L;
    const live = parts.filter((p) => p.req.error === undefined);
    if (live.length === 0) return;
    try {
      let buf: Float32Array;
      const only = live.length === 1 ? live[0]! : undefined;
      if (only && only.from === 0 && only.n === only.req.count && total === only.n) {
        buf = only.req.mains;
      } else {
        buf = new Float32Array(total * L);
        let o = 0;
        for (const p of live) {
          buf.set(p.req.mains.subarray(p.from * L, (p.from + p.n) * L), o * L);
          o += p.n;
        }
        total = o;
      }
      this.runtimeCalls++;
      const out = await this.session.run(buf, total, L);
      let o = 0;
      for (const p of live) {
        p.req.out.power.set(out.power.subarray(o * span, (o + p.n) * span), p.from * span);
        p.req.out.onProb.set(out.onProb.subarray(o * span, (o + p.n) * span), p.from * span);
        o += p.n;
      }
    } catch (e) {
      for (const p of live) p.req.error = e;
    }
  }
}
