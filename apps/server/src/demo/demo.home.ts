/**
 * The demo home: a building that replays a committed fortnight of real REFIT data (House 20,
 * CC BY 4.0, see data/README.md) as if its meter were live, so a fresh install shows real
 * disaggregation at once. At least `backfillHours` are written immediately (history for the
 * charts), then the recording streams at `speed` (60 = a recorded minute per second), then it
 * loops in real time. In real time (speed 1, and every loop) the recording is moved by whole
 * days in the home's time zone, so each reading keeps the time of day it was recorded at (the
 * kettle boils at breakfast) and the minute sent now is the one recorded at this time of day.
 * Readings go through the same IngestService as a meter's.
 */
import { ReplayClock, TimeOfDayReplay, readDatasetCsv, type Series } from '@nilm/ml';
import type { MetadataStore, TimeSeriesStore } from '@nilm/stores';
import type { IngestService } from '../services/ingest.service.js';

export const DEMO_BUILDING_ID = 'demo-home';
/** Where the recording was made (REFIT is in the UK); its naive timestamps are wall-clock times there. */
const DEMO_TIME_ZONE = 'Europe/London';
/**
 * What REFIT House 20 has among the model's heads, as its owner would tick them: the four the
 * recording meters, and the fridge-freezer and tumble dryer REFIT metered there too (its one-day
 * file in ../shared/data/refit-day). Heating, shower, cooking, EV and water heating are not
 * electric there (not metered, not listed by REFIT), so their heads are not shown.
 */
export const DEMO_APPLIANCES = [
  'kettle',
  'microwave',
  'dishwasher',
  'washing_machine',
  'fridge_freezer',
  'tumble_dryer',
] as const;

/** A replay handing out the readings due by a wall time. */
interface Replay {
  readonly done: boolean;
  due(wallNowMs: number): Array<{ ts: number; powerW: number }>;
}

export interface DemoOptions {
  dataFile: string;
  speed: number;
  backfillHours?: number;
  ownerId: string;
  metadata: MetadataStore;
  timeseries: TimeSeriesStore;
  ingest: IngestService;
  now?: () => number;
  log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
}

export class DemoHome {
  private timer: NodeJS.Timeout | undefined;
  private clock: Replay | undefined;
  /** Stamp of the last reading handed out: a new loop starts after it. */
  private lastTs = -Infinity;
  private series: Series | undefined;
  private sending = false;
  /** Readings due but not yet stored (kept across a failed tick). */
  private pending: Array<{ ts: number; powerW: number }> = [];
  sent = 0;

  constructor(private readonly opts: DemoOptions) {}

  /** Create the demo building (or reset its data) and start streaming. */
  async start(): Promise<void> {
    const { metadata, timeseries, ownerId } = this.opts;
    const now = this.opts.now ?? Date.now;
    if (!(await metadata.getBuilding(DEMO_BUILDING_ID))) {
      await metadata.createBuilding({
        id: DEMO_BUILDING_ID,
        name: 'Demo home (REFIT House 20)',
        timezone: DEMO_TIME_ZONE,
        isDemo: true,
        modelRef: null,
      });
      // Said once, when the demo home is made: an owner's later choice stays.
      await metadata.setAppliancesPresent(DEMO_BUILDING_ID, DEMO_APPLIANCES);
    }
    await metadata.setMember({ buildingId: DEMO_BUILDING_ID, userId: ownerId, role: 'owner' });
    // The replay stamps its readings relative to now: earlier runs' stamps would interleave.
    await timeseries.deleteBuilding(DEMO_BUILDING_ID);
    this.series = await readDatasetCsv(this.opts.dataFile);
    const backfillMs = (this.opts.backfillHours ?? 24) * 3_600_000;
    // Starting the replay in the past makes its history due at once. Faster than real time the
    // stamps cannot keep their time of day (they would run ahead of the clock).
    this.clock =
      this.opts.speed === 1
        ? new TimeOfDayReplay(
            this.series,
            DEMO_TIME_ZONE,
            TimeOfDayReplay.daysFor(this.series, DEMO_TIME_ZONE, now(), backfillMs),
          )
        : new ReplayClock(this.series, this.opts.speed, now() - backfillMs / this.opts.speed);
    await this.tick();
    this.opts.log.info(
      { building: DEMO_BUILDING_ID, speed: this.opts.speed, readings: this.sent },
      'demo home streaming',
    );
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.sending || !this.clock || !this.series) return;
    this.sending = true;
    try {
      const now = (this.opts.now ?? Date.now)();
      const due = this.clock.due(now);
      if (due.length > 0) this.lastTs = due[due.length - 1]!.ts;
      this.pending.push(...due);
      while (this.pending.length > 0) {
        const batch = this.pending
          .slice(0, 5000)
          .map((r) => ({ ts: r.ts, power_w: Math.round(r.powerW * 10) / 10 }));
        await this.opts.ingest.ingest(DEMO_BUILDING_ID, batch);
        this.pending.splice(0, batch.length);
        this.sent += batch.length;
      }
      // After a pass, loop the recording in real time from the day that holds now's time of day,
      // going on after the last reading sent.
      if (this.clock.done)
        this.clock = new TimeOfDayReplay(
          this.series,
          DEMO_TIME_ZONE,
          TimeOfDayReplay.daysFor(this.series, DEMO_TIME_ZONE, now, 0),
          this.lastTs + 1,
        );
    } catch (e) {
      this.opts.log.warn({ err: e }, 'demo replay batch failed; it is retried on the next tick');
    } finally {
      this.sending = false;
    }
  }

  /** Stop streaming. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
