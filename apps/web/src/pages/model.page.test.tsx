// Proves the Model page shows the active model's card (version, training data, licence, per-appliance scores, baselines) and offers "Make active" only to admins, posting the chosen ref.
import type { ModelList } from '@nilm/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, expect, it, vi } from 'vitest';
import type { ModelCard } from '../lib/api.client.js';
import { SessionProvider } from '../state/session.js';
import ModelPage from './model.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const summary = {
  id: 'nilm-transformer',
  loaded: true,
  appliances: ['kettle'],
  window: 256,
  period_s: 60,
  test_mean_f1: 0.61,
  test_mean_mae_w: 6.7,
};
const list: ModelList = {
  active: 'nilm-transformer@2026.11.27',
  models: [
    {
      ...summary,
      ref: 'nilm-transformer@2026.11.27',
      version: '2026.11.27',
      active: true,
      created: '2026-11-27T15:39:42.947Z',
    },
    {
      ...summary,
      ref: 'nilm-transformer@2026.10.01',
      version: '2026.10.01',
      active: false,
      created: '2026-10-01T00:00:00.000Z',
    },
  ],
};
const card: ModelCard = {
  id: 'nilm-transformer',
  version: '2026.11.27',
  created: '2026-11-27T15:39:42.947Z',
  training: { data: ['../shared/data/refit/REFIT_House2_*'], licence: 'REFIT, CC BY 4.0' },
  test: {
    data: ['../shared/data/refit/REFIT_House20_*'],
    samples: 623967,
    appliances: {
      kettle: { f1: 0.86, precision: 0.7875, recall: 0.947, mae_w: 6.0006, band_coverage: 0.96 },
    },
    baselines: { 'baseline:mean': { f1: 0.0073, mae_w: 32.08 } },
  },
};

function setup(role: 'admin' | 'user') {
  const fetch = vi.fn((url: string, _init?: RequestInit) =>
    Promise.resolve(
      new Response(
        JSON.stringify(url.endsWith('/card') ? card : url.endsWith('/activate') ? {} : list),
      ),
    ),
  );
  vi.stubGlobal('fetch', fetch);
  render(
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      <SessionProvider
        initial={{
          token: 't',
          user: { id: 'u', email: null, role },
          expiresAt: Date.now() + 60_000,
        }}
      >
        <MemoryRouter>
          <ModelPage />
        </MemoryRouter>
      </SessionProvider>
    </QueryClientProvider>,
  );
  return fetch;
}

it('shows the active card with scores and baselines, and no admin button for a user', async () => {
  const fetch = setup('user');
  const kettle = (await screen.findByRole('rowheader', { name: 'Kettle' })).closest('tr')!;
  expect(
    within(kettle)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['0.86', '0.79', '0.95', '6.0', '96%']);
  expect(screen.getByText('REFIT, CC BY 4.0')).toBeInTheDocument();
  // Dataset file patterns, not the trainer's paths; the held-out data is named.
  expect(screen.getByText('REFIT_House2_*')).toBeInTheDocument();
  expect(screen.getByText(/REFIT_House20_\* \(623,967 samples\)/)).toBeInTheDocument();
  const base = screen.getByRole('rowheader', { name: 'baseline:mean' }).closest('tr')!;
  expect(
    within(base)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['0.01', '32.1']);
  expect(screen.getByText('Active')).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: /^Make active: / })).not.toBeInTheDocument();
  expect(fetch.mock.calls.map((c) => c[0])).toContain(
    '/api/v1/models/nilm-transformer%402026.11.27/card',
  );
});

it('offers admins "Make active" for the other version and posts its ref', async () => {
  const fetch = setup('admin');
  await screen.findByRole('rowheader', { name: 'Kettle' });
  expect(screen.getAllByRole('button', { name: /^Make active: / })).toHaveLength(1);
  fireEvent.click(screen.getByRole('button', { name: 'Make active: nilm-transformer@2026.10.01' }));
  await waitFor(() => {
    const post = fetch.mock.calls.find((c) => c[0] === '/api/v1/admin/models/activate');
    expect(post?.[1]?.method).toBe('POST');
    expect(post?.[1]?.body).toBe(JSON.stringify({ ref: 'nilm-transformer@2026.10.01' }));
  });
});
