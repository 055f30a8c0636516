/**
 * Energy per appliance with its likely range ("Kettle 4.90 kWh, likely 4.10–5.60 kWh"), over
 * the periods of an energy report: the dashboard shows today, the Reports page its span. The
 * range is the server's (the model's power band summed over on-minutes, see docs/api.md); a
 * period whose range is unknown makes the sum's range unknown, and then none is shown.
 */
import type { EnergyResponse } from '@nilm/contracts';
import { useTranslation } from 'react-i18next';
import { applianceName, formatKwh, type Units } from '../lib/format.js';
import { useSettings } from '../state/settings.js';

export interface ApplianceEnergy {
  name: string;
  kwh: number;
  /** Null when some period's range is unknown (estimates stored without a band). */
  range: { low: number; high: number } | null;
}

/** kWh and summed range per appliance over `periods`, the largest first. */
export function applianceEnergy(periods: EnergyResponse['periods']): ApplianceEnergy[] {
  const out = new Map<string, ApplianceEnergy>();
  for (const p of periods) {
    for (const [name, kwh] of Object.entries(p.appliances)) {
      const row = out.get(name) ?? { name, kwh: 0, range: { low: 0, high: 0 } };
      row.kwh += kwh;
      const r = p.appliance_ranges?.[name];
      row.range =
        row.range && r && r.kwh_low !== null && r.kwh_high !== null
          ? { low: row.range.low + r.kwh_low, high: row.range.high + r.kwh_high }
          : null;
      out.set(name, row);
    }
  }
  return [...out.values()].sort((a, b) => b.kwh - a.kwh || a.name.localeCompare(b.name));
}

/** "4.10–5.60 kWh": the low end without its unit, which the high end carries. */
export function formatKwhRange(low: number, high: number, units: Pick<Units, 'energy'>): string {
  const unit = units.energy === 'Wh' ? ' Wh' : ' kWh';
  const lowText = formatKwh(low, units);
  return `${lowText.endsWith(unit) ? lowText.slice(0, -unit.length) : lowText}–${formatKwh(high, units)}`;
}

/** One line per appliance: its energy and, where known, its likely range. */
export function ApplianceEnergyList({
  periods,
  labels = {},
  caption,
}: {
  periods: EnergyResponse['periods'];
  /** The building's own names for its appliances; the vocabulary's otherwise. */
  labels?: Record<string, string>;
  caption: string;
}) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  const rows = applianceEnergy(periods);
  if (rows.length === 0) return null;
  return (
    <ul aria-label={caption} className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
      {rows.map((a) => (
        <li key={a.name} className="flex flex-wrap items-baseline gap-x-2 py-1.5">
          <span className="font-medium">{applianceName(a.name, labels[a.name])}</span>
          <span className="tabular-nums">
            {formatKwh(a.kwh, units)}
            {a.range && (
              <span className="text-slate-500 dark:text-slate-400">
                {t('applianceEnergy.likely', {
                  range: formatKwhRange(a.range.low, a.range.high, units),
                })}
              </span>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}
