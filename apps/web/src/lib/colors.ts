/**
 * Stable series colours: an appliance keeps its colour on every chart and page, whatever other
 * appliances a view shows. Known appliances (the model's canonical names) have fixed colours;
 * any other name gets one from its hash.
 */
const KNOWN: Record<string, string> = {
  kettle: '#3b82f6',
  microwave: '#f59e0b',
  dishwasher: '#10b981',
  washing_machine: '#ef4444',
  fridge: '#06b6d4',
  tumble_dryer: '#8b5cf6',
  shower: '#0ea5e9',
  oven: '#f97316',
  hob: '#e11d48',
  heat_pump: '#14b8a6',
  ev_charger: '#84cc16',
  electric_heater: '#d946ef',
  television: '#6366f1',
  computer: '#a16207',
  range_hood: '#65a30d',
};

const PALETTE = Object.values(KNOWN);

/** The neutral grey of "other / untracked". */
export const OTHER_COLOR = '#94a3b8';

/** Colour of a series by its name; `other` is always neutral grey. */
export function seriesColor(name: string): string {
  if (name === 'other') return OTHER_COLOR;
  const known = KNOWN[name];
  if (known) return known;
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}
