// Proves the main navigation is one row of links on a desk and, on a phone-sized screen, a Menu button (aria-expanded, aria-controls) that opens the links as a list, focuses the first, closes on Escape with focus back on the button, and closes when a page is chosen.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, it, vi } from 'vitest';
import { phoneScreen } from '../test/media.fixture.js';
import { renderPage } from '../test/page.fixture.js';
import { Layout } from './layout.js';

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

const PAGES = ['Dashboard', 'Appliances', 'Reports', 'Alerts', 'Building', 'Model', 'Settings'];

it('shows every link in one row on a desk, with no menu button', async () => {
  renderPage('/b/home', '/b/:buildingId/*', <Layout />);
  const nav = screen.getByRole('navigation', { name: 'Main' });
  await within(nav).findByRole('link', { name: 'Dashboard' });
  expect(
    within(nav)
      .getAllByRole('link')
      .map((l) => l.textContent),
  ).toEqual(PAGES);
  expect(within(nav).queryByRole('button', { name: 'Menu' })).toBeNull();
});

it('folds the links into a menu on a phone', async () => {
  phoneScreen();
  const user = userEvent.setup();
  renderPage('/b/home', '/b/:buildingId/*', <Layout />);
  const nav = screen.getByRole('navigation', { name: 'Main' });
  const menu = within(nav).getByRole('button', { name: 'Menu' });
  expect(menu).toHaveAttribute('aria-expanded', 'false');
  expect(within(nav).queryByRole('link')).toBeNull();
  // Wait for the building list, so the building's pages are in the menu.
  await screen.findByRole('option', { name: 'Home' });

  await user.click(menu);
  expect(menu).toHaveAttribute('aria-expanded', 'true');
  const list = document.getElementById(menu.getAttribute('aria-controls')!)!;
  expect(
    within(list)
      .getAllByRole('link')
      .map((l) => l.textContent),
  ).toEqual(PAGES);
  expect(within(list).getByRole('link', { name: 'Dashboard' })).toHaveFocus();

  await user.keyboard('{Escape}');
  expect(menu).toHaveAttribute('aria-expanded', 'false');
  expect(within(nav).queryByRole('link')).toBeNull();
  expect(menu).toHaveFocus();

  await user.click(menu);
  await user.click(within(nav).getByRole('link', { name: 'Reports' }));
  await waitFor(() => expect(menu).toHaveAttribute('aria-expanded', 'false'));
  expect(within(nav).queryByRole('link')).toBeNull();
});
