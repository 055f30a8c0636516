// Proves the report's bar chart draws one stacked segment per appliance and Other in the app colours, is named by its summary, labels its axis in the chosen energy unit, and that its keyboard tooltip lists each part and the total.
import type { EnergyResponse } from '@nilm/contracts';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import { defaultUnits } from '../lib/format.js';
import { periodCosts } from '../lib/pricing.js';
import { barsSummary, reportBars } from '../lib/report.chart.js';
import { buildReport } from '../lib/report.csv.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';
import { EnergyBarChart } from './energy.chart.js';

const energy: EnergyResponse = {
  building_id: 'home',
  period: 'day',
  timezone: 'UTC',
  periods: [
    {
      start: '2026-01-01T00:00:00.000Z',
      end: '2026-01-02T00:00:00.000Z',
      total_kwh: 0,
      appliances: {},
      other_kwh: 0,
      pending_kwh: 0,
      baseload_kwh: 0,
      coverage: 0,
      estimate_coverage: null,
    },
    {
      start: '2026-01-02T00:00:00.000Z',
      end: '2026-01-03T00:00:00.000Z',
      total_kwh: 6,
      appliances: { fridge: 1, kettle: 1.5 },
      other_kwh: 3.5,
      pending_kwh: 0,
      baseload_kwh: 2,
      coverage: 1,
      estimate_coverage: 1,
    },
  ],
};
const report = buildReport(
  energy,
  'day',
  periodCosts(energy, { pricePerKwh: 0.2, bands: [] })!,
  'GBP',
);
const bars = reportBars(report);

function draw(energyUnit: 'kWh' | 'Wh' = 'kWh') {
  const units = { ...defaultUnits, energy: energyUnit };
  return render(
    <SettingsProvider initial={{ ...defaultSettings, units }}>
      <EnergyBarChart bars={bars} summary={barsSummary(report, 'day', units)} width={600} />
    </SettingsProvider>,
  ).container;
}

it('stacks one segment per appliance and Other in the series colours, named by its summary', () => {
  const svg = draw();
  expect(screen.getByRole('figure')).toHaveAccessibleName(barsSummary(report, 'day', defaultUnits));
  const fills = [...svg.querySelectorAll('.recharts-bar-rectangle path')].map((p) =>
    p.getAttribute('fill'),
  );
  // The day without readings draws nothing; 2 Jan draws fridge, kettle and Other.
  expect(fills).toEqual(bars.series.map((s) => s.color));
});

it('labels the energy axis in the chosen unit', () => {
  const svg = draw('Wh');
  const ticks = [
    ...svg.querySelectorAll('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value'),
  ].map((t) => t.textContent);
  expect(ticks.length).toBeGreaterThan(1);
  expect(ticks.every((t) => /^\d+ Wh$/.test(t ?? ''))).toBe(true);
});

it('shows each part and the total of a bar in its tooltip, top of the stack first', async () => {
  const svg = draw();
  const chart = svg.querySelector<SVGElement>('svg[role="application"]')!;
  chart.focus();
  fireEvent.keyDown(chart, { key: 'ArrowRight' });
  fireEvent.keyDown(chart, { key: 'ArrowRight' });
  const tip = await screen.findByText('2026-01-02', { selector: 'p' });
  const list = within(tip.parentElement!);
  expect(list.getAllByRole('term').map((t) => t.textContent)).toEqual([
    'Other',
    'Kettle',
    'Fridge',
    'Total',
  ]);
  expect(list.getAllByRole('definition').map((d) => d.textContent)).toEqual([
    '3.50 kWh',
    '1.50 kWh',
    '1.00 kWh',
    '6.00 kWh',
  ]);
});
