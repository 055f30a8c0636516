/**
 * Tariff maths, pure: the price of a kWh at a moment, and the cost of energy spread over time.
 * A tariff is a flat price, optionally overridden by time-of-use bands in local clock time.
 * A band covers [start, end) minutes of the day and may wrap midnight (22:00-07:00); where
 * bands overlap the first one listed wins (the server refuses overlapping bands, so this only
 * matters for a tariff being edited); outside every band the flat price applies.
 */
import type { PriceSlot, TariffBody, TariffDynamic, TariffResponse } from '@nilm/contracts';

export interface TouBand {
  /** Shown in Settings, e.g. "Night". */
  name: string;
  /** 'HH:MM', 24-hour local time. */
  start: string;
  /** 'HH:MM'; equal to start means the whole day. */
  end: string;
  pricePerKwh: number;
}

export interface Tariff {
  /** Price per kWh outside every band (the whole price for a flat tariff). */
  pricePerKwh: number;
  bands: TouBand[];
  /** Charged per local day (0 or absent: none). */
  standingChargePerDay?: number;
  /** Earned per exported kWh (0 or absent: nothing). */
  exportPricePerKwh?: number;
  /** Where dynamic prices come from; absent or null: none. */
  dynamic?: TariffDynamic | null;
  /** Dynamic prices loaded for the span being priced; they beat bands and the flat price. */
  slots?: readonly PriceSlot[];
}

/** A building's tariff as the pages use it: the pricing maths' Tariff plus its currency. */
export interface BuildingTariff {
  currency: string;
  tariff: Tariff;
  /** True while the building has no tariff of its own and the server's default applies. */
  isDefault: boolean;
}

/** The API's tariff (snake_case) as the pages use it. */
export function fromTariffResponse(r: TariffResponse): BuildingTariff {
  return {
    currency: r.currency,
    isDefault: r.is_default,
    tariff: {
      pricePerKwh: r.price_per_kwh,
      bands: r.bands.map((b) => ({
        name: b.name,
        start: b.start,
        end: b.end,
        pricePerKwh: b.price_per_kwh,
      })),
      standingChargePerDay: r.standing_charge_per_day,
      exportPricePerKwh: r.export_price_per_kwh,
      dynamic: r.dynamic,
    },
  };
}

/** The body of `PUT /buildings/{id}/tariff` for a tariff and its currency. */
export function toTariffBody(currency: string, tariff: Tariff): TariffBody {
  return {
    currency,
    price_per_kwh: tariff.pricePerKwh,
    bands: tariff.bands.map((b) => ({
      name: b.name,
      start: b.start,
      end: b.end,
      price_per_kwh: b.pricePerKwh,
    })),
    standing_charge_per_day: tariff.standingChargePerDay ?? 0,
    export_price_per_kwh: tariff.exportPricePerKwh ?? 0,
    dynamic: tariff.dynamic ?? null,
  };
}

/** An amount of energy used over [start, end). */
export interface EnergySlice {
  start: Date;
  end: Date;
  kwh: number;
}

/** Minutes since local midnight; tests pass a UTC version to be independent of the machine. */
export type MinuteOfDay = (d: Date) => number;

export const localMinuteOfDay: MinuteOfDay = (d) => d.getHours() * 60 + d.getMinutes();
export const utcMinuteOfDay: MinuteOfDay = (d) => d.getUTCHours() * 60 + d.getUTCMinutes();

/** Parses 'HH:MM' into minutes after midnight; undefined when it is not a valid time. */
export function parseClock(s: string): number | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * 60 + Number(m[2]);
}

function inBand(minute: number, band: TouBand): boolean {
  const s = parseClock(band.start);
  const e = parseClock(band.end);
  if (s === undefined || e === undefined) return false;
  if (s === e) return true;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

/** The price per kWh that applies at a minute of the day. */
export function priceAtMinute(minute: number, tariff: Tariff): number {
  const band = tariff.bands.find((b) => inBand(minute, b));
  return band ? band.pricePerKwh : tariff.pricePerKwh;
}

/**
 * The cost of energy slices. A slice's energy is spread evenly over its span and priced minute
 * by minute, so an hour that straddles a band change is split at the change.
 */
export function costOf(
  slices: readonly EnergySlice[],
  tariff: Tariff,
  minuteOfDay: MinuteOfDay = localMinuteOfDay,
): number {
  let total = 0;
  for (const s of slices) {
    if (!(s.kwh > 0)) continue;
    if (tariff.bands.length === 0) {
      total += s.kwh * tariff.pricePerKwh;
      continue;
    }
    const minutes = Math.max(1, Math.round((s.end.getTime() - s.start.getTime()) / 60_000));
    const first = minuteOfDay(s.start);
    const perMinute = s.kwh / minutes;
    for (let i = 0; i < minutes; i++) {
      total += perMinute * priceAtMinute((first + i) % 1440, tariff);
    }
  }
  return total;
}

/** Average power (W) held for a bucket of `seconds` as energy in kWh. */
export function kwhOf(powerW: number, seconds: number): number {
  return (powerW * seconds) / 3_600_000;
}
