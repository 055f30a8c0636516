/**
 * Gathers the parts of one source's messages into readings. P1 dongles and DSMR-reader publish
 * each value on its own topic, Shelly NotifyStatus frames carry only what changed, and a Shelly
 * EM's channels come on separate topics: the assembler keeps the latest value of each part and,
 * when asked, builds a reading from the parts seen within a window. A message that states its
 * source's whole state (`complete`) replaces everything known before, so values from different
 * moments are never mixed.
 *
 * It holds state in memory but does no I/O and reads no clock: the caller passes arrival times.
 * For sources whose values arrive as a burst (a P1 telegram is a dozen topics within
 * milliseconds), read once the burst is over (e.g. 250 ms after the last message), not after
 * every message, or a reading may mix this telegram's total with the last one's phases.
 */
import {
  DEFAULT_PHASE_TOLERANCE,
  type MessageParts,
  type PhaseTolerance,
  type PowerPart,
  type SourceReading,
  toReading,
} from './reading.rules.js';
import type { Outcome } from './source.errors.js';

export interface AssemblerOptions {
  /** Parts older than this (by arrival) are forgotten. Default 10 000 ms. */
  windowMs?: number;
  tolerance?: PhaseTolerance;
}

export class ReadingAssembler {
  private readonly parts = new Map<string, { part: PowerPart; atMs: number }>();
  private ts: { value: number; atMs: number } | undefined;
  private phaseCount: number | undefined;
  private readonly windowMs: number;
  private readonly tolerance: PhaseTolerance;

  constructor(options: AssemblerOptions = {}) {
    this.windowMs = options.windowMs ?? 10_000;
    this.tolerance = options.tolerance ?? DEFAULT_PHASE_TOLERANCE;
  }

  /** Takes in one parsed message that arrived at `atMs` (epoch ms). */
  add(message: MessageParts, atMs: number): void {
    if (message.complete) {
      this.parts.clear();
      this.ts = undefined;
    }
    for (const part of message.parts) {
      this.parts.set(`${part.quantity}:${part.phase ?? ''}`, { part, atMs });
    }
    if (message.ts !== undefined) this.ts = { value: message.ts, atMs };
    if (message.phaseCount !== undefined) this.phaseCount = message.phaseCount;
  }

  /**
   * The reading made of the parts that arrived within the window before `atMs`, validated like
   * any reading (range, phase sum); undefined when no part is fresh.
   */
  read(atMs: number): Outcome<SourceReading> | undefined {
    for (const [key, entry] of this.parts) {
      if (atMs - entry.atMs > this.windowMs) this.parts.delete(key);
    }
    if (this.ts && atMs - this.ts.atMs > this.windowMs) this.ts = undefined;
    if (this.parts.size === 0) return undefined;
    const message: MessageParts = { parts: [...this.parts.values()].map((e) => e.part) };
    if (this.ts) message.ts = this.ts.value;
    if (this.phaseCount !== undefined) message.phaseCount = this.phaseCount;
    return toReading(message, this.tolerance);
  }

  /** Forgets everything (a source reconfigured or reconnected). */
  clear(): void {
    this.parts.clear();
    this.ts = undefined;
    this.phaseCount = undefined;
  }
}
