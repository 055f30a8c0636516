// Proves the Alerts page lists alerts with each delivery's status, last error and a Retry for a failed one (members, not viewers), and that owners switch rules on and save them with PUT, a bad threshold is named before saving, the server's refusals are listed, and viewers see the rules read-only.
import {
  DEFAULT_ALERT_SETTINGS,
  type AlertList,
  type AlertSettingsResponse,
  type BuildingList,
} from '@nilm/contracts';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, it, vi } from 'vitest';
import { apiError, renderWithApi, type Routes } from '../test/api.fixture.js';
import AlertsPage from './alerts.page.js';

afterEach(() => vi.unstubAllGlobals());

const buildings = (role: 'owner' | 'member' | 'viewer'): BuildingList => ({
  buildings: [
    {
      id: 'home',
      name: 'Home',
      timezone: 'Europe/London',
      is_demo: false,
      model_ref: null,
      my_role: role,
      created_at: '2026-01-01T00:00:00Z',
    },
  ] as BuildingList['buildings'],
});

const settings: AlertSettingsResponse = {
  building_id: 'home',
  ...structuredClone(DEFAULT_ALERT_SETTINGS),
  is_default: true,
};

const history: AlertList = {
  alerts: [
    {
      id: 'a1',
      building_id: 'home',
      kind: 'appliance_finished',
      title: 'Washing machine finished',
      message: 'Washing machine finished after 52 min.',
      at: '2026-11-02T09:02:00.000Z',
      created_at: '2026-11-02T09:20:00.000Z',
      deliveries: [
        {
          id: 'd-ntfy',
          channel: 'ntfy',
          status: 'sent',
          attempts: 1,
          last_error: null,
          next_attempt_at: null,
          sent_at: '2026-11-02T09:20:01.000Z',
        },
        {
          id: 'd-hook',
          channel: 'webhook',
          status: 'failed',
          attempts: 8,
          last_error: 'the webhook answered HTTP 502',
          next_attempt_at: null,
          sent_at: null,
        },
      ],
    },
  ],
};

const routes = (role: 'owner' | 'member' | 'viewer', extra: Routes = {}): Routes => ({
  'GET /api/v1/buildings': { body: buildings(role) },
  'GET /api/v1/buildings/home/alerts/settings': { body: settings },
  'GET /api/v1/buildings/home/alerts': { body: history },
  ...extra,
});

const open = (role: 'owner' | 'member' | 'viewer', extra: Routes = {}) =>
  renderWithApi('/b/home/alerts', '/b/:buildingId/alerts', <AlertsPage />, routes(role, extra));

it('lists alerts with every delivery and retries a failed one', async () => {
  const sent = open('member', {
    'POST /api/v1/buildings/home/alerts/deliveries/d-hook/retry': { status: 204 },
  });
  expect(await screen.findByText('Washing machine finished')).toBeVisible();
  const deliveries = screen.getByRole('list', { name: 'Deliveries of Washing machine finished' });
  expect(within(deliveries).getByText('sent')).toBeVisible();
  expect(within(deliveries).getByText('failed')).toBeVisible();
  expect(within(deliveries).getByText('the webhook answered HTTP 502')).toBeVisible();
  expect(within(deliveries).getByText('8 attempts')).toBeVisible();
  await userEvent.click(within(deliveries).getByRole('button', { name: 'Retry Webhook' }));
  await vi.waitFor(() =>
    expect(sent.map((r) => `${r.method} ${r.path}`)).toContain(
      'POST /api/v1/buildings/home/alerts/deliveries/d-hook/retry',
    ),
  );
  // Members retry but do not change the rules.
  expect(screen.queryByRole('button', { name: 'Save alerts' })).toBeNull();
});

it('viewers see the rules read-only and no retry', async () => {
  open('viewer');
  expect(await screen.findByText('Washing machine finished')).toBeVisible();
  expect(screen.queryByRole('button', { name: /Retry/ })).toBeNull();
  expect(await screen.findByRole('checkbox', { name: 'Meter silent' })).toBeDisabled();
  expect(screen.getByText("Only the building's owners change alerts.")).toBeVisible();
});

it('an owner switches a rule on, tunes it and saves it', async () => {
  const sent = open('owner', {
    'PUT /api/v1/buildings/home/alerts/settings': (body) => ({
      body: { building_id: 'home', ...(body as object), is_default: false },
    }),
  });
  await userEvent.click(await screen.findByRole('checkbox', { name: 'Meter silent' }));
  const minutes = screen.getByLabelText('No reading for (minutes)');
  await userEvent.clear(minutes);
  await userEvent.type(minutes, '2');
  expect(screen.getByRole('alert')).toHaveTextContent(
    'rules.meter_silent.minutes must be between 5 and 10080 (got 2)',
  );
  expect(screen.getByRole('button', { name: 'Save alerts' })).toBeDisabled();
  await userEvent.type(minutes, '0');
  await userEvent.click(screen.getByRole('button', { name: 'Save alerts' }));
  expect(await screen.findByRole('status')).toHaveTextContent('Saved');
  const put = sent.find((r) => r.method === 'PUT')!;
  expect(put.body).toMatchObject({ rules: { meter_silent: { enabled: true, minutes: 20 } } });
});

it("the server's refusals are listed as it words them", async () => {
  open('owner', {
    'PUT /api/v1/buildings/home/alerts/settings': {
      ...apiError(422, 'VALIDATION_FAILED', 'alert settings not saved'),
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'alert settings not saved',
          details: { problems: ['channels.webhook.url is needed to switch it on'] },
        },
        request_id: 'req_test',
      },
    },
  });
  await userEvent.click(await screen.findByRole('checkbox', { name: 'Left on' }));
  await userEvent.click(screen.getByRole('button', { name: 'Save alerts' }));
  expect(await screen.findByRole('alert')).toHaveTextContent(
    'channels.webhook.url is needed to switch it on',
  );
});
