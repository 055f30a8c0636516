/**
 * Found devices (issue 13.1): a discovery pass over a building's history reads its mains and the
 * model's estimates per minute from the time-series store, finds the repeated loads the model
 * does not explain (`discoverDevices` in @nilm/ml), and records them in the metadata store,
 * updating the devices found before instead of adding them again.
 *
 * Run on demand through the API, and once a day per building by the worker (`tick`): each
 * building has an hour of the UTC day (from its id) from which its daily pass is due, and the
 * pass is claimed through a server-wide value named by building and day, which exactly one
 * caller creates, so with several workers each building is discovered once a day, by one of
 * them, and nothing is kept in a process. A claimed pass that fails is not retried that day.
 *
 * As readings arrive (`afterEstimates`, after a worker's run that wrote estimates): a pass over
 * the last RECENT_SPAN_MS, at most once per RECENT_EVERY_MS per building in a process (a few
 * workers may each run one; the result is the same). It merges into the devices stored: a
 * device it finds again keeps its daily pass's rates and gains the new runs (its run list and
 * span extended, its runs counted again); only a device no stored one matches is added.
 *
 * A named device becomes one of the building's appliances: its runs are written as estimates
 * under its name (else its appliance type), its step power over each run's minutes, when it is
 * named (the runs of the pass that last saw it) and on every later pass (its new runs). Passes
 * leave those estimates out of what the model explains, so the device keeps being found.
 * Once the building's own model has a head of that name (a fine-tune taught it the device, and
 * the owner activated it), the model estimates the device at every minute and these run-based
 * estimates are no longer written: both under one name would overwrite each other minute by
 * minute, and the device's energy would be counted from two different sources.
 */
import { createHash, randomUUID } from 'node:crypto';
import { zoneClock } from '@nilm/contracts';
import { deviceLetters, discoverDevices, findAppliance, sameDevice } from '@nilm/ml';
import type {
  Building,
  DiscoveryRecorded,
  FoundDeviceRecord,
  FoundDeviceStats,
  MetadataStore,
  TimeSeriesStore,
} from '@nilm/stores';
import { ApiError } from '../errors.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The span a daily pass looks at: the last 30 days. */
export const DAILY_SPAN_MS = 30 * DAY_MS;
/** Most buildings one tick discovers (the rest are due on the next tick). */
const TICK_LIMIT = 20;
/** A tick sooner than this after the last one of this process does nothing (fewer queries). */
const TICK_EVERY_MS = 5 * 60_000;
/** The span a pass as readings arrive looks at: the last 2 days. */
export const RECENT_SPAN_MS = 2 * DAY_MS;
/** A building's pass as readings arrive runs at most this often (per process). */
export const RECENT_EVERY_MS = 3_600_000;
/** `modelVersion` stored with the estimates of named devices. */
export const DEVICE_ESTIMATES_VERSION = 'found-devices@1';

/** The appliance name a device's estimates are stored under: null while it is not named. */
export function estimateName(d: FoundDeviceRecord): string | null {
  return d.status === 'named' ? (d.name ?? d.appliance) : null;
}

/**
 * The model head a named device's estimates stand for: the estimate name, or its canonical name
 * when it is one of the vocabulary (a device named "Kettle" is the kettle head).
 */
export function headName(estimate: string): string {
  return findAppliance(estimate)?.name ?? estimate;
}

/** What one pass found and recorded. */
export interface DiscoveryPass extends DiscoveryRecorded {
  fromMs: number;
  toMs: number;
  coveredDays: number;
  baseloadW: number;
  thresholdW: number;
  runsFound: number;
  /** Every device of the building after the pass. */
  devices: FoundDeviceRecord[];
}

export interface DiscoveryDeps {
  timeseries: TimeSeriesStore;
  metadata: MetadataStore;
  now?: () => number;
  log?: { warn: (o: object, m: string) => void };
}

/** The hour of the UTC day (0..23) from which a building's daily pass is due. */
export function dailySlotHour(buildingId: string): number {
  return createHash('sha256').update(buildingId).digest()[0] % 24;
}

/**
 * A stored device's stats with a recent pass's runs added: its rates and profile stay those of
 * the longer pass; its run list gains the runs that start after its last one, its span and run
 * count follow, and its examples are the newest.
 */
export function mergeStats(stored: FoundDeviceStats, recent: FoundDeviceStats): FoundDeviceStats {
  const before = stored.runList ?? [];
  const last = before.reduce((m, r) => Math.max(m, r.startMs), -Infinity);
  const added = (recent.runList ?? []).filter((r) => r.startMs > last);
  const runList = [...before, ...added];
  return {
    ...stored,
    runs: stored.runs + added.length,
    fromMs: Math.min(stored.fromMs, recent.fromMs),
    toMs: Math.max(stored.toMs, recent.toMs),
    examples: added.length > 0 ? recent.examples : stored.examples,
    runList,
  };
}

export class DiscoveryService {
  private readonly now: () => number;
  private lastTick = -Infinity;
  /** When each building's last pass as readings arrive started (this process). */
  private readonly lastRecent = new Map<string, number>();

  constructor(private readonly deps: DiscoveryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Discover over [fromMs, toMs) (whole minutes) and record the devices. Answers 422, changing
   * nothing, when the span holds too few readings to say anything.
   */
  async discover(
    building: Building,
    fromMs: number,
    toMs: number,
    opts: { merge?: boolean } = {},
  ): Promise<DiscoveryPass> {
    const from = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
    const to = Math.ceil(toMs / MINUTE_MS) * MINUTE_MS;
    const n = Math.max(0, (to - from) / MINUTE_MS);
    const mains = new Float64Array(n).fill(NaN);
    const explained = new Float64Array(n);
    // Named devices' own estimates explain nothing here, or they would never be found again.
    const stored = await this.deps.metadata.listFoundDevices(building.id);
    const own = new Set(stored.map(estimateName).filter((x) => x !== null));
    for (const b of await this.deps.timeseries.readBuckets(building.id, from, to, 60)) {
      const i = Math.round((b.ts - from) / MINUTE_MS);
      if (i < 0 || i >= n) continue;
      mains[i] = b.powerW ?? NaN;
      for (const [name, a] of Object.entries(b.appliances))
        if (!own.has(name)) explained[i] += a.powerW;
    }
    const minuteOfDay = zoneClock(building.timezone);
    const result = discoverDevices(
      { startMs: from, periodS: 60, mains, explained },
      { hourOf: (ms) => Math.floor(minuteOfDay(ms) / 60) },
    );
    if (result.insufficient !== null) {
      throw new ApiError(
        'VALIDATION_WINDOW',
        `no devices can be found from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}: ${result.insufficient}; choose a span with more readings`,
        { covered_days: result.coveredDays },
      );
    }
    const taken = new Set<string>();
    const recorded = await this.deps.metadata.recordDiscovery(
      building.id,
      result.devices.map((d) => {
        const stats: FoundDeviceStats = {
          runs: d.runs,
          runsPerDay: d.runsPerDay,
          energyPerMonthKWh: d.energyPerMonthKWh,
          hourProfile: d.hourProfile,
          examples: d.examples,
          fromMs: from,
          toMs: to,
          runList: d.runTimes.map((t) => ({ startMs: t.startMs, endMs: t.endMs, powerW: t.stepW })),
        };
        // The store matches in the same order (first untaken stored device that is the same).
        const match = opts.merge
          ? stored.find((x) => !taken.has(x.id) && sameDevice(x.signature, d.signature))
          : undefined;
        if (match) taken.add(match.id);
        return {
          signature: match && opts.merge ? match.signature : d.signature,
          stats: match ? mergeStats(match.stats, stats) : stats,
        };
      }),
      { same: sameDevice, label: (i) => `Device ${deviceLetters(i)}` },
    );
    const heads = await this.modelHeads(building);
    for (const d of recorded.devices) await this.estimate(building, d, heads);
    return {
      ...recorded,
      fromMs: from,
      toMs: to,
      coveredDays: result.coveredDays,
      baseloadW: result.baseloadW,
      thresholdW: result.thresholdW,
      runsFound: result.runsFound,
      devices: await this.deps.metadata.listFoundDevices(building.id),
    };
  }

  /**
   * The worker's daily passes: discover, over the last 30 days, the buildings whose pass is due
   * and that this caller claims (at most a few per call). Resolves to the ids discovered; never
   * rejects (a failed pass is logged).
   */
  async tick(): Promise<string[]> {
    const now = this.now();
    if (now - this.lastTick < TICK_EVERY_MS) return [];
    this.lastTick = now;
    const day = new Date(now).toISOString().slice(0, 10);
    const hour = new Date(now).getUTCHours();
    const token = randomUUID();
    const done: string[] = [];
    try {
      for (const b of await this.deps.metadata.listBuildings()) {
        if (done.length >= TICK_LIMIT) break;
        if (dailySlotHour(b.id) > hour) continue;
        const claim = await this.deps.metadata.serverValue(`discovery:${b.id}:${day}`, () => token);
        if (claim !== token) continue;
        done.push(b.id);
        try {
          await this.discover(b, now - DAILY_SPAN_MS, now);
        } catch (e) {
          // Too few readings is the normal state of a new building: not worth a warning.
          if (!(e instanceof ApiError && e.code === 'VALIDATION_WINDOW'))
            this.deps.log?.warn({ err: e, buildingId: b.id }, 'device discovery pass failed');
        }
      }
    } catch (e) {
      this.deps.log?.warn({ err: e }, 'device discovery tick failed; retrying on the next one');
    }
    return done;
  }

  /**
   * After a run that wrote estimates for a building: a merging pass over its recent readings,
   * unless one ran in this process within RECENT_EVERY_MS. Resolves to whether it ran; never
   * rejects (too few readings is normal; another failure is logged).
   */
  async afterEstimates(buildingId: string): Promise<boolean> {
    const now = this.now();
    if (now - (this.lastRecent.get(buildingId) ?? -Infinity) < RECENT_EVERY_MS) return false;
    this.lastRecent.set(buildingId, now);
    try {
      const b = await this.deps.metadata.getBuilding(buildingId);
      if (!b) return false;
      await this.discover(b, now - RECENT_SPAN_MS, now, { merge: true });
      return true;
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'VALIDATION_WINDOW'))
        this.deps.log?.warn({ err: e, buildingId }, 'device discovery as readings arrive failed');
      return false;
    }
  }

  /** Name a device and/or set its appliance type (an alias is stored as its canonical name). */
  async name(
    building: Building,
    id: string,
    patch: { name?: string | null; appliance?: string | null },
  ): Promise<FoundDeviceRecord> {
    let appliance = patch.appliance;
    if (typeof appliance === 'string') {
      const spec = findAppliance(appliance);
      if (!spec)
        throw new ApiError(
          'VALIDATION_FAILED',
          `"${appliance}" is not an appliance type this server knows; use one of its appliance names (kettle, fridge, washing_machine, ...) or leave appliance out and give a name`,
          { field: 'appliance', value: appliance },
        );
      appliance = spec.name;
    }
    const name = typeof patch.name === 'string' ? patch.name.trim() : patch.name;
    if (name === '')
      throw new ApiError('VALIDATION_FAILED', 'name is blank; give a name or null to clear it', {
        field: 'name',
      });
    const d = await this.deps.metadata.nameFoundDevice(building.id, id, {
      ...(patch.name !== undefined && { name }),
      ...(patch.appliance !== undefined && { appliance }),
    });
    if (!d) return this.refusal(building, id, 'named');
    await this.estimate(building, d);
    return d;
  }

  /** The heads of the building's own model in use (a pinned model's card); empty for another. */
  private async modelHeads(building: Building): Promise<Set<string>> {
    if (!building.modelRef) return new Set();
    const m = (await this.deps.metadata.listPinnedModels(building.id)).find(
      (x) => x.ref === building.modelRef,
    );
    const card = m?.card as { appliances?: { name: string }[] } | undefined;
    return new Set((card?.appliances ?? []).map((a) => a.name));
  }

  /**
   * Write a named device's runs as estimates under its name (nothing for other devices, nor for
   * one the building's model has a head for: the model estimates it, see the module comment).
   */
  private async estimate(
    building: Building,
    d: FoundDeviceRecord,
    heads?: ReadonlySet<string>,
  ): Promise<void> {
    const appliance = estimateName(d);
    if (appliance === null) return;
    if ((heads ?? (await this.modelHeads(building))).has(headName(appliance))) return;
    const buildingId = building.id;
    const points = (d.stats.runList ?? []).flatMap((r) =>
      Array.from({ length: Math.round((r.endMs - r.startMs) / MINUTE_MS) }, (_, k) => ({
        ts: r.startMs + k * MINUTE_MS,
        appliance,
        powerW: r.powerW,
        onProb: 1,
      })),
    );
    if (points.length > 0)
      await this.deps.timeseries.writeEstimates(buildingId, DEVICE_ESTIMATES_VERSION, points);
  }

  /** Dismiss a found or named device. */
  async dismiss(building: Building, id: string): Promise<FoundDeviceRecord> {
    return (
      (await this.deps.metadata.dismissFoundDevice(building.id, id)) ??
      this.refusal(building, id, 'dismissed')
    );
  }

  /** Merge a found or named device into another of the building. */
  async merge(building: Building, id: string, intoId: string): Promise<FoundDeviceRecord> {
    if (id === intoId)
      throw new ApiError('VALIDATION_FAILED', 'a device cannot be merged into itself', {
        field: 'into',
      });
    const into = await this.deps.metadata.getFoundDevice(building.id, intoId);
    if (!into)
      throw new ApiError(
        'VALIDATION_FAILED',
        `no device "${intoId}" in building "${building.id}" to merge into`,
        { field: 'into', value: intoId },
      );
    if (into.status === 'dismissed' || into.status === 'merged')
      throw new ApiError(
        'CONFLICT',
        `${into.label} is ${into.status}; merge into a device that is found or named`,
        { into: intoId, status: into.status },
      );
    return (
      (await this.deps.metadata.mergeFoundDevice(building.id, id, intoId)) ??
      this.refusal(building, id, 'merged')
    );
  }

  /** Why a change found nothing to change: no such device (404), or its status (409). */
  private async refusal(building: Building, id: string, verb: string): Promise<never> {
    const d = await this.deps.metadata.getFoundDevice(building.id, id);
    if (!d) throw new ApiError('NOT_FOUND', `no device "${id}" in building "${building.id}"`);
    throw new ApiError(
      'CONFLICT',
      `${d.label} is ${d.status}${d.status === 'merged' ? ` into ${d.mergedInto}` : ''}; only a found or named device can be ${verb}`,
      { status: d.status },
    );
  }
}
