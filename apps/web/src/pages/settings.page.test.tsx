// Proves Settings saves the tariff (flat price and time-of-use bands), units and theme to localStorage, reads units back defensively, and that the dark theme sets the `dark` class on <html>.
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, expect, it } from 'vitest';
import { formatKwh, formatPower, formatTime } from '../lib/format.js';
import { SETTINGS_KEY, SettingsProvider, type Settings } from '../state/settings.js';
import SettingsPage from './settings.page.js';

const saved = () => JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Settings;

beforeEach(() => {
  localStorage.clear();
  document.documentElement.classList.remove('dark');
});

it('saves the flat price, adds a time-of-use band and switches to dark', async () => {
  render(
    <SettingsProvider>
      <SettingsPage />
    </SettingsProvider>,
  );
  const user = userEvent.setup();
  const price = screen.getByLabelText(/Price per kWh/);
  await user.clear(price);
  await user.type(price, '0.32');
  expect(saved().tariff.pricePerKwh).toBe(0.32);

  await user.click(screen.getByRole('switch', { name: 'Time-of-use bands' }));
  expect(saved().tariff.bands).toEqual([
    { name: 'Night', start: '00:00', end: '07:00', pricePerKwh: 0.16 },
  ]);
  await user.click(screen.getByRole('button', { name: 'Add band' }));
  expect(saved().tariff.bands.map((b) => b.name)).toEqual(['Night', 'Peak']);
  await user.click(screen.getByRole('button', { name: 'Remove band Night' }));
  expect(saved().tariff.bands.map((b) => b.name)).toEqual(['Peak']);

  await user.click(screen.getByRole('radio', { name: 'dark' }));
  expect(saved().theme).toBe('dark');
  expect(document.documentElement).toHaveClass('dark');
});

it('saves the units, which the formatting helpers then apply', async () => {
  render(
    <SettingsProvider>
      <SettingsPage />
    </SettingsProvider>,
  );
  const user = userEvent.setup();
  const units = screen.getByRole('region', { name: 'Units' });
  expect(within(units).getByRole('radio', { name: /Automatic/ })).toBeChecked();
  expect(within(units).getByRole('radio', { name: 'Kilowatt-hours (kWh)' })).toBeChecked();
  expect(within(units).getByRole('radio', { name: '24-hour (15:05)' })).toBeChecked();
  expect(units).toHaveTextContent(/CSV exports keep fixed units/);

  await user.click(screen.getByRole('radio', { name: 'Kilowatts (kW)' }));
  await user.click(screen.getByRole('radio', { name: 'Watt-hours (Wh)' }));
  await user.click(screen.getByRole('radio', { name: '12-hour (3:05 PM)' }));
  const u = saved().units;
  expect(u).toEqual({ power: 'kW', energy: 'Wh', time: '12h' });
  expect(formatPower(412, u)).toBe('0.412 kW');
  expect(formatKwh(1.5, u)).toBe('1500 Wh');
  expect(
    formatTime(Date.UTC(2026, 0, 2, 15, 5), u, { locale: 'en-US', timeZone: 'UTC' }).replace(
      /\s/g,
      ' ',
    ),
  ).toBe('3:05 PM');
});

it('reads saved units back, keeping good fields and defaulting bad ones', () => {
  localStorage.setItem(
    SETTINGS_KEY,
    JSON.stringify({ currency: 'EUR', units: { power: 'W', energy: 'MWh', time: '12h' } }),
  );
  render(
    <SettingsProvider>
      <SettingsPage />
    </SettingsProvider>,
  );
  expect(screen.getByRole('radio', { name: 'Watts (W)' })).toBeChecked();
  expect(screen.getByRole('radio', { name: 'Kilowatt-hours (kWh)' })).toBeChecked();
  expect(screen.getByRole('radio', { name: '12-hour (3:05 PM)' })).toBeChecked();
});
