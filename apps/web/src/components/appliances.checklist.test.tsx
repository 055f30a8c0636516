// Proves the Building page's appliance checklist: every head of the model with its plain name, all ticked while nobody has chosen, an owner's untick saved as the list of the rest (in the model's order) and shown as saved, the server's 422 message shown when it refuses, and a read-only list with no save button for those who cannot change it (the Building page shows viewers no checklist at all).
import type { AppliancesPresentResponse, Building } from '@nilm/contracts';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { apiError, renderWithApi, type Routes } from '../test/api.fixture.js';
import BuildingPage from '../pages/building.page.js';
import { AppliancesChecklist } from './appliances.checklist.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const building = (my_role: Building['my_role']): Building => ({
  id: 'home',
  name: 'Our house',
  timezone: 'Europe/London',
  is_demo: false,
  model_ref: null,
  my_role,
  created_at: '2026-01-01T00:00:00.000Z',
});
const HEADS: Array<[string, string]> = [
  ['kettle', 'Kettle'],
  ['microwave', 'Microwave'],
  ['electric_shower', 'Electric shower'],
  ['ev_charger', 'EV charger'],
];
const presence = (present: (name: string) => boolean): AppliancesPresentResponse => ({
  building_id: 'home',
  model: 'nilm@2026.12.04',
  is_default: HEADS.every(([n]) => present(n)),
  appliances: HEADS.map(([name, label]) => ({ name, label, present: present(name) })),
});

function routes(role: Building['my_role'], extra: Routes = {}): Routes {
  return {
    'GET /api/v1/buildings/home': { body: building(role) },
    'GET /api/v1/buildings/home/members': { body: { members: [] } },
    'GET /api/v1/buildings/home/tokens': { body: { tokens: [] } },
    'GET /api/v1/buildings/home/sources': { body: { sources: [] } },
    'GET /api/v1/buildings/home/appliances-present': { body: presence(() => true) },
    ...extra,
  };
}

const show = (r: Routes) =>
  renderWithApi('/b/home/settings', '/b/:buildingId/settings', <BuildingPage />, r);

it('lists every appliance of the model by its plain name, all ticked by default', async () => {
  show(routes('owner'));
  const form = await screen.findByRole(
    'form',
    { name: 'Appliances in this building' },
    { timeout: 10_000 },
  );
  for (const [, label] of HEADS)
    expect(await within(form).findByRole('checkbox', { name: label })).toBeChecked();
  expect(within(form).getByText(/Nobody has chosen yet, so all are shown/)).toBeInTheDocument();
  // Nothing changed yet: nothing to save.
  expect(within(form).getByRole('button', { name: 'Save appliances' })).toBeDisabled();
});

it('saves the ticked appliances in the model’s order after an owner unticks some', async () => {
  const sent = show(
    routes('owner', {
      'PUT /api/v1/buildings/home/appliances-present': (body) => ({
        body: presence((n) => (body as { appliances: string[] }).appliances.includes(n)),
      }),
    }),
  );
  const form = await screen.findByRole(
    'form',
    { name: 'Appliances in this building' },
    { timeout: 10_000 },
  );
  fireEvent.click(await within(form).findByRole('checkbox', { name: 'Microwave' }));
  fireEvent.click(within(form).getByRole('checkbox', { name: 'EV charger' }));
  fireEvent.click(within(form).getByRole('button', { name: 'Save appliances' }));
  await waitFor(() =>
    expect(sent.filter((r) => r.method === 'PUT')).toEqual([
      {
        method: 'PUT',
        path: '/api/v1/buildings/home/appliances-present',
        body: { appliances: ['kettle', 'electric_shower'] },
      },
    ]),
  );
  const saved = await screen.findByRole(
    'form',
    { name: 'Appliances in this building' },
    { timeout: 10_000 },
  );
  expect(await within(saved).findByText('Saved')).toBeInTheDocument();
  expect(within(saved).getByRole('checkbox', { name: 'Microwave' })).not.toBeChecked();
  expect(within(saved).getByRole('checkbox', { name: 'Kettle' })).toBeChecked();
  expect(within(saved).queryByText(/Nobody has chosen yet/)).not.toBeInTheDocument();
});

it('shows the server’s message when it refuses the list', async () => {
  show(
    routes('admin', {
      'PUT /api/v1/buildings/home/appliances-present': apiError(
        422,
        'VALIDATION_FAILED',
        '"jacuzzi" is not an appliance of the model nilm@2026.12.04',
      ),
    }),
  );
  const form = await screen.findByRole(
    'form',
    { name: 'Appliances in this building' },
    { timeout: 10_000 },
  );
  fireEvent.click(await within(form).findByRole('checkbox', { name: 'Kettle' }));
  fireEvent.click(within(form).getByRole('button', { name: 'Save appliances' }));
  expect(await within(form).findByText(/"jacuzzi" is not an appliance/)).toBeInTheDocument();
});

it('shows the list read-only, without a save button, where the reader cannot change it', async () => {
  renderWithApi(
    '/b/home/settings',
    '/b/:buildingId/settings',
    <AppliancesChecklist buildingId="home" canEdit={false} />,
    {
      'GET /api/v1/buildings/home/appliances-present': {
        body: presence((n) => n !== 'ev_charger'),
      },
    },
  );
  const form = await screen.findByRole(
    'form',
    { name: 'Appliances in this building' },
    { timeout: 10_000 },
  );
  const ev = await within(form).findByRole('checkbox', { name: 'EV charger' });
  expect(ev).not.toBeChecked();
  expect(ev).toBeDisabled();
  expect(within(form).getByRole('checkbox', { name: 'Kettle' })).toBeChecked();
  expect(within(form).queryByRole('button', { name: 'Save appliances' })).not.toBeInTheDocument();
  expect(within(form).getByText(/Only its owners and administrators/)).toBeInTheDocument();
});
