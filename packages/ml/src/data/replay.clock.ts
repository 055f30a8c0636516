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

const DAY_MS = 86_400_000;

/** Offset of `timeZone` from UTC at `instantMs`, in ms (Europe/London in summer: +3 600 000). */
function zoneOffsetMs(fmt: Intl.DateTimeFormat, instantMs: number): number {
  const f: Record<string, number> = {};
  for (const p of fmt.formatToParts(instantMs))
    if (p.type !== 'literal') f[p.type] = Number(p.value);
  const asUtc = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour! % 24, f.minute!, f.second!);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * Converts between wall-clock times in one zone and instants. A wall-clock time is carried as
 * "naive" epoch ms: the instant whose UTC fields read as that wall clock (the way the dataset
 * readers keep a recording's own naive timestamps).
 */
export class WallClock {
  private readonly fmt: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The wall-clock time (naive ms) at `instantMs`. */
  naiveAt(instantMs: number): number {
    return instantMs + zoneOffsetMs(this.fmt, instantMs);
  }

  /**
   * The instant at which the wall clock reads `naiveMs`: the earlier one where it reads so twice
   * (the hour repeated when clocks go back), null where it never does (the hour skipped when
   * they go forward).
   */
  instantOf(naiveMs: number): number | null {
    // Zones change offset at most once in two days: the offsets a day either side are the candidates.
    const candidates = [
      naiveMs - zoneOffsetMs(this.fmt, naiveMs - DAY_MS),
      naiveMs - zoneOffsetMs(this.fmt, naiveMs + DAY_MS),
    ].sort((a, b) => a - b);
    for (const t of candidates) if (this.naiveAt(t) === naiveMs) return t;
    return null;
  }
}

/**
 * Replays a recording in real time on the calendar of today: the recording's naive timestamps are
 * read as wall-clock times in `timeZone` and moved by a whole number of days (`days`), so every
 * sample keeps its time of day there (a kettle run recorded at 07:40 is stamped 07:40 local, in
 * summer or winter). A sample is due when its stamp is reached; samples whose wall-clock time
 * does not exist on the new date (clocks going forward) are dropped, and where an hour repeats
 * (clocks going back) samples take its first occurrence, so stamps only ever increase. Samples
 * stamped before `notBeforeMs` are skipped (what an earlier pass already sent).
 */
export class TimeOfDayReplay {
  private next = 0;
  private readonly periodMs: number;
  private readonly wall: WallClock;

  constructor(
    private readonly series: Series,
    timeZone: string,
    readonly days: number,
    private readonly notBeforeMs = -Infinity,
  ) {
    this.periodMs = series.periodS * 1000;
    this.wall = new WallClock(timeZone);
  }

  /**
   * The day shift that replays the recording's minute at the current local time of day now,
   * with at least `historyMs` of the recording before it (when the recording is that long;
   * less than a day more): the largest `days` whose shifted start is `historyMs` before now or
   * earlier, in wall-clock time.
   */
  static daysFor(series: Series, timeZone: string, nowMs: number, historyMs: number): number {
    const nowNaive = new WallClock(timeZone).naiveAt(nowMs);
    return Math.floor((nowNaive - historyMs - series.startMs) / DAY_MS);
  }

  /** Whether every sample has been handed out. */
  get done(): boolean {
    return this.next >= this.series.mains.length;
  }

  /** The stamp (epoch ms) of sample `i` after the shift, null where its wall-clock time is skipped. */
  stampOf(i: number): number | null {
    return this.wall.instantOf(this.series.startMs + i * this.periodMs + this.days * DAY_MS);
  }

  /** The samples stamped at or before `wallNowMs` that were not handed out yet. */
  due(wallNowMs: number): StampedReading[] {
    const out: StampedReading[] = [];
    const n = this.series.mains.length;
    while (this.next < n) {
      const ts = this.stampOf(this.next);
      if (ts !== null && ts > wallNowMs) break;
      const v = this.series.mains[this.next]!;
      if (ts !== null && ts >= this.notBeforeMs && Number.isFinite(v)) out.push({ ts, powerW: v });
      this.next++;
    }
    return out;
  }
}
