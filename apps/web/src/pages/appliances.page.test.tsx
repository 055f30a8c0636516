// Proves the appliances table shows each appliance's kWh and cost per period, and "no data" (not a false 0 kWh) for periods without readings.
import { screen, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { renderPage } from '../test/page.fixture.js';
import AppliancesPage from './appliances.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

it('lists kWh and cost per appliance, most recent day first, and marks days without data', async () => {
  renderPage('/b/home/appliances', '/b/:buildingId/appliances', <AppliancesPage />);
  const row = (await screen.findByRole('rowheader', { name: 'Kettle' })).closest('tr')!;
  const cells = within(row).getAllByRole('cell');
  expect(cells[0]).toHaveTextContent('1.50 kWh£0.30'); // Jan 2 first: 1.5 kWh x 0.20
  expect(cells[1]).toHaveTextContent('no data'); // Jan 1 had no readings
  const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
  expect(headers[1]).toMatch(/Jan 2|2 Jan/);
});
