// Proves the language picker sits in the desk header and, on a phone, in the Menu; that choosing
// Deutsch or Nederlands translates the navigation at once, sets <html lang> and is remembered in
// this browser; and that English is the default.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, it, vi } from 'vitest';
import { LANGUAGE_KEY, showLanguage } from '../i18n/i18n.setup.js';
import { phoneScreen } from '../test/media.fixture.js';
import { renderPage } from '../test/page.fixture.js';
import { Layout } from './layout.js';

afterEach(async () => {
  vi.unstubAllGlobals();
  localStorage.clear();
  await showLanguage('en');
});

it('switches the desk header to German, then Dutch, and remembers the choice', async () => {
  const user = userEvent.setup();
  renderPage('/b/home', '/b/:buildingId/*', <Layout />);
  const picker = screen.getByRole('combobox', { name: 'Language' });
  expect(picker).toHaveValue('en');
  expect(
    within(picker)
      .getAllByRole('option')
      .map((o) => o.textContent),
  ).toEqual(['English', 'Deutsch', 'Nederlands']);
  await screen.findByRole('link', { name: 'Dashboard' });

  await user.selectOptions(picker, 'Deutsch');
  const nav = await screen.findByRole('navigation', { name: 'Hauptmenü' });
  expect(within(nav).getByRole('link', { name: 'Übersicht' })).toBeInTheDocument();
  expect(within(nav).getByRole('link', { name: 'Berichte' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Konto' })).toBeInTheDocument();
  expect(screen.getByRole('combobox', { name: 'Sprache' })).toHaveValue('de');
  expect(document.documentElement.lang).toBe('de');
  expect(localStorage.getItem(LANGUAGE_KEY)).toBe('de');

  await user.selectOptions(screen.getByRole('combobox', { name: 'Sprache' }), 'Nederlands');
  await screen.findByRole('link', { name: 'Overzicht' });
  expect(screen.getByRole('link', { name: 'Instellingen' })).toBeInTheDocument();
  expect(document.documentElement.lang).toBe('nl');
  expect(localStorage.getItem(LANGUAGE_KEY)).toBe('nl');
});

it('is in the Menu on a phone, not in the header', async () => {
  phoneScreen();
  const user = userEvent.setup();
  renderPage('/b/home', '/b/:buildingId/*', <Layout />);
  await screen.findByRole('option', { name: 'Home' });
  expect(screen.queryByRole('combobox', { name: 'Language' })).toBeNull();

  await user.click(screen.getByRole('button', { name: 'Menu' }));
  await user.selectOptions(screen.getByRole('combobox', { name: 'Language' }), 'Deutsch');
  await waitFor(() => expect(document.documentElement.lang).toBe('de'));
  expect(screen.getByRole('button', { name: 'Menü' })).toBeInTheDocument();
  expect(localStorage.getItem(LANGUAGE_KEY)).toBe('de');
});
