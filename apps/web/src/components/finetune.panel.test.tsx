// Proves "Teach the model your home" offers the appliances with a sub-meter or labels (and any
// other of the vocabulary), posts the fine-tune, shows the API's 422 as it says it, follows a
// running job (epoch x of y, a progress bar), lists the building's own models with each scorecard
// side by side (base vs taught: F1, MAE, energy over the held-out span), marks the one in use,
// sends Activate / Discard for owners only, takes an epochs setting bounded as the API bounds it
// (1 to 50, empty for the default), cancels a running job (owners only), offers the found
// devices the owner named (not the unnamed or dismissed ones) and posts their ids, and speaks
// German.
import type { FinetuneJob, FoundDevice, Label, PinnedModel, Source } from '@nilm/contracts';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import { apiError, renderWithApi, type Answer, type Routes } from '../test/api.fixture.js';
import { FinetunePanel } from './finetune.panel.js';

afterEach(async () => {
  vi.unstubAllGlobals();
  await showLanguage('en');
});

const score = (f1: number, mae: number, pred: number) => ({
  f1,
  mae_w: mae,
  energy_true_kwh: 1.75,
  energy_pred_kwh: pred,
  energy_error: (pred - 1.75) / 1.75,
  minutes: 3744,
});

const model = (over: Partial<PinnedModel>): PinnedModel => ({
  ref: 'default+home@1',
  building_id: 'home',
  n: 1,
  base: 'default@3',
  status: 'candidate',
  heads: ['fridge'],
  added: [],
  appliances: ['fridge', 'kettle'],
  training_seconds: 18,
  scorecard: {
    held_out: { minutes: 3744, from: '2026-01-10T00:00:00Z', to: '2026-01-12T14:24:00Z' },
    trained_on: { minutes: 13104, from: '2026-01-01T00:00:00Z', to: '2026-01-10T00:00:00Z' },
    appliances: { fridge: { base: score(0, 28.4, 0), tuned: score(1, 13.8, 1.81) } },
  },
  job_id: 'j1',
  created_at: '2026-01-12T15:00:00Z',
  ...over,
});

const running: FinetuneJob = {
  id: 'j2',
  building_id: 'home',
  base: 'default@3',
  appliances: ['fridge'],
  status: 'running',
  progress: { epoch: 2, epochs: 5, step: 10, steps: 20, loss: 0.0123 },
  model: null,
  error: null,
  attempts: 1,
  created_at: '2026-01-12T15:10:00Z',
  updated_at: '2026-01-12T15:10:30Z',
};

const device = (over: Partial<FoundDevice>): FoundDevice => ({
  id: 'd1',
  building_id: 'home',
  label: 'Device A',
  status: 'named',
  merged_into: null,
  name: 'Pond pump',
  appliance: null,
  power_w: 900,
  run_minutes: 20,
  period_minutes: 180,
  runs: 80,
  runs_per_day: 8,
  energy_per_month_kwh: 72,
  hour_profile: Array.from({ length: 24 }, () => 1 / 24),
  examples: [],
  span: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-11T00:00:00.000Z' },
  found_at: '2026-01-11T00:00:00.000Z',
  updated_at: '2026-01-11T00:00:00.000Z',
  ...over,
});

const routes = (over: Routes = {}) => ({
  'GET /api/v1/buildings/home/devices': {
    body: {
      devices: [
        device({}),
        device({ id: 'd2', label: 'Device B', status: 'found', name: null }),
        device({ id: 'd3', label: 'Device C', status: 'dismissed', name: 'Old heater' }),
      ],
    },
  },
  'GET /api/v1/buildings/home/sources': {
    body: {
      sources: [
        {
          id: 's1',
          building_id: 'home',
          name: 'Fridge plug',
          type: 'tasmota',
          role: 'submeter',
          appliance: 'fridge',
          transport: 'mqtt',
          settings: {},
          created_at: '2026-01-01T00:00:00.000Z',
          status: {
            last_value_w: null,
            last_seen: null,
            last_error: null,
            last_error_code: null,
            last_error_at: null,
          },
        } satisfies Source,
      ],
    },
  },
  'GET /api/v1/buildings/home/labels': {
    body: {
      labels: [
        {
          id: 'l1',
          building_id: 'home',
          appliance: 'electric_shower',
          kind: 'off',
          start: '2026-01-01T00:00:00.000Z',
          end: '2026-01-03T00:00:00.000Z',
          note: null,
          created_by: 'me',
          created_at: '2026-01-04T00:00:00.000Z',
        } satisfies Label,
      ],
    },
  },
  'GET /api/v1/buildings/home/finetune': { body: { jobs: [] } },
  'GET /api/v1/buildings/home/models': {
    body: {
      models: [model({ ref: 'default+home@2', n: 2 }), model({ status: 'active', job_id: 'j0' })],
    },
  },
  'POST /api/v1/buildings/home/finetune': {
    status: 202,
    body: { ...running, status: 'queued' },
  } satisfies Answer<FinetuneJob>,
  'POST /api/v1/buildings/home/finetune/j2/cancel': {
    body: { ...running, status: 'cancelled' },
  } satisfies Answer<FinetuneJob>,
  'POST /api/v1/buildings/home/models/default%2Bhome%402/activate': { body: model({}) },
  'POST /api/v1/buildings/home/models/default%2Bhome%402/discard': { body: model({}) },
  ...over,
});

it('offers the appliances with a sub-meter (chosen) or labels and posts the ones chosen', async () => {
  const sent = renderWithApi('/', '/', <FinetunePanel buildingId="home" canEdit />, routes());
  const fridge = await screen.findByRole('checkbox', { name: 'Fridge' });
  const shower = await screen.findByRole('checkbox', { name: 'Electric shower' });
  // The sub-metered one is chosen to start with; a labelled one is offered.
  expect(fridge).toBeChecked();
  expect(shower).not.toBeChecked();
  fireEvent.change(screen.getByLabelText('Another appliance'), { target: { value: 'kettle' } });
  fireEvent.click(screen.getByRole('button', { name: 'Add' }));
  expect(screen.getByRole('checkbox', { name: 'Kettle' })).toBeChecked();
  fireEvent.click(screen.getByRole('button', { name: 'Start teaching' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'POST')?.body).toEqual({
      appliances: ['fridge', 'kettle'],
    }),
  );
});

it('offers the found devices the owner named and posts their ids beside the appliances', async () => {
  const sent = renderWithApi('/', '/', <FinetunePanel buildingId="home" canEdit />, routes());
  const pump = await screen.findByRole('checkbox', { name: 'Pond pump (Device A, 80 runs)' });
  const devices = screen.getByRole('group', { name: 'Found devices you named' });
  expect(within(devices).getAllByRole('checkbox')).toHaveLength(1);
  expect(pump).not.toBeChecked();
  fireEvent.click(pump);
  fireEvent.click(screen.getByRole('checkbox', { name: 'Fridge' }));
  fireEvent.click(screen.getByRole('button', { name: 'Start teaching' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'POST')?.body).toEqual({ devices: ['d1'] }),
  );
});

it('sends the epochs asked for, and refuses what the API would (0, 51, 2.5) before sending', async () => {
  const sent = renderWithApi('/', '/', <FinetunePanel buildingId="home" canEdit />, routes());
  await screen.findByRole('checkbox', { name: 'Fridge' });
  const epochs = screen.getByRole('spinbutton', { name: 'Epochs (passes over your data)' });
  expect(epochs).toHaveAttribute('min', '1');
  expect(epochs).toHaveAttribute('max', '50');
  const start = screen.getByRole('button', { name: 'Start teaching' });
  for (const bad of ['0', '51', '2.5']) {
    fireEvent.change(epochs, { target: { value: bad } });
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Epochs must be a whole number from 1 to 50, or empty.',
    );
    expect(start).toBeDisabled();
    fireEvent.submit(start.closest('form')!);
  }
  expect(sent.some((r) => r.method === 'POST')).toBe(false);
  fireEvent.change(epochs, { target: { value: '50' } });
  expect(screen.queryByRole('alert')).toBeNull();
  fireEvent.click(start);
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'POST')?.body).toEqual({
      appliances: ['fridge'],
      epochs: 50,
    }),
  );
});

it('cancels a running job for an owner', async () => {
  const jobs = routes({ 'GET /api/v1/buildings/home/finetune': { body: { jobs: [running] } } });
  const sent = renderWithApi('/', '/', <FinetunePanel buildingId="home" canEdit />, jobs);
  fireEvent.click(await screen.findByRole('button', { name: 'Stop teaching' }));
  await waitFor(() =>
    expect(sent.some((r) => r.method === 'POST' && r.path.endsWith('/finetune/j2/cancel'))).toBe(
      true,
    ),
  );
});

it('shows a member a running job without the Stop button', async () => {
  renderWithApi(
    '/',
    '/',
    <FinetunePanel buildingId="home" canEdit={false} />,
    routes({ 'GET /api/v1/buildings/home/finetune': { body: { jobs: [running] } } }),
  );
  expect(await screen.findByText(/Epoch 2 of 5/)).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Stop teaching' })).toBeNull();
});

it("shows the API's refusal as it says it", async () => {
  renderWithApi(
    '/',
    '/',
    <FinetunePanel buildingId="home" canEdit />,
    routes({
      'POST /api/v1/buildings/home/finetune': apiError(
        422,
        'VALIDATION_FAILED',
        'fridge has no data: attach a sub-meter or add "nothing of it here" labels',
      ),
    }),
  );
  await screen.findByRole('checkbox', { name: 'Fridge' });
  fireEvent.click(screen.getByRole('button', { name: 'Start teaching' }));
  expect(await screen.findByRole('alert')).toHaveTextContent(
    'fridge has no data: attach a sub-meter or add "nothing of it here" labels',
  );
});

it('follows a running job: epoch 2 of 5 with a progress bar, and no second start', async () => {
  renderWithApi(
    '/',
    '/',
    <FinetunePanel buildingId="home" canEdit />,
    routes({ 'GET /api/v1/buildings/home/finetune': { body: { jobs: [running] } } }),
  );
  expect(await screen.findByText(/Epoch 2 of 5/)).toBeInTheDocument();
  const bar = screen.getByRole('progressbar', { name: 'Progress of the fine-tune' });
  expect(Number(bar.getAttribute('value'))).toBeCloseTo(0.3); // (1 + 10/20) / 5
  expect(screen.getByRole('status')).toHaveTextContent('Teaching: Fridge…');
  expect(screen.getByRole('button', { name: 'Start teaching' })).toBeDisabled();
});

it("shows each model's scorecard beside its base, marks the one in use, and activates another", async () => {
  const sent = renderWithApi('/', '/', <FinetunePanel buildingId="home" canEdit />, routes());
  const card = await screen.findByRole('region', { name: 'Scorecard of default+home@2' });
  const row = within(card).getByRole('rowheader', { name: 'Fridge' }).closest('tr')!;
  expect(
    within(row)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['0.00', '1.00', '28.4 W', '13.8 W', '1.75 kWh', '0.000 kWh (-100%)', '1.81 kWh (3%)']);
  expect(within(card).getByText(/Scored on 62 h of your newest data/)).toBeInTheDocument();
  const active = screen.getByRole('listitem', { name: 'default+home@1' });
  expect(within(active).getByText('in use')).toBeInTheDocument();
  expect(within(active).queryByRole('button', { name: /Activate/ })).toBeNull();
  fireEvent.click(screen.getByRole('button', { name: 'Activate default+home@2' }));
  await waitFor(() =>
    expect(sent.some((r) => r.path.endsWith('/default%2Bhome%402/activate'))).toBe(true),
  );
  fireEvent.click(screen.getByRole('button', { name: 'Discard default+home@2' }));
  await waitFor(() =>
    expect(sent.some((r) => r.path.endsWith('/default%2Bhome%402/discard'))).toBe(true),
  );
});

it('shows a member the jobs and models without the buttons', async () => {
  renderWithApi('/', '/', <FinetunePanel buildingId="home" canEdit={false} />, routes());
  await screen.findByRole('region', { name: 'Scorecard of default+home@2' });
  expect(screen.queryByRole('button', { name: 'Start teaching' })).toBeNull();
  expect(screen.queryByRole('button', { name: /^Activate/ })).toBeNull();
});

it('speaks German', async () => {
  await showLanguage('de');
  renderWithApi(
    '/',
    '/',
    <FinetunePanel buildingId="home" canEdit />,
    routes({ 'GET /api/v1/buildings/home/finetune': { body: { jobs: [running] } } }),
  );
  expect(await screen.findByText(/Epoche 2 von 5/)).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Lernen starten' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Lernen abbrechen' })).toBeInTheDocument();
  expect(screen.getByText(/ganze Zahl von 1 bis 50/)).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'default+home@2 aktivieren' })).toBeInTheDocument();
});
