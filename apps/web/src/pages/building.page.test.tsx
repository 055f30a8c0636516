// Proves the Building page: owners see members and device tokens, add a member by e-mail (or account id) with the right request, see the server's message when that fails, get a new token's secret once with curl and MQTT commands for this building, copy it (or have it selected where the clipboard is missing), revoke after confirming; viewers see a read-only notice and no management controls.
import type { Building, DeviceTokenList, IngestInfo, MemberList } from '@nilm/contracts';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { apiError, renderWithApi, type Routes } from '../test/api.fixture.js';
import BuildingPage from './building.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
  Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
});

const TOKEN = 'nilm_dev_s3cr3t-Token_value';
const building = (my_role: Building['my_role']): Building => ({
  id: 'home',
  name: 'Our house',
  timezone: 'Europe/London',
  is_demo: false,
  model_ref: null,
  my_role,
  created_at: '2026-01-01T00:00:00.000Z',
});
const members: MemberList = {
  members: [
    { user_id: 'me', email: 'me@example.org', role: 'owner' },
    { user_id: 'u_2', email: null, role: 'viewer' },
  ],
};
const tokens: DeviceTokenList = {
  tokens: [
    {
      id: 'tok_1',
      name: 'Hall meter',
      created_at: '2026-01-01T10:00:00.000Z',
      revoked_at: null,
      last_used_at: '2026-01-02T10:00:00.000Z',
    },
    {
      id: 'tok_0',
      name: 'Old meter',
      created_at: '2025-12-01T10:00:00.000Z',
      revoked_at: '2025-12-24T10:00:00.000Z',
      last_used_at: null,
    },
  ],
};
const info: IngestInfo = {
  http: {
    method: 'POST',
    path: '/api/v1/ingest',
    token_header: 'X-Ingest-Token',
    max_readings: 10_000,
  },
  mqtt: {
    enabled: true,
    broker: 'embedded',
    url: 'mqtt://energy.lan:1884',
    host: 'energy.lan',
    port: 1884,
    tls: false,
    websocket: false,
    topic_pattern: 'nilm/+/power',
    auth: 'broker_login',
    loopback_only: false,
    max_readings_per_message: 10_000,
  },
};

function ownerRoutes(extra: Routes = {}): Routes {
  return {
    'GET /api/v1/buildings/home': { body: building('owner') },
    'GET /api/v1/buildings/home/members': { body: members },
    'GET /api/v1/buildings/home/tokens': { body: tokens },
    'GET /api/v1/ingest/info': { body: info },
    'GET /api/v1/buildings/home/sources': { body: { sources: [] } },
    ...extra,
  };
}

const show = (routes: Routes) =>
  renderWithApi('/b/home/settings', '/b/:buildingId/settings', <BuildingPage />, routes);

it('lists members with their roles and tokens with their state', async () => {
  show(ownerRoutes());
  expect(await screen.findByRole('heading', { name: 'Building: Our house' })).toBeInTheDocument();
  expect(await screen.findByRole('rowheader', { name: /me@example\.org/ })).toBeInTheDocument();
  expect(screen.getByRole('combobox', { name: 'Role of u_2' })).toHaveValue('viewer');
  const hall = (await screen.findByRole('rowheader', { name: 'Hall meter' })).closest('tr')!;
  expect(within(hall).getByText('Active')).toBeInTheDocument();
  expect(within(hall).getByRole('button', { name: 'Revoke token Hall meter' })).toBeInTheDocument();
  const old = screen.getByRole('rowheader', { name: 'Old meter' }).closest('tr')!;
  expect(within(old).getByText(/^Revoked /)).toBeInTheDocument();
  expect(within(old).getByText('never')).toBeInTheDocument();
  expect(within(old).queryByRole('button')).not.toBeInTheDocument();
});

it('adds a member by e-mail with the chosen role', async () => {
  const sent = show(
    ownerRoutes({ 'POST /api/v1/buildings/home/members': { status: 201, body: members } }),
  );
  const form = await screen.findByRole('form', { name: 'Add a member' });
  fireEvent.change(within(form).getByLabelText('E-mail (or account id) of the person to add'), {
    target: { value: ' bob@example.org ' },
  });
  fireEvent.change(within(form).getByLabelText('Role'), { target: { value: 'viewer' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Add member' }));
  await waitFor(() =>
    expect(sent.filter((r) => r.method === 'POST')).toEqual([
      {
        method: 'POST',
        path: '/api/v1/buildings/home/members',
        body: { email: 'bob@example.org', role: 'viewer' },
      },
    ]),
  );
  // The list is read again after the change.
  await waitFor(() =>
    expect(sent.filter((r) => r.path === '/api/v1/buildings/home/members')).toHaveLength(3),
  );
  expect(within(form).getByLabelText('E-mail (or account id) of the person to add')).toHaveValue(
    '',
  );
});

it('adds a member by account id when the text is not an e-mail', async () => {
  const sent = show(
    ownerRoutes({ 'POST /api/v1/buildings/home/members': { status: 201, body: members } }),
  );
  const form = await screen.findByRole('form', { name: 'Add a member' });
  fireEvent.change(within(form).getByLabelText('E-mail (or account id) of the person to add'), {
    target: { value: '6f1c2a9e-idp-user' },
  });
  fireEvent.click(within(form).getByRole('button', { name: 'Add member' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'POST')?.body).toEqual({
      user_id: '6f1c2a9e-idp-user',
      role: 'member',
    }),
  );
});

it("shows the server's message when the member cannot be added", async () => {
  const message =
    'no account with e-mail "bob@example.org" exists; an admin can create it first (Buildings & users, or POST /api/v1/admin/users), then add it here';
  show(
    ownerRoutes({
      'POST /api/v1/buildings/home/members': apiError(422, 'VALIDATION_FAILED', message),
    }),
  );
  const form = await screen.findByRole('form', { name: 'Add a member' });
  fireEvent.change(within(form).getByLabelText('E-mail (or account id) of the person to add'), {
    target: { value: 'bob@example.org' },
  });
  fireEvent.click(within(form).getByRole('button', { name: 'Add member' }));
  expect(await within(form).findByRole('alert')).toHaveTextContent(message);
});

it('creates a token and shows its secret once with curl and MQTT commands for this building', async () => {
  const writeText = vi.fn(() => Promise.resolve());
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  const sent = show(
    ownerRoutes({
      'POST /api/v1/buildings/home/tokens': {
        status: 201,
        body: { id: 'tok_2', name: 'Shelly', created_at: '2026-01-03T00:00:00.000Z', token: TOKEN },
      },
    }),
  );
  const form = await screen.findByRole('form', { name: 'Create a device token' });
  fireEvent.change(within(form).getByLabelText('Token name'), { target: { value: 'Shelly' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Create token' }));

  const dialog = await screen.findByRole('dialog', { name: 'Device token “Shelly” created' });
  expect(sent.find((r) => r.method === 'POST')?.body).toEqual({ name: 'Shelly' });
  expect(within(dialog).getByText(/shown only this once/)).toBeInTheDocument();
  expect(within(dialog).getByLabelText('Token')).toHaveTextContent(TOKEN);
  const curl = (await within(dialog).findByLabelText('curl command')).textContent!;
  expect(curl).toContain(`${window.location.origin}/api/v1/ingest`);
  expect(curl).toContain(`'X-Ingest-Token: ${TOKEN}'`);
  expect(curl).toContain('"building_id":"home"');
  const mqtt = within(dialog).getByLabelText('mosquitto_pub command').textContent!;
  expect(mqtt).toContain("-h 'energy.lan' -p 1884");
  expect(mqtt).toContain(`-u 'home' -P '${TOKEN}'`);
  expect(mqtt).toContain("-t 'nilm/home/power'");

  fireEvent.click(within(dialog).getByRole('button', { name: 'Copy token' }));
  await waitFor(() => expect(writeText).toHaveBeenCalledWith(TOKEN));
  expect(await within(dialog).findByText('Copied')).toBeInTheDocument();

  fireEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  expect(screen.queryByText(TOKEN)).not.toBeInTheDocument();
});

it('selects the text to copy by hand where the clipboard is unavailable', async () => {
  show(
    ownerRoutes({
      'POST /api/v1/buildings/home/tokens': {
        status: 201,
        body: { id: 'tok_2', name: 'Shelly', created_at: '2026-01-03T00:00:00.000Z', token: TOKEN },
      },
    }),
  );
  const form = await screen.findByRole('form', { name: 'Create a device token' });
  fireEvent.change(within(form).getByLabelText('Token name'), { target: { value: 'Shelly' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Create token' }));
  const dialog = await screen.findByRole('dialog');
  fireEvent.click(within(dialog).getByRole('button', { name: 'Copy token' }));
  expect(
    await within(dialog).findByText(/the text is selected, press Ctrl\+C/),
  ).toBeInTheDocument();
  expect(window.getSelection()?.toString()).toBe(TOKEN);
});

it('revokes a token only after confirming', async () => {
  const sent = show(ownerRoutes({ 'DELETE /api/v1/buildings/home/tokens/tok_1': { status: 204 } }));
  fireEvent.click(await screen.findByRole('button', { name: 'Revoke token Hall meter' }));
  const dialog = await screen.findByRole('dialog', { name: 'Revoke “Hall meter”?' });
  expect(sent.some((r) => r.method === 'DELETE')).toBe(false);
  fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke' }));
  await waitFor(() =>
    expect(sent.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      '/api/v1/buildings/home/tokens/tok_1',
    ]),
  );
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
});

it('shows viewers a read-only notice and no management controls', async () => {
  const sent = show({ 'GET /api/v1/buildings/home': { body: building('viewer') } });
  expect(await screen.findByRole('note')).toHaveTextContent(
    /only its owners and administrators can rename it, manage its members and create device tokens/,
  );
  expect(screen.getByText('you are a viewer', { exact: false })).toBeInTheDocument();
  expect(screen.queryByRole('form')).not.toBeInTheDocument();
  expect(screen.queryByRole('button')).not.toBeInTheDocument();
  expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
  expect(sent.map((r) => r.path)).toEqual(['/api/v1/buildings/home']);
});

it('renames the building and saves only what changed', async () => {
  const sent = show(
    ownerRoutes({
      'PATCH /api/v1/buildings/home': (body) => ({
        body: { ...building('owner'), ...(body as object) },
      }),
    }),
  );
  const name = await screen.findByLabelText('Name');
  fireEvent.change(name, { target: { value: 'Our flat' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'PATCH')?.body).toEqual({ name: 'Our flat' }),
  );
});
