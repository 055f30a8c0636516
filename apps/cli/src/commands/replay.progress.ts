/**
 * The progress lines of `nilm replay` on stderr: readings sent, the recording time they reached
 * (and what share of the recording that is), wall time elapsed; one line every 10 s of a long
 * replay and one at the end.
 */
import type { Series, StampedReading } from '@nilm/ml';
import { formatDuration } from '../progress.js';
import { note } from './replay.shared.js';

const PROGRESS_EVERY_MS = 10_000;

/** Counts what was sent and reports it; `start` is the wall time the replay clock started. */
export class ReplayProgress {
  private sent = 0;
  private lastSentTs: number | undefined;
  private lastLine: number;
  /** ReplayClock's documented stamping, inverted: stamp minus this is the recording time. */
  private readonly stampShiftMs: number;

  constructor(
    private readonly series: Series,
    private readonly durationMs: number,
    speed: number,
    private readonly start: number,
  ) {
    this.lastLine = start;
    this.stampShiftMs = start - series.startMs - (durationMs - durationMs / speed);
  }

  /** The first `n` readings of `batch` were delivered. */
  delivered(batch: readonly StampedReading[], n: number): void {
    this.sent += n;
    if (n > 0) this.lastSentTs = batch[n - 1]!.ts;
  }

  /** Print a line when the last one is 10 s old. */
  tick(): void {
    if (Date.now() - this.lastLine >= PROGRESS_EVERY_MS) {
      this.line();
      this.lastLine = Date.now();
    }
  }

  /** Print a line now. */
  line(): void {
    const reached =
      this.lastSentTs === undefined
        ? 'nothing yet'
        : `${new Date(this.lastSentTs - this.stampShiftMs).toISOString()} (${((100 * (this.lastSentTs - this.stampShiftMs - this.series.startMs)) / this.durationMs).toFixed(1)} % of the recording)`;
    note(
      `${this.sent} readings sent, data time reached ${reached}, ${formatDuration((Date.now() - this.start) / 1000)} elapsed`,
    );
  }
}
