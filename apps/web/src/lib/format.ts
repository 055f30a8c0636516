/** Number formatting for the UI: power, energy, money, percentages and times. */

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

/** Up to `digits` decimals without trailing zeros, for axis ticks: 1.5, 2, 0.25. */
function trimmed(v: number, digits = 2): string {
  return String(Number(v.toFixed(digits)));
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
  if (kw) return `${(w / 1000).toFixed(Math.abs(w) < 1000 ? 3 : 2)} kW`;
  return `${Math.round(w)} W`;
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
    return `${wh.toFixed(Math.abs(wh) < 10 ? 1 : 0)} Wh`;
  }
  return `${kwh.toFixed(Math.abs(kwh) < 1 ? 3 : 2)} kWh`;
}

/** Energy (given in kWh) on a chart axis, without trailing zeros: "1.5 kWh", "1500 Wh". */
export function formatKwhTick(kwh: number, units: Pick<Units, 'energy'> = defaultUnits): string {
  if (!Number.isFinite(kwh)) return '';
  return units.energy === 'Wh' ? `${trimmed(kwh * 1000, 0)} Wh` : `${trimmed(kwh, 3)} kWh`;
}

/** Where tests pin the locale and time zone; the UI leaves both to the browser. */
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
  const key = JSON.stringify([units.time, opts, date]);
  let f = dateTimeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(opts.locale, {
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

/** Money in the chosen ISO currency, e.g. "£1.05"; falls back to "1.05 XYZ" for unknown codes. */
export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

export function formatPercent(p: number): string {
  return `${Math.round(p * 100)}%`;
}

/** Human name for an appliance key: "washing_machine" -> "Washing machine". */
export function applianceLabel(name: string): string {
  const s = name.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
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
  return `${formatPower(Math.abs(w), units)} ${w > 0 ? 'import' : 'export'}`;
}

/**
 * How long ago a moment was, for status lines: "12 s ago", "5 min ago", "3 h ago", "2 d ago";
 * "just now" under a second (or slightly ahead, from clock skew); "never" for null.
 */
export function formatAgo(t: string | number | null, now: number = Date.now()): string {
  if (t === null) return 'never';
  const at = typeof t === 'number' ? t : new Date(t).getTime();
  if (!Number.isFinite(at)) return String(t);
  const s = Math.floor((now - at) / 1000);
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
