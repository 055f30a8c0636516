// Proves the energy-per-appliance lines: kWh summed over periods with the range summed too ("Kettle 4.90 kWh, likely 4.10–5.60 kWh"), no range once one period's is unknown, the largest first, and the chosen energy unit (Wh) on both ends.
import type { EnergyResponse } from '@nilm/contracts';
import { screen, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { defaultUnits } from '../lib/format.js';
import { renderPage } from '../test/page.fixture.js';
import { ApplianceEnergyList, applianceEnergy, formatKwhRange } from './appliance.energy.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const period = (
  appliances: Record<string, number>,
  ranges: NonNullable<EnergyResponse['periods'][number]['appliance_ranges']>,
): EnergyResponse['periods'][number] => ({
  start: '2026-01-02T00:00:00.000Z',
  end: '2026-01-03T00:00:00.000Z',
  total_kwh: 10,
  appliances,
  appliance_ranges: ranges,
  other_kwh: 1,
  pending_kwh: 0,
  baseload_kwh: 1,
  coverage: 1,
  estimate_coverage: 1,
});

it('sums kWh and ranges over periods, largest first, and drops a range once one is unknown', () => {
  const rows = applianceEnergy([
    period({ kettle: 0.4, fridge: 1 }, { kettle: { kwh_low: 0.3, kwh_high: 0.5 } }),
    period(
      { kettle: 0.6, fridge: 1.2 },
      {
        kettle: { kwh_low: 0.5, kwh_high: 0.8 },
        fridge: { kwh_low: 1, kwh_high: 1.5 },
      },
    ),
  ]);
  expect(rows.map((r) => r.name)).toEqual(['fridge', 'kettle']);
  // The fridge's first day has no range, so its sum has none either.
  expect(rows[0]!.range).toBeNull();
  expect(rows[1]!.kwh).toBeCloseTo(1, 12);
  expect(rows[1]!.range!.low).toBeCloseTo(0.8, 12);
  expect(rows[1]!.range!.high).toBeCloseTo(1.3, 12);
});

it('writes the range with one unit, in kWh or Wh', () => {
  expect(formatKwhRange(4.1, 5.6, { energy: 'kWh' })).toBe('4.10–5.60 kWh');
  expect(formatKwhRange(0.41, 0.56, { energy: 'Wh' })).toBe('410–560 Wh');
});

it('renders one line per appliance with its likely range in the chosen unit', async () => {
  renderPage(
    '/',
    '/',
    <ApplianceEnergyList
      periods={[
        period(
          { kettle: 0.49, electric_shower: 2 },
          {
            kettle: { kwh_low: 0.41, kwh_high: 0.56 },
            electric_shower: { kwh_low: null, kwh_high: null },
          },
        ),
      ]}
      labels={{ kettle: 'Kitchen kettle' }}
      caption="Energy per appliance today"
    />,
    { settings: { units: { ...defaultUnits, energy: 'Wh' } } },
  );
  const list = await screen.findByRole('list', { name: 'Energy per appliance today' });
  expect(
    within(list)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual(['Electric shower2000 Wh', 'Kitchen kettle490 Wh, likely 410–560 Wh']);
});
