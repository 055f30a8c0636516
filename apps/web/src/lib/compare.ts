/**
 * Compare: this week so far against the same days and hours of last week, and this month so far
 * against the same days of that month a year before, per appliance (plus Other, Baseload and
 * Total), in the building's local calendar. Pure: the windows to ask `/energy?period=span` for,
 * and what the two answers say.
 */
import { zonedClock, zonedTime, type EnergyResponse } from '@nilm/contracts';
import { currentLocale, i18n } from '../i18n/i18n.setup.js';
import { applianceName, formatNumber } from './format.js';

export type CompareMode = 'week' | 'month';

type EnergyPeriod = EnergyResponse['periods'][number];

/** A stretch of time as the API takes it (ISO instants, end exclusive). */
export interface Window {
  start: string;
  end: string;
}

/** The two stretches compared: `now` so far, and the same stretch of the period `before`. */
export interface CompareWindows {
  mode: CompareMode;
  now: Window;
  before: Window;
}

/**
 * Minutes left off the end of "so far": the last minutes' readings may not have arrived yet, and
 * counting them as missing would make a healthy meter look partial.
 */
const ARRIVAL_GRACE_MIN = 2;

/**
 * The windows compared at `now` in `timeZone`: this week from Monday 00:00 (or this month from
 * the 1st) up to now, and last week (or the same month last year) from its start to the same
 * local day and time of day. Where that day does not exist last year (29 February), the whole
 * month is compared. Undefined while less than a minute of the period has passed.
 */
export function compareWindows(
  mode: CompareMode,
  now: Date,
  timeZone: string,
): CompareWindows | undefined {
  // Whole minutes, so both windows (and the queries' cache keys) change once a minute.
  const endMs = Math.floor(now.getTime() / 60_000) * 60_000 - ARRIVAL_GRACE_MIN * 60_000;
  const c = zonedClock(new Date(endMs), timeZone);
  const iso = (ms: number) => new Date(ms).toISOString();
  if (mode === 'week') {
    const monday = c.d - c.weekday;
    const start = zonedTime(c.y, c.m, monday, 0, 0, timeZone);
    if (endMs - start < 60_000) return undefined;
    return {
      mode,
      now: { start: iso(start), end: iso(endMs) },
      before: {
        start: iso(zonedTime(c.y, c.m, monday - 7, 0, 0, timeZone)),
        end: iso(zonedTime(c.y, c.m, c.d - 7, c.h, c.mi, timeZone)),
      },
    };
  }
  const start = zonedTime(c.y, c.m, 1, 0, 0, timeZone);
  if (endMs - start < 60_000) return undefined;
  const lastYearDays = new Date(Date.UTC(c.y - 1, c.m, 0)).getUTCDate();
  const beforeEnd =
    c.d > lastYearDays
      ? zonedTime(c.y - 1, c.m + 1, 1, 0, 0, timeZone)
      : zonedTime(c.y - 1, c.m, c.d, c.h, c.mi, timeZone);
  return {
    mode,
    now: { start: iso(start), end: iso(endMs) },
    before: { start: iso(zonedTime(c.y - 1, c.m, 1, 0, 0, timeZone)), end: iso(beforeEnd) },
  };
}

/** Shares of a window with readings (or with estimates) at or above this are compared. */
export const COMPARABLE_COVERAGE = 0.95;

/** Changes smaller than this (kWh) are not news: they never name "what changed most". */
export const MIN_CHANGE_KWH = 0.1;

/** Whether a window's readings are complete enough to compare. */
export type DataState = 'complete' | 'partial' | 'none';

export interface CompareRow {
  /** Appliance name, or `other`, `baseload`, `total`. */
  key: string;
  label: string;
  kind: 'appliance' | 'other' | 'baseload' | 'total';
  /** kWh in each window; null where the window has no readings. */
  nowKwh: number | null;
  beforeKwh: number | null;
  /** now - before in kWh; null where the two cannot fairly be compared. */
  changeKwh: number | null;
  /** The change as a share of before (0.35 is +35 %); null as above or where before is 0. */
  changePct: number | null;
}

export interface Comparison {
  /** Appliances (most used now first), then Other, Baseload and Total. */
  rows: CompareRow[];
  now: { state: DataState; coverage: number; estimated: number | null };
  before: { state: DataState; coverage: number; estimated: number | null };
  /** The appliance, Other or Baseload with the largest change of at least MIN_CHANGE_KWH. */
  biggest: CompareRow | undefined;
}

function stateOf(p: EnergyPeriod | undefined): DataState {
  if (!p || p.coverage <= 0) return 'none';
  return p.coverage >= COMPARABLE_COVERAGE ? 'complete' : 'partial';
}

/** Whether the per-appliance split (appliances and Other) is known for enough of a window. */
function splitKnown(estimated: number | null | undefined): boolean {
  return (estimated ?? 0) >= COMPARABLE_COVERAGE;
}

/**
 * Compare the `/energy?period=span` answers for two windows. Numbers are shown for any window
 * with readings; a change only where both windows are complete (and, for appliances and Other,
 * both have per-appliance estimates), so a gap in the data never reads as a drop in use.
 * `labels` names appliances (the key, made readable, where it has none).
 */
export function compareEnergy(
  now: EnergyPeriod | undefined,
  before: EnergyPeriod | undefined,
  labels: ReadonlyMap<string, string> = new Map(),
): Comparison {
  const nowState = stateOf(now);
  const beforeState = stateOf(before);
  const bothComplete = nowState === 'complete' && beforeState === 'complete';
  const splitComparable =
    bothComplete && splitKnown(now?.estimate_coverage) && splitKnown(before?.estimate_coverage);
  const value = (p: EnergyPeriod | undefined, get: (p: EnergyPeriod) => number | undefined) =>
    p && p.coverage > 0 ? (get(p) ?? 0) : null;
  const row = (
    key: string,
    label: string,
    kind: CompareRow['kind'],
    get: (p: EnergyPeriod) => number | undefined,
  ): CompareRow => {
    const nowKwh = value(now, get);
    const beforeKwh = value(before, get);
    const comparable = kind === 'appliance' || kind === 'other' ? splitComparable : bothComplete;
    const changeKwh =
      comparable && nowKwh !== null && beforeKwh !== null ? nowKwh - beforeKwh : null;
    const changePct = changeKwh !== null && beforeKwh ? changeKwh / beforeKwh : null;
    return { key, label, kind, nowKwh, beforeKwh, changeKwh, changePct };
  };
  const names = [
    ...new Set([...Object.keys(now?.appliances ?? {}), ...Object.keys(before?.appliances ?? {})]),
  ];
  const appliances = names
    .map((a) => row(a, applianceName(a, labels.get(a)), 'appliance', (p) => p.appliances[a]))
    .sort((x, y) => (y.nowKwh ?? 0) - (x.nowKwh ?? 0) || x.label.localeCompare(y.label));
  const rows = [
    ...appliances,
    row('other', i18n.t('compare.other'), 'other', (p) => p.other_kwh),
    row('baseload', i18n.t('compare.baseload'), 'baseload', (p) => p.baseload_kwh),
    row('total', i18n.t('compare.total'), 'total', (p) => p.total_kwh),
  ];
  const biggest = rows
    .filter((r) => r.kind !== 'total' && Math.abs(r.changeKwh ?? 0) >= MIN_CHANGE_KWH)
    .reduce<CompareRow | undefined>(
      (best, r) => (!best || Math.abs(r.changeKwh!) > Math.abs(best.changeKwh!) ? r : best),
      undefined,
    );
  const summary = (p: EnergyPeriod | undefined, state: DataState) => ({
    state,
    coverage: p?.coverage ?? 0,
    estimated: p?.estimate_coverage ?? null,
  });
  return {
    rows,
    now: summary(now, nowState),
    before: summary(before, beforeState),
    biggest,
  };
}

/** How the windows are named in sentences and headings. */
export interface WindowNames {
  mode: CompareMode;
  /** "this week so far", "this month so far". */
  now: string;
  /** "last week so far", "1–5 December 2025". */
  before: string;
}

/** Dates in English read the British way ("Mon 30 Nov"); other languages in their own locale. */
const dateLocale = () => (i18n.language === 'en' ? 'en-GB' : currentLocale());

/** Names for the two windows; a month a year ago is named by its days ("1–5 December 2025"). */
export function windowNames(w: CompareWindows, timeZone: string): WindowNames {
  if (w.mode === 'week')
    return {
      mode: 'week',
      now: i18n.t('compare.thisWeek'),
      before: i18n.t('compare.lastWeek'),
    };
  const day = (ms: number) => zonedClock(new Date(ms), timeZone).d;
  const month = new Intl.DateTimeFormat(dateLocale(), { month: 'long', year: 'numeric', timeZone });
  const start = Date.parse(w.before.start);
  const end = Date.parse(w.before.end);
  const lastDay = day(end - 60_000);
  const whole =
    day(end) === 1 && lastDay > day(start) && zonedClock(new Date(end), timeZone).h === 0;
  const name = month.format(start);
  const before = whole
    ? name
    : lastDay === 1
      ? i18n.t('compare.firstDay', { month: name })
      : i18n.t('compare.firstDays', { last: lastDay, month: name });
  return { mode: 'month', now: i18n.t('compare.thisMonth'), before };
}

/** A window in the building's local time: "Mon 30 Nov 00:00 – Sat 5 Dec 07:41". */
export function windowText(w: Window, timeZone: string): string {
  const fmt = new Intl.DateTimeFormat(dateLocale(), {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  });
  const text = (iso: string) => fmt.format(Date.parse(iso)).replace(',', '');
  return `${text(w.start)} – ${text(w.end)}`;
}

function kwhText(kwh: number): string {
  return `${formatNumber(Math.abs(kwh), Math.abs(kwh) < 10 ? 1 : 0)} kWh`;
}

/** "+35 %", "−20 %"; "new" where there was none before. */
export function pctText(pct: number | null): string {
  if (pct === null) return i18n.t('compare.new');
  const n = Math.round(pct * 100);
  return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${Math.abs(n)} %`;
}

/**
 * What changed most, in one sentence ("Kettle used 1.2 kWh more than last week so far (+35 %)"),
 * or why nothing can be said: no readings, a window with missing data, or no change worth naming.
 */
export function changeSentence(c: Comparison, names: WindowNames): string {
  const gap = (side: 'now' | 'before') => {
    const s = c[side];
    const who = names[side];
    if (s.state === 'none') return i18n.t('compare.noReadings', { who });
    return i18n.t('compare.partial', { percent: Math.round(s.coverage * 100), who });
  };
  if (c.now.state !== 'complete') return gap('now');
  if (c.before.state !== 'complete') return gap('before');
  const b = c.biggest;
  const change = b?.changeKwh;
  if (!b || change === null || change === undefined) {
    const split =
      splitKnown(c.now.estimated) && splitKnown(c.before.estimated)
        ? ''
        : i18n.t('compare.splitUnknown');
    return i18n.t('compare.nothingChanged', {
      min: formatNumber(MIN_CHANGE_KWH, Number.isInteger(MIN_CHANGE_KWH) ? 0 : 1),
      before: names.before,
      split,
    });
  }
  const than =
    names.mode === 'week' ? names.before : i18n.t('compare.inMonth', { month: names.before });
  const values = { kwh: kwhText(change), than, pct: pctText(b.changePct) };
  if (b.kind === 'baseload')
    return change > 0
      ? i18n.t('compare.baseloadHigher', values)
      : i18n.t('compare.baseloadLower', values);
  const who = b.kind === 'other' ? i18n.t('compare.otherWho') : b.label;
  return change > 0
    ? i18n.t('compare.usedMore', { who, ...values })
    : i18n.t('compare.usedLess', { who, ...values });
}
