// Proves today's energy is shown as parts of one whole: appliances, always-on (taken out of
// Other first, never on top of it), the rest of Other and what is not estimated yet, with
// percents that add up to exactly 100 and the always-on energy that is already in appliances named.
import { render, screen, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import { energyShares, wholePercents, type PeriodEnergy } from '../lib/energy.shares.js';
import { defaultSettings, SettingsProvider } from '../state/settings.js';
import { EnergySharesList } from './energy.shares.js';

// A day of 10 kWh: kettle 1.2 + washing machine 0.8 explained, 8 kWh Other, of which 2.4 kWh
// is the always-on load (100 W all day).
const day: PeriodEnergy = {
  total_kwh: 10,
  appliances: { kettle: 1.2, washing_machine: 0.8, microwave: 0 },
  other_kwh: 8,
  pending_kwh: 0,
  baseload_kwh: 2.4,
};

const rows = () =>
  within(screen.getByRole('list', { name: "Today's energy by part" }))
    .getAllByRole('listitem')
    .map((li) => li.textContent);

it('lists appliances, always-on and the rest of Other as shares that add up to 100 %', () => {
  render(
    <SettingsProvider initial={defaultSettings}>
      <EnergySharesList
        period={day}
        labels={{ kettle: 'Our kettle' }}
        caption="Today's energy by part"
      />
    </SettingsProvider>,
  );
  // 1.2 + 0.8 + 2.4 + 5.6 = 10 kWh: 12 + 8 + 24 + 56 = 100 %; a zero appliance is left out.
  expect(rows()).toEqual([
    'Our kettle1.20 kWh · 12%',
    'Washing machine0.800 kWh · 8%',
    'Always-on2.40 kWh · 24%',
    'Other5.60 kWh · 56%',
  ]);
  expect(
    screen.getByText(/The parts add up to the whole \(10\.00 kWh, 100%\)/),
  ).toBeInTheDocument();
  expect(screen.queryByText(/already inside the appliances/)).not.toBeInTheDocument();
});

it('counts always-on only up to Other, names the rest as inside the appliances, adds pending', () => {
  // A fridge-freezer head explains part of the always-on load: Other (0.5) is smaller than it (1.5).
  const s = energyShares({
    total_kwh: 5,
    appliances: { fridge_freezer: 1.5, kettle: 1 },
    other_kwh: 0.5,
    pending_kwh: 2,
    baseload_kwh: 1.5,
  });
  expect(s.parts.map((p) => [p.key, p.kwh, p.percent])).toEqual([
    ['fridge_freezer', 1.5, 30],
    ['kettle', 1, 20],
    ['baseload', 0.5, 10],
    ['other', 0, 0],
    ['pending', 2, 40],
  ]);
  expect(s.parts.reduce((a, p) => a + p.percent, 0)).toBe(100);
  expect(s.wholeKwh).toBe(5);
  expect(s.baseloadInAppliancesKwh).toBe(1);
  expect(s.overEstimated).toBe(false);
  render(
    <SettingsProvider initial={defaultSettings}>
      <EnergySharesList
        period={{
          total_kwh: 5,
          appliances: { fridge_freezer: 1.5, kettle: 1 },
          other_kwh: 0.5,
          pending_kwh: 2,
          baseload_kwh: 1.5,
        }}
        caption="Today's energy by part"
      />
    </SettingsProvider>,
  );
  expect(rows()).toContain('Not estimated yet2.00 kWh · 40%');
  expect(
    screen.getByText(/Of today's 1\.50 kWh always-on, 1\.00 kWh is already inside/),
  ).toBeInTheDocument();
});

it('rounds to whole percents that always add up to 100 (largest remainder)', () => {
  expect(wholePercents([1, 1, 1])).toEqual([34, 33, 33]);
  expect(wholePercents([2, 1])).toEqual([67, 33]);
  expect(wholePercents([0, 0])).toEqual([0, 0]);
  for (const values of [
    [0.123, 4.5, 0.02, 7.9, 1.1],
    [1e-4, 3, 3, 3],
  ])
    expect(wholePercents(values).reduce((a, b) => a + b, 0)).toBe(100);
});

it('says so when the appliances are estimated above the metered energy', () => {
  const s = energyShares({
    total_kwh: 2,
    appliances: { kettle: 3 },
    other_kwh: 0,
    pending_kwh: 0,
    baseload_kwh: 0.4,
  });
  expect(s.overEstimated).toBe(true);
  expect(s.parts.map((p) => p.percent)).toEqual([100, 0, 0]);
  expect(s.baseloadInAppliancesKwh).toBeCloseTo(0.4);
});
