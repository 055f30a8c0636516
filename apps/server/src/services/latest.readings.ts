/**
 * The newest reading of each building that this process stored, kept in memory so that a live
 * stream opening on a building shows its power at once, without waiting for the store behind the
 * dashboard's heavier queries. What other processes wrote is not here: the live hub still reads
 * the store, and this only lets it answer first.
 */
import type { Reading } from '@nilm/stores';

export class LatestReadings {
  private readonly newest = new Map<string, Reading>();

  /** At most this many buildings are kept; the least recently written go first. */
  constructor(private readonly maxBuildings = 10_000) {}

  /** Note a stored batch (any order); a batch of older readings (an import) changes nothing. */
  note(buildingId: string, readings: readonly Reading[]): void {
    let top = this.newest.get(buildingId);
    for (const r of readings) if (!top || r.ts > top.ts) top = r;
    if (!top) return;
    // Re-inserted so the map's order is the order of last writes.
    this.newest.delete(buildingId);
    this.newest.set(buildingId, { ts: top.ts, powerW: top.powerW });
    if (this.newest.size > this.maxBuildings) {
      const oldest = this.newest.keys().next().value;
      if (oldest !== undefined) this.newest.delete(oldest);
    }
  }

  /** The newest reading this process stored for `buildingId`, if any. */
  get(buildingId: string): Reading | undefined {
    return this.newest.get(buildingId);
  }

  /** Forget a building (it was deleted). */
  forget(buildingId: string): void {
    this.newest.delete(buildingId);
  }
}
