// Proves the dashboard panels show what a person needs (live watts, today's kWh and cost with the share of today that had readings, what's on, baseload, grid and solar where measured) from fixture data in the chosen units, and show loading, empty and error states instead of blanks.
import type { EnergyResponse, ReadingsColumns } from '@nilm/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import DashboardPage from '../pages/dashboard.page.js';
import { SessionProvider } from '../state/session.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';
import { columnsOf } from '../test/readings.fixture.js';
import {
  BaseloadPanel,
  GridPanel,
  LivePowerPanel,
  TodayPanel,
  WhatsOnPanel,
} from './dashboard.panels.js';

function wrap(children: ReactNode, path = '/') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={qc}>
      <SettingsProvider initial={defaultSettings}>
        <SessionProvider
          initial={{
            token: 't',
            user: { id: 'u', email: 'a@b.c', role: 'user' },
            expiresAt: Date.now() + 3_600_000,
          }}
        >
          <MemoryRouter initialEntries={[path]}>{children}</MemoryRouter>
        </SessionProvider>
      </SettingsProvider>
    </QueryClientProvider>
  );
}

const energy: EnergyResponse = {
  building_id: 'home',
  period: 'day',
  timezone: 'UTC',
  periods: [
    {
      start: '2026-01-01T00:00:00.000Z',
      end: '2026-01-02T00:00:00.000Z',
      total_kwh: 4,
      appliances: { kettle: 0.5 },
      other_kwh: 1.25,
      pending_kwh: 0,
      baseload_kwh: 2,
      coverage: 1,
      estimate_coverage: 1,
    },
  ],
};

describe('dashboard panels', () => {
  it('shows grid and solar energy only for a meter that measures them', () => {
    const { container, rerender } = render(wrap(<GridPanel energy={energy} />));
    expect(container).toBeEmptyDOMElement();
    const solar: EnergyResponse = {
      ...energy,
      periods: [
        {
          ...energy.periods[0]!,
          import_kwh: 3.2,
          export_kwh: 5.5,
          production_kwh: 12,
          self_consumption_kwh: 6.5,
        },
      ],
    };
    rerender(wrap(<GridPanel energy={solar} />));
    const panel = screen.getByRole('region', { name: 'Grid and solar (today)' });
    expect(within(panel).getByText('To the grid (export)').nextSibling).toHaveTextContent(
      '5.50 kWh',
    );
    expect(within(panel).getByText('Made and used on site').nextSibling).toHaveTextContent(
      '6.50 kWh',
    );
  });

  it('shows live power in kW with a live marker, and says when it is connecting', () => {
    const { rerender } = render(wrap(<LivePowerPanel live={{ status: 'connecting' }} />));
    expect(screen.getByRole('status')).toHaveTextContent('Connecting…');
    rerender(
      wrap(
        <LivePowerPanel
          live={{ status: 'open', powerW: 2310, powerTime: new Date().toISOString() }}
        />,
      ),
    );
    expect(screen.getByTestId('live-power')).toHaveTextContent('2.31 kW');
    expect(screen.getByRole('region', { name: 'Live power' })).toHaveTextContent('Live ·');
  });

  it("shows the stream's error when it is down", () => {
    render(wrap(<LivePowerPanel live={{ status: 'error', error: 'building "x" not found' }} />));
    expect(screen.getByRole('alert')).toHaveTextContent('building "x" not found');
  });

  it("shows today's energy and cost, or the API's error message", () => {
    const { rerender } = render(
      wrap(
        <TodayPanel data={{ kwh: 4, cost: 1.2, currency: 'EUR' }} isLoading={false} error={null} />,
      ),
    );
    const today = screen.getByRole('region', { name: 'Today' });
    expect(today).toHaveTextContent('4.00 kWh');
    expect(today).toHaveTextContent('€1.20');
    // Complete data needs no note; missing readings are named with their share.
    expect(today).not.toHaveTextContent(/Data for/);
    rerender(
      wrap(
        <TodayPanel
          data={{ kwh: 4, cost: 1.2, currency: 'EUR', coverage: 0.83 }}
          isLoading={false}
          error={null}
        />,
      ),
    );
    expect(today).toHaveTextContent(
      'Data for 83% of today so far: energy and cost count only the time with readings.',
    );
    rerender(
      wrap(<TodayPanel isLoading={false} error={new Error('store unavailable; retry in 5 s')} />),
    );
    expect(screen.getByRole('alert')).toHaveTextContent('store unavailable; retry in 5 s');
  });

  it("lists what's on, most likely first, with power only for appliances that are on", () => {
    render(
      wrap(
        <WhatsOnPanel
          buildingId="home"
          isLoading={false}
          error={null}
          appliances={[
            { name: 'fridge', powerW: 3, onProb: 0.2 },
            { name: 'washing_machine', powerW: 1850, onProb: 0.93 },
          ]}
        />,
      ),
    );
    const items = within(screen.getByRole('region', { name: "What's on now" })).getAllByRole(
      'listitem',
    );
    expect(items[0]).toHaveTextContent('Washing machine');
    expect(items[0]).toHaveTextContent('1.85 kW');
    expect(items[0]).toHaveTextContent('93%');
    expect(items[1]).toHaveTextContent('Fridge');
    expect(items[1]).toHaveTextContent('off');
    expect(screen.getByRole('link', { name: 'Washing machine' })).toHaveAttribute(
      'href',
      '/b/home/appliances/washing_machine',
    );
  });

  it("uses each appliance's own decision threshold from the model", () => {
    render(
      wrap(
        <WhatsOnPanel
          buildingId="home"
          isLoading={false}
          error={null}
          appliances={[
            { name: 'microwave', powerW: 900, onProb: 0.3, onThreshold: 0.23 },
            { name: 'kettle', powerW: 1200, onProb: 0.45, onThreshold: 0.53 },
          ]}
        />,
      ),
    );
    const items = within(screen.getByRole('region', { name: "What's on now" })).getAllByRole(
      'listitem',
    );
    expect(items[0]).toHaveTextContent('Kettle');
    expect(items[0]).toHaveTextContent('off');
    expect(items[1]).toHaveTextContent('Microwave');
    expect(items[1]).toHaveTextContent('900 W');
  });

  it('says when there are no estimates yet', () => {
    render(wrap(<WhatsOnPanel buildingId="home" isLoading={false} error={null} appliances={[]} />));
    expect(screen.getByText(/No appliance estimates yet/)).toBeInTheDocument();
  });

  it('shows power and energy in the units chosen in Settings', () => {
    const units = { power: 'W', energy: 'Wh', time: '24h' } as const;
    const inUnits = (children: ReactNode) => (
      <SettingsProvider initial={{ ...defaultSettings, units }}>
        <MemoryRouter>{children}</MemoryRouter>
      </SettingsProvider>
    );
    render(
      inUnits(
        <>
          <LivePowerPanel live={{ status: 'open', powerW: 2310 }} />
          <TodayPanel
            data={{ kwh: 4, cost: 1.2, currency: 'EUR' }}
            isLoading={false}
            error={null}
          />
          <WhatsOnPanel
            buildingId="home"
            isLoading={false}
            error={null}
            appliances={[{ name: 'kettle', powerW: 1850, onProb: 0.9 }]}
          />
          <BaseloadPanel energy={energy} isLoading={false} error={null} />
        </>,
      ),
    );
    expect(screen.getByTestId('live-power')).toHaveTextContent('2310 W');
    expect(screen.getByRole('region', { name: 'Today' })).toHaveTextContent('4000 Wh');
    expect(screen.getByRole('region', { name: "What's on now" })).toHaveTextContent('1850 W');
    const parts = screen.getByRole('region', { name: 'Where today’s energy went' });
    // Always-on (2 kWh) is counted only up to Other (1.25 kWh), the rest is inside the appliances.
    expect(parts).toHaveTextContent('Always-on1250 Wh');
    expect(parts).toHaveTextContent("Of today's 2000 Wh always-on, 750 Wh is already inside");
  });

  it('shows appliances, always-on and other as shares of today that add up to 100 %', () => {
    // 4 kWh: kettle 0.5 + Other 3.5, of which 2 kWh always-on (docs: taken out of Other first).
    const day = {
      ...energy,
      periods: [{ ...energy.periods[0]!, other_kwh: 3.5, baseload_kwh: 2 }],
    };
    render(
      wrap(
        <BaseloadPanel
          energy={day}
          labels={{ kettle: 'Our kettle' }}
          isLoading={false}
          error={null}
        />,
      ),
    );
    const panel = screen.getByRole('region', { name: 'Where today’s energy went' });
    expect(
      within(panel)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['Our kettle0.500 kWh · 13%', 'Always-on2.00 kWh · 50%', 'Other1.50 kWh · 37%']);
    expect(panel).toHaveTextContent('The parts add up to the whole (4.00 kWh, 100%)');
  });
});

describe('DashboardPage against a fake API', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const readings: ReadingsColumns = columnsOf(
    [
      {
        time: '2026-01-01T00:01:00.000Z',
        power_w: 2100,
        appliances: { kettle: { power_w: 2000, on_prob: 0.97 } },
      },
    ],
    { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:02:00.000Z', appliances: ['kettle'] },
  );

  function fakeFetch(liveText: string) {
    return vi.fn((url: string) => {
      const json = (body: unknown, status = 200) =>
        Promise.resolve(new Response(JSON.stringify(body), { status }));
      if (url.includes('/live'))
        return Promise.resolve(
          new Response(liveText, { headers: { 'content-type': 'text/event-stream' } }),
        );
      if (url.includes('/energy')) return json(energy);
      // The columnar shape, which the app asks for.
      if (url.includes('/readings') && url.includes('shape=columns')) return json(readings);
      // The building's tariff, which prices Today.
      if (url.endsWith('/tariff'))
        return json({
          building_id: 'home',
          currency: 'EUR',
          price_per_kwh: 0.3,
          bands: [],
          is_default: false,
        });
      return json(
        { error: { code: 'NOT_FOUND', message: `no route ${url}` }, request_id: 'r' },
        404,
      );
    });
  }

  it('shows live power from the SSE stream, today from /energy priced by the tariff, and what is on', async () => {
    const live =
      'event: reading\ndata: {"type":"reading","building_id":"home","time":"2026-01-01T00:01:00Z","power_w":812}\n\n' +
      'event: estimate\ndata: {"type":"estimate","building_id":"home","time":"2026-01-01T00:01:00Z","appliances":{"kettle":{"power_w":0,"on_prob":0.02}}}\n\n';
    const f = fakeFetch(live);
    vi.stubGlobal('fetch', f);
    render(
      wrap(
        <Routes>
          <Route path="/b/:buildingId" element={<DashboardPage />} />
        </Routes>,
        '/b/home',
      ),
    );
    expect(await screen.findByText('812 W')).toBeInTheDocument();
    const today = await screen.findByRole('region', { name: 'Today' });
    expect(await within(today).findByText('4.00 kWh')).toBeInTheDocument();
    expect(today).toHaveTextContent('€1.20'); // 4 kWh x 0.30
    // The live estimate (kettle off, 2%) replaces the last stored point (kettle on, 97%).
    const whatsOn = screen.getByRole('region', { name: "What's on now" });
    expect(await within(whatsOn).findByText('2%')).toBeInTheDocument();
    // The 24 h chart: finished history (absolute start and end, the same URL for an hour) and the
    // live tail, both at the bucket size the chart's width picks (lib/readings.split.ts).
    const asked = f.mock.calls
      .map(([u]) => new URL(u, 'http://app'))
      .filter((u) => u.pathname.endsWith('/readings'));
    const history = asked.find((u) => u.searchParams.has('end'));
    const tail = asked.find((u) => !u.searchParams.has('end'));
    expect(history?.searchParams.get('start')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
    expect(tail?.searchParams.get('start')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
    // jsdom measures no width, so the chart asks for 600 points: 144 s a bucket, so 5 minutes;
    // the history's 23 h asks for them as 'auto' with 482 points (276 to 689 pick 5 minutes).
    expect(history?.searchParams.get('resolution')).toBe('auto');
    expect(history?.searchParams.get('points')).toBe('482');
    expect(tail?.searchParams.get('resolution')).toBe('5m');
  });

  it("shows the API's message when readings fail", async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          new Response(
            JSON.stringify({
              error: {
                code: 'STORE_UNAVAILABLE',
                message: 'InfluxDB is unreachable; retry shortly',
              },
              request_id: 'r',
            }),
            {
              status: 503,
            },
          ),
        ),
      ),
    );
    render(
      wrap(
        <Routes>
          <Route path="/b/:buildingId" element={<DashboardPage />} />
        </Routes>,
        '/b/home',
      ),
    );
    expect(
      (await screen.findAllByText('InfluxDB is unreachable; retry shortly')).length,
    ).toBeGreaterThan(0);
  });
});
