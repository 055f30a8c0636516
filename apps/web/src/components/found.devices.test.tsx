// Proves the found devices section says each device in a sentence (power, run length, runs a day,
// energy a month, and its period when periodic), draws an example run on the mains, lets an owner
// name one with an appliance type or a typed name, merge it into another, dismiss it and look for
// devices now (each sent as the API asks), hides all of that from a member, and speaks German.
import type { FoundDevice } from '@nilm/contracts';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import { renderWithApi, type Routes } from '../test/api.fixture.js';
import { columnsOf } from '../test/readings.fixture.js';
import { FoundDevicesPanel } from './found.devices.js';

afterEach(async () => {
  vi.unstubAllGlobals();
  await showLanguage('en');
});

const device = (over: Partial<FoundDevice>): FoundDevice => ({
  id: 'd1',
  building_id: 'home',
  label: 'Device A',
  status: 'found',
  merged_into: null,
  name: null,
  appliance: null,
  power_w: 1800,
  run_minutes: 20,
  period_minutes: null,
  runs: 42,
  runs_per_day: 3,
  energy_per_month_kwh: 11,
  hour_profile: Array.from({ length: 24 }, () => 1 / 24),
  examples: [{ start: '2026-01-02T10:00:00.000Z', end: '2026-01-02T10:20:00.000Z', mean_w: 1790 }],
  span: { start: '2025-12-03T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
  found_at: '2026-01-02T00:00:00.000Z',
  updated_at: '2026-01-02T00:00:00.000Z',
  ...over,
});

const fridge = device({
  id: 'd2',
  label: 'Device B',
  power_w: 95,
  run_minutes: 18,
  period_minutes: 40,
  runs_per_day: 36,
  energy_per_month_kwh: 32,
  examples: [],
});

const routes = (devices: FoundDevice[]) =>
  ({
    'GET /api/v1/buildings/home/devices': {
      body: { devices: [...devices, device({ id: 'd3', label: 'Device C', status: 'dismissed' })] },
    },
    'PATCH /api/v1/buildings/home/devices/d1': (body: unknown) => ({
      body: device({ ...(body as object), status: 'named' }),
    }),
    'POST /api/v1/buildings/home/devices/d1/merge': { body: device({ status: 'merged' }) },
    'POST /api/v1/buildings/home/devices/d1/dismiss': { body: device({ status: 'dismissed' }) },
    'POST /api/v1/buildings/home/devices/discover': {
      body: {
        building_id: 'home',
        start: '2026-01-01T00:00:00.000Z',
        end: '2026-01-14T00:00:00.000Z',
        devices,
        covered_days: 13,
        baseload_w: 150,
        threshold_w: 100,
        created: 2,
        updated: 0,
        runs_found: 90,
      },
    },
    'GET /api/v1/buildings/home/readings': {
      body: columnsOf(
        [0, 10, 20, 30, 40].map((m) => ({
          time: new Date(Date.parse('2026-01-02T09:50:00Z') + m * 60_000).toISOString(),
          power_w: m >= 10 && m < 30 ? 2000 : 200,
        })),
        {
          start: '2026-01-02T09:50:00.000Z',
          end: '2026-01-02T10:30:00.000Z',
          appliances: [],
          estimate_coverage: null,
        },
      ),
    },
  }) satisfies Routes;

const show = (canEdit: boolean, devices = [device({}), fridge]) =>
  renderWithApi(
    '/',
    '/',
    <FoundDevicesPanel buildingId="home" canEdit={canEdit} />,
    routes(devices),
  );

it('says each device in a sentence, its period when periodic, and leaves out dismissed ones', async () => {
  show(false);
  const a = await screen.findByRole('listitem', { name: 'Device A' });
  expect(a).toHaveTextContent(
    'Device A: about 1.80 kW for 20 min, 3.0 runs a day, 11.00 kWh a month',
  );
  expect(screen.getByRole('listitem', { name: 'Device B' })).toHaveTextContent(
    'about 95 W for 18 min, 36 runs a day, 32.00 kWh a month, every 40 min',
  );
  expect(screen.queryByRole('listitem', { name: 'Device C' })).toBeNull();
  expect(screen.getByText('1 dismissed or merged device is not shown.')).toBeInTheDocument();
  // A member reads: no name, dismiss or discovery.
  expect(screen.queryByRole('button', { name: 'Name Device A' })).toBeNull();
  expect(screen.queryByRole('button', { name: 'Look for devices now' })).toBeNull();
  expect(screen.getByText('Owners name, merge and dismiss devices.')).toBeInTheDocument();
});

it('draws an example run on the mains when chosen, asking for the readings around it', async () => {
  const sent = show(false);
  const a = await screen.findByRole('listitem', { name: 'Device A' });
  fireEvent.click(within(a).getByRole('button', { name: /1\.79 kW/ }));
  await waitFor(() =>
    expect(sent.some((r) => r.path === '/api/v1/buildings/home/readings')).toBe(true),
  );
});

it('lets an owner name a device with a type and a typed name', async () => {
  const sent = show(true);
  fireEvent.click(await screen.findByRole('button', { name: 'Name Device A' }));
  const form = screen.getByRole('form', { name: 'Name Device A' });
  fireEvent.change(within(form).getByLabelText('Appliance type'), {
    target: { value: 'electric_heater' },
  });
  fireEvent.change(within(form).getByLabelText('Or your own name'), {
    target: { value: ' Garage heater ' },
  });
  fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'PATCH')?.body).toEqual({
      appliance: 'electric_heater',
      name: 'Garage heater',
    }),
  );
});

it('lets an owner merge a device into another, dismiss one, and look for devices now', async () => {
  const sent = show(true);
  fireEvent.click(await screen.findByRole('button', { name: 'Name Device A' }));
  fireEvent.change(screen.getByLabelText('Merge Device A into'), { target: { value: 'd2' } });
  fireEvent.click(screen.getByRole('button', { name: 'Merge' }));
  await waitFor(() =>
    expect(sent.find((r) => r.path.endsWith('/d1/merge'))?.body).toEqual({ into: 'd2' }),
  );
  fireEvent.click(screen.getByRole('button', { name: 'Dismiss Device A' }));
  fireEvent.click(
    within(await screen.findByRole('dialog')).getByRole('button', { name: 'Dismiss' }),
  );
  await waitFor(() => expect(sent.some((r) => r.path.endsWith('/d1/dismiss'))).toBe(true));
  fireEvent.click(screen.getByRole('button', { name: 'Look for devices now' }));
  expect(await screen.findByText('Found 2 devices in 13 days of readings.')).toBeInTheDocument();
});

it('speaks German', async () => {
  await showLanguage('de');
  show(true);
  expect(await screen.findByRole('listitem', { name: 'Device A' })).toHaveTextContent(
    'etwa 1,80 kW für 20 Min., 3,0 Läufe am Tag, 11,00 kWh im Monat',
  );
  expect(screen.getByRole('button', { name: 'Jetzt nach Geräten suchen' })).toBeInTheDocument();
});
