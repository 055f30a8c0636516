// Proves the Buildings & users page: admins see every building and local account, create a building (id from its name, chosen owner, the browser's time zone pre-filled) and an account whose generated password is shown once with Copy, delete only after confirming, and read the server's message when local accounts are off; non-admins get neither the page's controls, its requests, nor the nav link.
import type { BuildingList, UserList } from '@nilm/contracts';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { Layout } from '../components/layout.js';
import { apiError, renderWithApi, type Routes } from '../test/api.fixture.js';
import AdminPage from './admin.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
  Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
});

const buildings: BuildingList = {
  buildings: [
    {
      id: 'demo-home',
      name: 'Demo home',
      timezone: 'Europe/London',
      is_demo: true,
      model_ref: null,
      my_role: 'admin',
      created_at: '2026-01-01T00:00:00.000Z',
    },
    {
      id: 'flat-1',
      name: 'Flat 1',
      timezone: 'Europe/Berlin',
      is_demo: false,
      model_ref: null,
      my_role: 'admin',
      created_at: '2026-01-02T00:00:00.000Z',
    },
  ],
};
const users: UserList = {
  users: [
    {
      id: 'local-admin',
      email: 'admin@nilm.local',
      role: 'admin',
      created_at: '2026-01-01T00:00:00.000Z',
    },
    {
      id: 'user_ab',
      email: 'ann@example.org',
      role: 'user',
      created_at: '2026-01-02T00:00:00.000Z',
    },
  ],
};

function routes(extra: Routes = {}): Routes {
  return {
    'GET /api/v1/buildings': { body: buildings },
    'GET /api/v1/admin/users': { body: users },
    ...extra,
  };
}

const show = (r: Routes, role: 'admin' | 'user' = 'admin') =>
  renderWithApi('/admin', '/admin', <AdminPage />, r, role);

it('lists every building and every local account', async () => {
  show(routes());
  const demo = (await screen.findByRole('rowheader', { name: /Demo home/ })).closest('tr')!;
  expect(within(demo).getByText('demo-home')).toBeInTheDocument();
  expect(within(demo).getByRole('link', { name: 'Manage Demo home' })).toHaveAttribute(
    'href',
    '/b/demo-home/settings',
  );
  expect(screen.getByRole('rowheader', { name: 'Flat 1' })).toBeInTheDocument();
  const ann = (await screen.findByRole('rowheader', { name: 'ann@example.org' })).closest('tr')!;
  expect(within(ann).getByText('User')).toBeInTheDocument();
  expect(within(ann).getByText('user_ab')).toBeInTheDocument();
});

it('creates a building with an id made from its name and the chosen owner', async () => {
  const sent = show(
    routes({
      'POST /api/v1/buildings': (body) => ({
        status: 201,
        body: { ...buildings.buildings[1], ...(body as object), my_role: 'admin' },
      }),
    }),
  );
  const form = await screen.findByRole('form', { name: 'Create a building' });
  fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Flat 2 (Süd)' } });
  expect(within(form).getByLabelText('Id')).toHaveValue('flat-2-sud');
  fireEvent.change(within(form).getByLabelText('Time zone'), {
    target: { value: 'Europe/Berlin' },
  });
  await within(form).findByRole('option', { name: 'ann@example.org' });
  fireEvent.change(within(form).getByLabelText('Owner'), { target: { value: 'user_ab' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Create building' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'POST')?.body).toEqual({
      id: 'flat-2-sud',
      name: 'Flat 2 (Süd)',
      timezone: 'Europe/Berlin',
      owner_id: 'user_ab',
    }),
  );
  expect(await within(form).findByRole('status')).toHaveTextContent(
    'Building “Flat 2 (Süd)” created.',
  );
});

it("pre-fills the browser's time zone (not UTC) and sends it unless changed", async () => {
  const real = Intl.DateTimeFormat.prototype.resolvedOptions;
  const zone = vi
    .spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions')
    .mockImplementation(function (this: Intl.DateTimeFormat) {
      return { ...real.call(this), timeZone: 'Asia/Kolkata' };
    });
  try {
    const sent = show(
      routes({
        'POST /api/v1/buildings': (body) => ({
          status: 201,
          body: { ...buildings.buildings[1], ...(body as object), my_role: 'admin' },
        }),
      }),
    );
    const form = await screen.findByRole('form', { name: 'Create a building' });
    expect(within(form).getByLabelText('Time zone')).toHaveValue('Asia/Kolkata');
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Cabin' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create building' }));
    await waitFor(() =>
      expect(sent.find((r) => r.method === 'POST')?.body).toEqual({
        id: 'cabin',
        name: 'Cabin',
        timezone: 'Asia/Kolkata',
      }),
    );
  } finally {
    zone.mockRestore();
  }
});

it("shows the server's message when the building cannot be created", async () => {
  show(
    routes({
      'POST /api/v1/buildings': apiError(409, 'CONFLICT', 'building "flat-1" already exists'),
    }),
  );
  const form = await screen.findByRole('form', { name: 'Create a building' });
  fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Flat 1' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Create building' }));
  expect(await within(form).findByRole('alert')).toHaveTextContent(
    'building "flat-1" already exists',
  );
});

it('deletes a building only after confirming', async () => {
  const sent = show(routes({ 'DELETE /api/v1/buildings/flat-1': { status: 204 } }));
  fireEvent.click(await screen.findByRole('button', { name: 'Delete building Flat 1' }));
  const dialog = await screen.findByRole('dialog', { name: 'Delete “Flat 1”?' });
  expect(dialog).toHaveTextContent('all its readings');
  expect(sent.some((r) => r.method === 'DELETE')).toBe(false);
  fireEvent.click(within(dialog).getByRole('button', { name: 'Delete building' }));
  await waitFor(() =>
    expect(sent.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      '/api/v1/buildings/flat-1',
    ]),
  );
});

it('creates an account and shows its generated password once, with Copy', async () => {
  const writeText = vi.fn(() => Promise.resolve());
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  const sent = show(
    routes({
      'POST /api/v1/admin/users': {
        status: 201,
        body: {
          user: {
            id: 'user_cd',
            email: 'bob@example.org',
            role: 'user',
            created_at: '2026-01-03T00:00:00.000Z',
          },
          generated_password: 'Gen3rated-Pass_1',
        },
      },
    }),
  );
  const form = await screen.findByRole('form', { name: 'Create an account' });
  fireEvent.change(within(form).getByLabelText('E-mail'), {
    target: { value: 'bob@example.org' },
  });
  fireEvent.click(within(form).getByRole('button', { name: 'Create account' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'POST')?.body).toEqual({
      email: 'bob@example.org',
      role: 'user',
    }),
  );
  const region = await screen.findByRole('region', { name: 'New account' });
  expect(region).toHaveTextContent('shown only this once');
  expect(within(region).getByLabelText('Password')).toHaveTextContent('Gen3rated-Pass_1');
  fireEvent.click(within(region).getByRole('button', { name: 'Copy password' }));
  await waitFor(() => expect(writeText).toHaveBeenCalledWith('Gen3rated-Pass_1'));
  expect(await within(region).findByText('Copied')).toBeInTheDocument();
  fireEvent.click(within(region).getByRole('button', { name: 'Done' }));
  expect(screen.queryByText('Gen3rated-Pass_1')).not.toBeInTheDocument();
});

it("shows the server's reason when local accounts are off, and takes the owner as a user id", async () => {
  const message =
    'local accounts are off: this server uses external auth, so create and manage accounts in your identity provider, then add people to buildings by user_id';
  show(routes({ 'GET /api/v1/admin/users': apiError(404, 'NOT_FOUND', message) }));
  const users = await screen.findByRole('region', { name: 'Users' });
  expect(await within(users).findByRole('alert')).toHaveTextContent(message);
  expect(within(users).queryByRole('form')).not.toBeInTheDocument();
  const form = screen.getByRole('form', { name: 'Create a building' });
  expect(within(form).getByLabelText('Owner user id (optional)')).toBeInTheDocument();
});

it('gives non-admins no controls, no requests and no nav link', async () => {
  const sent = show(routes(), 'user');
  expect(await screen.findByText(/managed by administrators/)).toBeInTheDocument();
  expect(screen.queryByRole('form')).not.toBeInTheDocument();
  expect(screen.queryByRole('button')).not.toBeInTheDocument();
  expect(sent).toEqual([]);
});

it('shows the "Buildings & users" nav link to admins only', async () => {
  for (const role of ['user', 'admin'] as const) {
    renderWithApi('/b/flat-1', '/b/:buildingId', <Layout />, routes(), role);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(await within(nav).findByRole('link', { name: 'Building' })).toHaveAttribute(
      'href',
      '/b/flat-1/settings',
    );
    if (role === 'admin')
      expect(within(nav).getByRole('link', { name: 'Buildings & users' })).toHaveAttribute(
        'href',
        '/admin',
      );
    else expect(within(nav).queryByRole('link', { name: 'Buildings & users' })).toBeNull();
    document.body.innerHTML = '';
  }
});
