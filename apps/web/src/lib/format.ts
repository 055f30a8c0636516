/** Number formatting for the UI: power, energy, money, percentages and times. */

/** Watts below 1 kW, kilowatts above: "412 W", "2.31 kW". */
export function formatPower(w: number | null | undefined): string {
  if (w === null || w === undefined || !Number.isFinite(w)) return '–';
  if (Math.abs(w) >= 1000) return `${(w / 1000).toFixed(2)} kW`;
  return `${Math.round(w)} W`;
}

/** "3.42 kWh"; three decimals under 1 kWh so small loads do not read as zero. */
export function formatKwh(kwh: number | null | undefined): string {
  if (kwh === null || kwh === undefined || !Number.isFinite(kwh)) return '–';
  return `${kwh.toFixed(Math.abs(kwh) < 1 ? 3 : 2)} kWh`;
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
