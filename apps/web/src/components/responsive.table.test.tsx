// Proves a responsive table renders one table on a desk and, on a phone-sized screen, one card per row (its label as heading, then each column's name and value) under the same region name, never both.
import { render, screen, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { phoneScreen } from '../test/media.fixture.js';
import { ResponsiveTable } from './responsive.table.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const table = (
  <ResponsiveTable
    label="Scores table"
    caption="Scores per appliance"
    columns={['Appliance', 'F1', 'Recall'].map((c) => ({ key: c, label: c, name: c }))}
    rows={[
      { key: 'kettle', label: 'Kettle', cells: ['0.91', '0.88'] },
      { key: 'fridge', label: 'Fridge', cells: ['0.75', '–'] },
    ]}
  />
);

it('is a table on a desk', () => {
  render(table);
  const region = screen.getByRole('region', { name: 'Scores table' });
  const grid = within(region).getByRole('table', { name: 'Scores per appliance' });
  const row = within(grid).getByRole('rowheader', { name: 'Kettle' }).closest('tr')!;
  expect(
    within(row)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['0.91', '0.88']);
  expect(within(region).queryByRole('list')).toBeNull();
});

it('is one card per row on a phone, with the same region name and values', () => {
  phoneScreen();
  render(table);
  const region = screen.getByRole('region', { name: 'Scores table' });
  expect(within(region).queryByRole('table')).toBeNull();
  const cards = within(region).getAllByRole('listitem');
  expect(cards).toHaveLength(2);
  expect(within(cards[0]!).getByRole('heading', { name: 'Kettle' })).toBeInTheDocument();
  expect(
    within(cards[0]!)
      .getAllByRole('term')
      .map((t) => t.textContent),
  ).toEqual(['F1', 'Recall']);
  expect(
    within(cards[1]!)
      .getAllByRole('definition')
      .map((d) => d.textContent),
  ).toEqual(['0.75', '–']);
  expect(within(region).getByText('Scores per appliance')).toHaveClass('sr-only');
});
