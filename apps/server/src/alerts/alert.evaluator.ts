/**
 * Evaluating a building's alert rules: called by the worker after a run that wrote estimates,
 * and on a timer for every building with alert settings (a silent meter writes no estimates, so
 * only the timer can see it). Stateless: what it looks at is read from the stores, and what it
 * found is raised with a dedupe key (rule + what happened, e.g. a run's start), which the
 * metadata store keeps unique per building. So any worker may evaluate any building, as often as
 * it likes, and an alert is raised once, also across restarts and with several workers.
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_ALERT_SETTINGS,
  type AlertChannel,
  type AlertChannels,
  type AlertRules,
} from '@nilm/contracts';
import type { InferenceEngine } from '@nilm/ml';
import type { Building, MetadataStore, NewAlert, TimeSeriesStore } from '@nilm/stores';
import { periodEdges } from '../services/readings.service.js';
import { SubmeterScorecardService } from '../services/submeter.scorecard.service.js';
import {
  applianceLabel,
  applianceRuns,
  baseloadOf,
  durationText,
  energyOver,
  median,
} from './alert.detect.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Buckets for the daily rules (baseload, energy per day). */
const DAY_BUCKET_MS = 15 * MIN;
/**
 * A run counts as ended once this long after its last minute on has been estimated: pauses
 * shorter than this inside a run do not end it, and the worker's recomputed half window near the
 * newest estimate has settled by then, so the run's start (its identity) no longer moves.
 */
export const RUN_SETTLE_MS = 15 * MIN;
/** Least look-back for finished runs (a long washing programme fits). */
const FINISHED_LOOKBACK_MS = 6 * HOUR;
/** A day's energy is compared only when this share of it (and of each earlier day) has readings. */
const MIN_COVERAGE = 0.8;

export interface AlertEvaluatorDeps {
  metadata: MetadataStore;
  timeseries: TimeSeriesStore;
  /** The building's model, for `model_drift` (its card's thresholds); without it that rule is skipped. */
  engine?: InferenceEngine;
  now?: () => number;
  log?: { warn: (o: object, m: string) => void };
}

/** A building's saved settings over the defaults (all off when never saved). */
export function effectiveSettings(stored: { rules: unknown; channels: unknown } | null): {
  rules: AlertRules;
  channels: AlertChannels;
} {
  const d = DEFAULT_ALERT_SETTINGS;
  if (!stored) return d;
  return {
    rules: { ...d.rules, ...(stored.rules as Partial<AlertRules>) },
    channels: { ...d.channels, ...(stored.channels as Partial<AlertChannels>) },
  };
}

/** The channels an alert goes out on: those switched on and set up. */
export function activeChannels(c: AlertChannels): AlertChannel[] {
  const out: AlertChannel[] = [];
  if (c.webhook.enabled && c.webhook.url) out.push('webhook');
  if (c.ntfy.enabled && c.ntfy.topic) out.push('ntfy');
  if (c.mqtt.enabled) out.push('mqtt');
  if (c.push.enabled) out.push('push');
  return out;
}

export class AlertEvaluator {
  private readonly now: () => number;
  /** The local date each building's drift was last judged on by this process (saves a query). */
  private readonly driftJudged = new Map<string, string>();

  constructor(private readonly deps: AlertEvaluatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Evaluate every rule the building has switched on and raise what is new; resolves to the
   * alerts raised now (an alert raised before, by this or another worker, is not among them).
   */
  async evaluate(buildingId: string): Promise<NewAlert[]> {
    const { metadata } = this.deps;
    const stored = await metadata.getAlertSettings(buildingId);
    if (!stored) return [];
    const building = await metadata.getBuilding(buildingId);
    if (!building) return [];
    const { rules, channels } = effectiveSettings(stored);
    const found: NewAlert[] = [];
    const now = this.now();
    if (rules.appliance_finished.enabled || rules.left_on.enabled)
      found.push(...(await this.runs(buildingId, rules)));
    if (rules.baseload_rise.enabled || rules.unusual_day.enabled)
      found.push(...(await this.days(buildingId, building.timezone, rules, now)));
    if (rules.meter_silent.enabled) found.push(...(await this.silent(buildingId, rules, now)));
    if (rules.model_drift.enabled) found.push(...(await this.drift(building, now)));
    const raised: NewAlert[] = [];
    const on = activeChannels(channels);
    for (const a of found) if (await metadata.raiseAlert(a, on)) raised.push(a);
    return raised;
  }

  /** Evaluate every building with alert settings (the timer); one failing building does not stop the rest. */
  async evaluateAll(): Promise<NewAlert[]> {
    const raised: NewAlert[] = [];
    for (const s of await this.deps.metadata.listAlertSettings()) {
      try {
        raised.push(...(await this.evaluate(s.buildingId)));
      } catch (e) {
        this.deps.log?.warn({ err: e, buildingId: s.buildingId }, 'alert evaluation failed');
      }
    }
    return raised;
  }

  /** Appliance runs that finished, and runs on for longer than their limit. */
  private async runs(buildingId: string, rules: AlertRules): Promise<NewAlert[]> {
    const { timeseries } = this.deps;
    const latest = await timeseries.latestEstimateTs(buildingId);
    if (latest === null) return [];
    const limits = rules.left_on.enabled ? rules.left_on.limits : [];
    const longest = Math.max(0, ...limits.map((l) => l.hours * HOUR));
    // Twice the longest limit: a run that passed its limit did so while its start was in view.
    const lookback = Math.min(Math.max(FINISHED_LOOKBACK_MS, 2 * longest + HOUR), 6 * DAY);
    const from = latest - lookback;
    const buckets = await timeseries.readBuckets(buildingId, from, latest + MIN, 60);
    const out: NewAlert[] = [];
    if (rules.appliance_finished.enabled) {
      const f = rules.appliance_finished;
      for (const appliance of f.appliances) {
        for (const run of applianceRuns(buckets, appliance, RUN_SETTLE_MS)) {
          const long = run.endMs - run.startMs >= f.min_run_minutes * MIN;
          const ended = run.endMs + RUN_SETTLE_MS <= latest;
          // A run that began before the look-back has an unknown start (and was told of then).
          if (!long || !ended || run.startMs <= from) continue;
          const label = applianceLabel(appliance);
          out.push({
            buildingId,
            kind: 'appliance_finished',
            dedupeKey: `appliance_finished:${appliance}:${run.startMs}`,
            title: `${label} finished`,
            message: `${label} finished after ${durationText(run.endMs - run.startMs)}.`,
            at: run.endMs,
            data: { appliance, start: run.startMs, end: run.endMs },
          });
        }
      }
    }
    for (const limit of limits) {
      for (const run of applianceRuns(buckets, limit.appliance, RUN_SETTLE_MS)) {
        const onFor = run.endMs - run.startMs;
        const still = run.endMs + RUN_SETTLE_MS > latest;
        if (!still || onFor < limit.hours * HOUR || run.startMs <= from) continue;
        const label = applianceLabel(limit.appliance);
        out.push({
          buildingId,
          kind: 'left_on',
          dedupeKey: `left_on:${limit.appliance}:${run.startMs}`,
          title: `${label} still on`,
          message: `${label} has been on for ${durationText(onFor)} (limit ${limit.hours} h).`,
          at: run.startMs + limit.hours * HOUR,
          data: { appliance: limit.appliance, start: run.startMs, hours: limit.hours },
        });
      }
    }
    return out;
  }

  /** The daily rules: the always-on load against earlier weeks, today against the same weekday. */
  private async days(
    buildingId: string,
    timeZone: string,
    rules: AlertRules,
    now: number,
  ): Promise<NewAlert[]> {
    const b = rules.baseload_rise;
    const u = rules.unusual_day;
    const span =
      Math.max(b.enabled ? b.recent_days + b.baseline_days : 0, u.enabled ? u.weeks * 7 : 0) + 1;
    const edges = periodEdges(now - span * DAY, now + 1, 'day', timeZone);
    // edges[today] is the start of the local day that holds `now`.
    const today = edges.findLastIndex((e) => e <= now);
    if (today < 1) return [];
    const buckets = await this.deps.timeseries.readBuckets(
      buildingId,
      edges[0]!,
      now,
      DAY_BUCKET_MS / 1000,
    );
    const dateOf = (ms: number): string =>
      new Intl.DateTimeFormat('en-CA', { timeZone }).format(ms);
    const out: NewAlert[] = [];
    if (b.enabled) {
      const loads = (first: number, last: number): number[] => {
        const v: number[] = [];
        for (let i = Math.max(0, first); i < last; i++) {
          const x = baseloadOf(buckets, edges[i]!, edges[i + 1]!, DAY_BUCKET_MS);
          if (x !== null) v.push(x);
        }
        return v;
      };
      // Whole days only: today's lowest so far is not yet its baseload.
      const recent = loads(today - b.recent_days, today);
      const baseline = loads(today - b.recent_days - b.baseline_days, today - b.recent_days);
      const r = median(recent);
      const base = median(baseline);
      if (
        recent.length >= Math.ceil(b.recent_days / 2) &&
        baseline.length >= Math.min(7, b.baseline_days) &&
        r > base * (1 + b.rise_percent / 100) &&
        r - base >= b.min_rise_w
      ) {
        // Once a week at most while it stays high: the key is the local week's Monday.
        const week = periodEdges(now, now + 1, 'week', timeZone)[0]!;
        out.push({
          buildingId,
          kind: 'baseload_rise',
          dedupeKey: `baseload_rise:${dateOf(week)}`,
          title: 'Always-on load rose',
          message: `The always-on load was ${Math.round(r)} W over the last ${b.recent_days} days, up from ${Math.round(base)} W (+${Math.round(((r - base) / base) * 100)} %). Something new is on all the time, or an appliance (a fridge?) is failing.`,
          at: now,
          data: { recent_w: r, baseline_w: base },
        });
      }
    }
    if (u.enabled && now - edges[today]! >= u.min_hours * HOUR) {
      const elapsed = now - edges[today]!;
      const todayE = energyOver(buckets, edges[today]!, now, DAY_BUCKET_MS);
      const earlier: number[] = [];
      for (let k = 1; k <= u.weeks; k++) {
        const i = today - 7 * k;
        if (i < 0) break;
        const e = energyOver(buckets, edges[i]!, edges[i]! + elapsed, DAY_BUCKET_MS);
        if (e.coverage >= MIN_COVERAGE) earlier.push(e.kwh);
      }
      const m = median(earlier);
      if (todayE.coverage >= MIN_COVERAGE && earlier.length >= 2 && m > 0) {
        const change = ((todayE.kwh - m) / m) * 100;
        if (Math.abs(change) >= u.percent) {
          const weekday = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long' }).format(
            now,
          );
          out.push({
            buildingId,
            kind: 'unusual_day',
            dedupeKey: `unusual_day:${dateOf(edges[today]!)}`,
            title: change > 0 ? 'Unusually high use today' : 'Unusually low use today',
            message: `${todayE.kwh.toFixed(1)} kWh so far today, against ${m.toFixed(1)} kWh by this time on a usual ${weekday} (${change > 0 ? '+' : ''}${Math.round(change)} %).`,
            at: now,
            data: { kwh: todayE.kwh, median_kwh: m, weeks: earlier.length },
          });
        }
      }
    }
    return out;
  }

  /**
   * Appliances whose estimate drifted from their sub-meter (the live scorecard), judged once per
   * building and local day: the first evaluation of the day claims the judgement through a
   * server-wide value that exactly one caller creates (so several workers judge it once, and
   * the 30-day comparison is not redone every pass), and each drifted appliance is raised with a
   * key of its own for that day. A claimed judgement that fails is not redone that day.
   */
  private async drift(building: Building, now: number): Promise<NewAlert[]> {
    const { engine, metadata } = this.deps;
    if (!engine) return [];
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: building.timezone }).format(now);
    if (this.driftJudged.get(building.id) === date) return [];
    const token = randomUUID();
    const claim = await metadata.serverValue(`model_drift:${building.id}:${date}`, () => token);
    this.driftJudged.set(building.id, date);
    if (claim !== token) return [];
    const card = await new SubmeterScorecardService({
      ...this.deps,
      engine,
      now: () => now,
    }).scorecard(building);
    return card.appliances
      .filter((a) => a.drift.status === 'drifted')
      .map((a) => ({
        buildingId: building.id,
        kind: 'model_drift',
        dedupeKey: `model_drift:${a.appliance}:${date}`,
        title: `${a.label} estimate drifted`,
        message: a.drift.message!,
        at: card.endMs,
        data: {
          appliance: a.appliance,
          model: card.model,
          reasons: a.drift.reasons,
          f1_7d: a.last7Days.f1,
          mae_w_7d: a.last7Days.maeW,
          energy_error_7d: a.last7Days.energyError,
        },
      }));
  }

  /** The meter sent nothing for the rule's minutes: one alert per silence (keyed by the last reading). */
  private async silent(buildingId: string, rules: AlertRules, now: number): Promise<NewAlert[]> {
    const last = await this.deps.timeseries.latestReadingTs(buildingId);
    if (last === null || now - last < rules.meter_silent.minutes * MIN) return [];
    return [
      {
        buildingId,
        kind: 'meter_silent',
        dedupeKey: `meter_silent:${last}`,
        title: 'Meter silent',
        message: `No reading since ${new Date(last).toISOString()} (${durationText(now - last)}). Check the meter's power and network.`,
        at: last,
        data: { last_reading: last },
      },
    ];
  }
}
