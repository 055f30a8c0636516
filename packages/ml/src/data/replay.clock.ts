/**
 * Replaying recorded mains data "as if live" at a chosen speed. Sample i of the recording is
 * due at wall time w_i = start + (d_i - d_0) / speed and is stamped
 *
 *   stamp_i = start + (d_i - d_0) - (D - D / speed)      (D: the recording's duration)
 *
 * so stamps keep the recording's real spacing (a 60 s recording stays 60 s apart: the model
 * sees real minutes), are never in the future (stamp_i <= w_i), and the last sample is stamped
 * at the wall time it is sent. At speed 1 this is plain real time. Missing samples are skipped.
 */
import type { Series } from './series.js';

/** One replayed sample: its stamp (epoch ms) and mains power in W. */
export interface StampedReading {
  ts: number;
  powerW: number;
}

/** Hands out a recording's samples as they come due at `speed` times real time, stamped (see above). */
export class ReplayClock {
  private next = 0;
  private readonly periodMs: number;
  private readonly offsetMs: number;

  constructor(
    private readonly series: Series,
    readonly speed: number,
    readonly wallStartMs: number,
  ) {
    if (!(speed >= 1)) throw new Error(`replay speed must be >= 1, got ${speed}`);
    this.periodMs = series.periodS * 1000;
    const durationMs = series.mains.length * this.periodMs;
    this.offsetMs = wallStartMs - series.startMs - (durationMs - durationMs / speed);
  }

  /** Whether every sample has been handed out. */
  get done(): boolean {
    return this.next >= this.series.mains.length;
  }

  /** Wall time at which the whole recording will have been sent. */
  get endsAtMs(): number {
    return this.wallStartMs + (this.series.mains.length * this.periodMs) / this.speed;
  }

  /** The samples due by `wallNowMs` that were not handed out yet, stamped. */
  due(wallNowMs: number): StampedReading[] {
    const out: StampedReading[] = [];
    const n = this.series.mains.length;
    while (this.next < n) {
      const dataOffset = this.next * this.periodMs;
      if (this.wallStartMs + dataOffset / this.speed > wallNowMs) break;
      const v = this.series.mains[this.next]!;
      if (Number.isFinite(v))
        out.push({ ts: this.series.startMs + dataOffset + this.offsetMs, powerW: v });
      this.next++;
    }
    return out;
  }
}
