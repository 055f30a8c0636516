/** Stable series colours: an appliance keeps its colour across charts and pages. */
const PALETTE = [
  '#10b981',
  '#3b82f6',
  '#f59e0b',
  '#ef4444',
  '#8b5cf6',
  '#ec4899',
  '#14b8a6',
  '#84cc16',
  '#f97316',
  '#06b6d4',
];

/** Colour of a series; `other` is always neutral grey. */
export function seriesColor(name: string, index: number): string {
  if (name === 'other') return '#94a3b8';
  return PALETTE[index % PALETTE.length] ?? '#64748b';
}
