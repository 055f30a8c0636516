/**
 * Number formatting for the UI: power, energy, money, percentages and times, written in the
 * locale of the language shown (i18n/i18n.setup.ts): "2.31 kW" in English, "2,31 kW" in German
 * and Dutch. CSV exports do not use these (lib/report.csv.ts keeps a fixed machine format).
 */
import { en } from '../i18n/en.catalogue.js';
import { currentLocale, i18n } from '../i18n/i18n.setup.js';

/** Power in watts, kilowatts, or whichever reads better ("auto"). */
export type PowerUnit = 'auto' | 'W' | 'kW';
/** Energy in kilowatt-hours or watt-hours. */
export type EnergyUnit = 'kWh' | 'Wh';
/** Clock times on a 24-hour ("15:05") or 12-hour ("3:05 PM") clock. */
export type TimeFormat = '24h' | '12h';

/**
 * How a person wants numbers shown (Settings, Units). Every number on screen goes through the
 * helpers below with these; CSV exports ignore them and keep fixed machine units.
 */
export interface Units {
  power: PowerUnit;
  energy: EnergyUnit;
  time: TimeFormat;
}

export const defaultUnits: Units = { power: 'auto', energy: 'kWh', time: '24h' };

const bad = (v: number | null | undefined): v is null | undefined =>
  v === null || v === undefined || !Number.isFinite(v);

const numberFormats = new Map<string, Intl.NumberFormat>();

/**
 * `v` in the current locale without thousands separators ("2310", "2.31" or "2,31"): exactly
 * `digits` decimals, or up to `digits` without trailing zeros when `trim` (axis ticks: 1.5, 2).
 */
function decimal(v: number, digits: number, trim = false): string {
  const locale = currentLocale();
  const key = `${locale}|${digits}|${trim}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      minimumFractionDigits: trim ? 0 : digits,
      maximumFractionDigits: digits,
      useGrouping: false,
    });
    numberFormats.set(key, f);
  }
  // Intl writes -0 as "-0"; a rounded-away sign means nothing to a reader.
  return f.format(v === 0 ? 0 : v);
}

/** Up to `digits` decimals without trailing zeros, for axis ticks: 1.5, 2, 0.25. */
function trimmed(v: number, digits = 2): string {
  return decimal(v, digits, true);
}

/** A count with the locale's thousands separators: "12,345" in English, "12.345" in German. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat(currentLocale()).format(n);
}

/** A plain number with exactly `digits` decimals in the current locale ("0.93", "0,93"). */
export function formatNumber(v: number | null | undefined, digits: number): string {
  return bad(v) ? '–' : decimal(v, digits);
}

/**
 * Power for people. "auto": watts below 1 kW, kilowatts above ("412 W", "2.31 kW"); "W": whole
 * watts ("2310 W"); "kW": kilowatts, three decimals under 1 kW ("0.412 kW").
 */
export function formatPower(
  w: number | null | undefined,
  units: Pick<Units, 'power'> = defaultUnits,
): string {
  if (bad(w)) return '–';
  const kw = units.power === 'kW' || (units.power === 'auto' && Math.abs(w) >= 1000);
  if (kw) return `${decimal(w / 1000, Math.abs(w) < 1000 ? 3 : 2)} kW`;
  return `${decimal(Math.round(w), 0)} W`;
}

/** Power on a chart axis: as formatPower, but without trailing zeros ("1.5 kW", "500 W"). */
export function formatPowerTick(w: number, units: Pick<Units, 'power'> = defaultUnits): string {
  if (!Number.isFinite(w)) return '';
  const kw = units.power === 'kW' || (units.power === 'auto' && Math.abs(w) >= 1000);
  return kw ? `${trimmed(w / 1000, 3)} kW` : `${trimmed(w, 0)} W`;
}

/**
 * An amount of energy given in kWh, for people. "kWh": "3.42 kWh", three decimals under 1 kWh so
 * small loads do not read as zero; "Wh": "3420 Wh", one decimal under 10 Wh.
 */
export function formatKwh(
  kwh: number | null | undefined,
  units: Pick<Units, 'energy'> = defaultUnits,
): string {
  if (bad(kwh)) return '–';
  if (units.energy === 'Wh') {
    const wh = kwh * 1000;
    return `${decimal(wh, Math.abs(wh) < 10 ? 1 : 0)} Wh`;
  }
  return `${decimal(kwh, Math.abs(kwh) < 1 ? 3 : 2)} kWh`;
}

/** Energy (given in kWh) on a chart axis, without trailing zeros: "1.5 kWh", "1500 Wh". */
export function formatKwhTick(kwh: number, units: Pick<Units, 'energy'> = defaultUnits): string {
  if (!Number.isFinite(kwh)) return '';
  return units.energy === 'Wh' ? `${trimmed(kwh * 1000, 0)} Wh` : `${trimmed(kwh, 3)} kWh`;
}

/** Where tests pin the locale and time zone; the UI uses the language's locale and the browser's zone. */
export interface TimeOptions {
  locale?: string;
  timeZone?: string;
  seconds?: boolean;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function clock(
  units: Pick<Units, 'time'>,
  opts: TimeOptions,
  date: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const locale = opts.locale ?? currentLocale();
  const key = JSON.stringify([units.time, locale, opts, date]);
  let f = dateTimeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      ...date,
      hour: units.time === '12h' ? 'numeric' : '2-digit',
      minute: '2-digit',
      second: opts.seconds ? '2-digit' : undefined,
      hourCycle: units.time === '12h' ? 'h12' : 'h23',
      timeZone: opts.timeZone,
    });
    dateTimeFormats.set(key, f);
  }
  return f;
}

/** A clock time on the chosen clock: "15:05" or "3:05 PM" (with seconds when asked). */
export function formatTime(
  t: number | string | Date,
  units: Pick<Units, 'time'> = defaultUnits,
  opts: TimeOptions = {},
): string {
  return clock(units, opts, {}).format(new Date(t));
}

/** Date and clock time: "Jan 2, 2026, 15:05" or "Jan 2, 2026, 3:05 PM". */
export function formatDateTime(
  t: number | string | Date,
  units: Pick<Units, 'time'> = defaultUnits,
  opts: TimeOptions = {},
): string {
  return clock(units, opts, { year: 'numeric', month: 'short', day: 'numeric' }).format(
    new Date(t),
  );
}

/**
 * Money in the chosen ISO currency in the current locale, e.g. "£1.05", "1,05 €"; falls back to
 * "1.05 XYZ" for unknown codes.
 */
export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(currentLocale(), { style: 'currency', currency }).format(amount);
  } catch {
    return `${decimal(amount, 2)} ${currency}`;
  }
}

/** A share as a whole percentage in the current locale: "35%", German "35 %". */
export function formatPercent(p: number): string {
  return new Intl.NumberFormat(currentLocale(), {
    style: 'percent',
    maximumFractionDigits: 0,
  }).format(p);
}

/** Human name for an appliance key: "washing_machine" -> "Washing machine" (no translation). */
export function applianceLabel(name: string): string {
  const s = name.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * An appliance's name in the language shown: a name an owner gave it (a label that is not the
 * English default) as it is, else the catalogue's ("Wasserkocher"), else the key made readable.
 */
export function applianceName(name: string, label?: string): string {
  const known = Object.hasOwn(en.appliance, name) ? (name as keyof typeof en.appliance) : undefined;
  const english = known ? en.appliance[known] : applianceLabel(name);
  if (label !== undefined && label !== english && label !== applianceLabel(name)) return label;
  return known ? i18n.t(`appliance.${known}`) : (label ?? english);
}

/** A day and month in the current locale, for chart ticks: "Jan 2", "2. Jan.", "2 jan". */
export function formatDayMonth(t: number | string | Date, opts: TimeOptions = {}): string {
  return new Intl.DateTimeFormat(opts.locale ?? currentLocale(), {
    month: 'short',
    day: 'numeric',
    timeZone: opts.timeZone,
  }).format(new Date(t));
}

/**
 * Power at the grid connection, signed import positive: "392 W import", "543 W export" (the
 * magnitude with the direction in words, so a minus sign is never the only cue), "0 W".
 */
export function formatGridPower(
  w: number | null | undefined,
  units: Pick<Units, 'power'> = defaultUnits,
): string {
  if (bad(w)) return '–';
  if (w === 0) return formatPower(0, units);
  const power = formatPower(Math.abs(w), units);
  return w > 0 ? i18n.t('format.gridImport', { power }) : i18n.t('format.gridExport', { power });
}

/**
 * How long ago a moment was, for status lines: "12 s ago", "5 min ago", "3 h ago", "2 d ago";
 * "just now" under a second (or slightly ahead, from clock skew); "never" for null.
 */
export function formatAgo(t: string | number | null, now: number = Date.now()): string {
  if (t === null) return i18n.t('format.never');
  const at = typeof t === 'number' ? t : new Date(t).getTime();
  if (!Number.isFinite(at)) return String(t);
  const s = Math.floor((now - at) / 1000);
  if (s < 1) return i18n.t('format.justNow');
  if (s < 60) return i18n.t('format.secondsAgo', { count: s });
  if (s < 3600) return i18n.t('format.minutesAgo', { count: Math.floor(s / 60) });
  if (s < 86_400) return i18n.t('format.hoursAgo', { count: Math.floor(s / 3600) });
  return i18n.t('format.daysAgo', { count: Math.floor(s / 86_400) });
}
