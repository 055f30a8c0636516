// Proves the Model page opens with the household view (one plain sentence per appliance the
// building has, from the card's held-out scores; what it cannot see: appliances with no head,
// weak heads, hidden heads) and keeps the technical card (scores, baselines with the `nilm eval`
// command that prints them) behind "Show technical details", as cards on a phone; "Make active"
// only for admins.
import type { AppliancesPresentResponse, ModelList } from '@nilm/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Outlet, Route, Routes } from 'react-router';
import { afterEach, expect, it, vi } from 'vitest';
import type { PlainCard } from '../lib/model.plain.js';
import { SessionProvider } from '../state/session.js';
import { phoneScreen } from '../test/media.fixture.js';
import { learnAnswer } from '../test/page.fixture.js';
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
const card: PlainCard = {
  id: 'nilm-transformer',
  version: '2026.11.27',
  created: '2026-11-27T15:39:42.947Z',
  appliances: [
    { name: 'kettle', label: 'Kettle' },
    { name: 'microwave', label: 'Microwave' },
    { name: 'dishwasher', label: 'Dishwasher' },
  ],
  training: { data: ['../shared/data/refit/REFIT_House2_*'], licence: 'REFIT, CC BY 4.0' },
  test: {
    data: ['../shared/data/refit/REFIT_House20_*'],
    samples: 623967,
    appliances: {
      kettle: {
        f1: 0.86,
        precision: 0.7875,
        recall: 0.947,
        mae_w: 6.0006,
        band_coverage: 0.96,
        event_recall: 0.9187,
        event_precision: 0.6541,
      },
      microwave: {
        f1: 0.33,
        precision: 0.28,
        recall: 0.4,
        mae_w: 9.3,
        event_recall: 0.21,
        event_precision: 0.45,
      },
      dishwasher: { f1: 0.72, precision: 0.59, recall: 0.92, mae_w: 4.9 },
    },
    baselines: { 'baseline:mean': { f1: 0.0073, mae_w: 32.08 } },
    baselines_config: 'configs/nilm-transformer-2026.11.27.yaml',
  },
};
const present: AppliancesPresentResponse = {
  building_id: 'b1',
  model: 'nilm-transformer@2026.11.27',
  is_default: false,
  appliances: [
    { name: 'kettle', label: 'Kettle', present: true },
    { name: 'microwave', label: 'Microwave', present: true },
    { name: 'dishwasher', label: 'Dishwasher', present: false },
    // A building on another model may say it has an appliance this card has no head for.
    { name: 'electric_shower', label: 'Electric shower', present: true },
  ],
};

function setup(
  role: 'admin' | 'user',
  building?: string,
  served: PlainCard = card,
  answer: (url: string) => unknown = () => undefined,
) {
  const fetch = vi.fn((url: string, _init?: RequestInit) =>
    Promise.resolve(
      new Response(
        JSON.stringify(
          answer(url) ??
            (url.endsWith('/card')
              ? served
              : url.endsWith('/activate')
                ? {}
                : url.endsWith('/appliances-present')
                  ? present
                  : (learnAnswer(url) ?? list)),
        ),
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
          <Routes>
            {/* The layout hands the header's building to the page as outlet context. */}
            <Route element={<Outlet context={{ currentBuilding: building }} />}>
              <Route path="/" element={<ModelPage />} />
            </Route>
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </QueryClientProvider>,
  );
  return fetch;
}

const showTechnical = async () =>
  fireEvent.click(await screen.findByRole('button', { name: 'Show technical details' }));

it('says in plain words what the model finds for the appliances this building has', async () => {
  const fetch = setup('user', 'b1');
  const finds = await screen.findByRole('list', { name: 'What the model finds' });
  expect(screen.getByText('Model nilm-transformer@2026.11.27')).toBeVisible();
  expect(
    within(finds)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual([
    'Kettle: Finds 9 in 10 kettle uses; its power is off by 6 W on average (over every minute); 4 in 10 uses it reports did not happen.',
    'Microwave: Finds 2 in 10 microwave uses; its power is off by 9 W on average (over every minute); 6 in 10 uses it reports did not happen.',
  ]);
  const blind = screen.getByRole('list', { name: 'What it cannot see' });
  const items = within(blind)
    .getAllByRole('listitem')
    .map((li) => li.textContent);
  expect(items).toContain(
    'No estimate at all for Electric shower: their power is part of “Other”.',
  );
  expect(items).toContain('Microwave: often misses it (finds 2 in 10), so its figures are rough.');
  expect(items).toContain(
    'Not shown because this building does not have them: Dishwasher; what the model estimates for them counts as “Other”.',
  );
  expect(items.some((t) => t?.startsWith('Kettle'))).toBe(false);
  expect(fetch.mock.calls.map((c) => c[0])).toContain('/api/v1/buildings/b1/appliances-present');
  // The technical table is there but hidden until asked for.
  expect(screen.queryByRole('rowheader', { name: 'Kettle' })).not.toBeInTheDocument();
});

it('says minutes, not uses, for a card without run-level scores', async () => {
  const old: PlainCard = {
    ...card,
    appliances: undefined,
    test: { ...card.test, appliances: { kettle: { f1: 0.86, recall: 0.947, mae_w: 6.0 } } },
  };
  setup('user', undefined, old);
  const finds = await screen.findByRole('list', { name: 'What the model finds' });
  expect(within(finds).getByRole('listitem').textContent).toBe(
    'Kettle: Spots 9 in 10 minutes the kettle is on; its power is off by 6 W on average (over every minute).',
  );
});

it('shows the active card with scores and baselines, and no admin button for a user', async () => {
  const fetch = setup('user');
  await showTechnical();
  expect(screen.getByRole('button', { name: 'Hide technical details' })).toHaveAttribute(
    'aria-expanded',
    'true',
  );
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
  // The command that prints the same baseline numbers, from the card.
  expect(
    screen.getByText(
      'npx nilm eval --model baseline:co --config configs/nilm-transformer-2026.11.27.yaml',
    ),
  ).toBeInTheDocument();
  expect(screen.getByText('Active')).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: /^Make active: / })).not.toBeInTheDocument();
  expect(fetch.mock.calls.map((c) => c[0])).toContain(
    '/api/v1/models/nilm-transformer%402026.11.27/card',
  );
});

it('offers admins "Make active" for the other version and posts its ref', async () => {
  const fetch = setup('admin');
  await showTechnical();
  await screen.findByRole('rowheader', { name: 'Kettle' });
  expect(screen.getAllByRole('button', { name: /^Make active: / })).toHaveLength(1);
  fireEvent.click(screen.getByRole('button', { name: 'Make active: nilm-transformer@2026.10.01' }));
  await waitFor(() => {
    const post = fetch.mock.calls.find((c) => c[0] === '/api/v1/admin/models/activate');
    expect(post?.[1]?.method).toBe('POST');
    expect(post?.[1]?.body).toBe(JSON.stringify({ ref: 'nilm-transformer@2026.10.01' }));
  });
});

it('shows the technical scores as one card per appliance on a phone', async () => {
  phoneScreen();
  setup('user');
  await showTechnical();
  const region = await screen.findByRole('region', { name: 'Held-out test scores' });
  expect(within(region).queryByRole('table')).toBeNull();
  const kettle = within(region).getByRole('heading', { name: 'Kettle' }).closest('li')!;
  expect(
    within(kettle)
      .getAllByRole('term')
      .map((t) => `${t.textContent}: ${t.nextElementSibling?.textContent}`),
  ).toEqual(['F1: 0.86', 'Precision: 0.79', 'Recall: 0.95', 'MAE (W): 6.0', 'Band coverage: 96%']);
  const baselines = screen.getByRole('region', { name: 'Baselines' });
  expect(within(baselines).getByRole('heading', { name: 'baseline:mean' })).toBeInTheDocument();
});

it('shows a model taught for this home by its own card, and says where it came from', async () => {
  const fetch = setup('user', 'b1', card, (url) =>
    url.endsWith('/appliances-present')
      ? { ...present, model: 'nilm-transformer+b1@1' }
      : url === '/api/v1/buildings/b1/models'
        ? {
            models: [
              {
                ref: 'nilm-transformer+b1@1',
                building_id: 'b1',
                n: 1,
                base: 'nilm-transformer@2026.11.27',
                status: 'active',
                heads: ['kettle'],
                added: [],
                appliances: ['kettle'],
                training_seconds: 10,
                scorecard: {
                  held_out: {
                    minutes: 60,
                    from: '2026-01-02T00:00:00Z',
                    to: '2026-01-02T01:00:00Z',
                  },
                  trained_on: {
                    minutes: 240,
                    from: '2026-01-01T00:00:00Z',
                    to: '2026-01-01T04:00:00Z',
                  },
                  appliances: {},
                },
                job_id: null,
                created_at: '2026-01-02T02:00:00Z',
              },
            ],
          }
        : undefined,
  );
  expect(
    await screen.findByText(/^This home uses nilm-transformer\+b1@1, taught here from/),
  ).toBeInTheDocument();
  await screen.findByRole('list', { name: 'What the model finds' });
  const cards = fetch.mock.calls.map((c) => c[0]).filter((u) => u.endsWith('/card'));
  expect(cards).toContain('/api/v1/models/nilm-transformer%2Bb1%401/card');
});
