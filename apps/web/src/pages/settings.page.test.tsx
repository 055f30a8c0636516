// Proves Settings saves the tariff (flat price and time-of-use bands) and theme to localStorage, and that the dark theme sets the `dark` class on <html>.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, expect, it } from 'vitest';
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
