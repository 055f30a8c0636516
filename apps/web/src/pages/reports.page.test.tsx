// Proves the Reports page shows a fixture energy response as rows a person reads: per-appliance kWh and flat-tariff cost per day, "no data" days, and the Total row and column.
import { screen, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { renderPage } from '../test/page.fixture.js';
import ReportsPage from './reports.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

it('renders kWh and cost per appliance per day with other, baseload and totals', async () => {
  const fetch = renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />);
  const day = (await screen.findByRole('rowheader', { name: '2026-01-02' })).closest('tr')!;
  expect(
    within(day)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['1.500', '0.30', '2.000', '0.40', '2.500', '0.50', '6.000', '1.20']);
  const empty = screen.getByRole('rowheader', { name: '2026-01-01' }).closest('tr')!;
  expect(within(empty).getAllByRole('cell')[0]).toHaveTextContent('no data');
  const total = screen.getByRole('rowheader', { name: 'Total' }).closest('tr')!;
  expect(
    within(total)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['1.500', '0.30', '2.000', '0.40', '2.500', '0.50', '6.000', '1.20']);
  expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
    'Period',
    'Kettle (kWh)',
    'Kettle (GBP)',
    'Other (kWh)',
    'Other (GBP)',
    'Baseload (kWh)',
    'Baseload (GBP)',
    'Total (kWh)',
    'Total (GBP)',
  ]);
  expect(screen.getByText(/flat tariff from Settings \(£0\.20 per kWh\)/)).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Export CSV' })).toBeEnabled();
  const energyUrl = fetch.mock.calls.map((c) => c[0]).find((u) => u.includes('/energy'));
  expect(energyUrl).toBe('/api/v1/buildings/home/energy?start=-30d&end=now&period=day');
});
