// Proves the Reports page shows energy as rows a person reads (on a phone as one card per period) (kWh and cost per appliance per day, "no data" days, Total row and column), prices a time-of-use tariff hour by hour from the hourly profile (differing from flat as computed by hand), draws the stacked bar chart, shows the chosen energy unit while the CSV keeps kWh, and gives each period's share with readings (Data coverage column, Total over the periods shown); in German the table reads German with decimal commas while the CSV keeps its English, machine format, and a language chosen while the page is open redraws the table in it.
import type { EnergyResponse, ReadingsColumns } from '@nilm/contracts';
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, it, vi } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import { defaultUnits } from '../lib/format.js';
import { phoneScreen } from '../test/media.fixture.js';
import { renderPage, twoDays } from '../test/page.fixture.js';
import { columnsOf } from '../test/readings.fixture.js';
import ReportsPage from './reports.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** Keeps the files the page offers for download (jsdom cannot save them): read them after. */
function keepDownloads(): Blob[] {
  const blobs: Blob[] = [];
  vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
    blobs.push(b as Blob);
    return 'blob:report';
  });
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
  return blobs;
}

const cells = (rowName: string) =>
  within(screen.getByRole('rowheader', { name: rowName }).closest('tr')!)
    .getAllByRole('cell')
    .map((c) => c.textContent);

it('renders kWh and cost per appliance per day with other, baseload and totals', async () => {
  const fetch = renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />);
  await screen.findByRole('rowheader', { name: '2026-01-02' });
  expect(cells('2026-01-02')).toEqual([
    '1.500',
    '0.30',
    '2.000',
    '0.40',
    '2.500',
    '0.50',
    '6.000',
    '1.20',
    '100.0',
  ]);
  // The day before the first reading is left out, and the page says so.
  expect(screen.queryByRole('rowheader', { name: '2026-01-01' })).toBeNull();
  expect(
    screen.getByText(/No readings before 2026-01-02: the 1 earlier day of the span/),
  ).toBeInTheDocument();
  expect(cells('Total')).toEqual([
    '1.500',
    '0.30',
    '2.000',
    '0.40',
    '2.500',
    '0.50',
    '6.000',
    '1.20',
    '100.0',
  ]);
  // Each group's kWh and cost share one heading (so the table fits a desk); the unit headings
  // carry the full name as their title, as the CSV's headings.
  expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
    'Period',
    'Kettle',
    'Other',
    'Baseload',
    'Total',
    'Data coverage (%)',
    ...Array<string[]>(4).fill(['kWh', 'GBP']).flat(),
  ]);
  expect(
    screen
      .getAllByRole('columnheader')
      .slice(6)
      .map((h) => h.querySelector('abbr')?.title),
  ).toEqual([
    'Kettle (kWh)',
    'Kettle (GBP)',
    'Other (kWh)',
    'Other (GBP)',
    'Baseload (kWh)',
    'Baseload (GBP)',
    'Total (kWh)',
    'Total (GBP)',
  ]);
  expect(
    screen.getByText(/building's flat tariff \(Settings: £0\.20 per kWh\)/),
  ).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Export CSV' })).toBeEnabled();
  const urls = fetch.mock.calls.map((c) => c[0]);
  expect(urls.find((u) => u.includes('/energy'))).toBe(
    '/api/v1/buildings/home/energy?start=-30d&end=now&period=day',
  );
  // A flat tariff needs no hourly profile.
  expect(urls.some((u) => u.includes('/readings'))).toBe(false);
});

it('says what share of each period had readings, and over the span in the Total row', async () => {
  // 2 Jan had readings for 20 of its 24 hours.
  const partial: EnergyResponse = {
    ...twoDays,
    periods: [twoDays.periods[0]!, { ...twoDays.periods[1]!, coverage: 20 / 24 }],
  };
  renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />, {
    answer: (url) => (url.includes('/energy') ? partial : undefined),
  });
  await screen.findByRole('rowheader', { name: '2026-01-02' });
  expect(cells('2026-01-02').at(-1)).toBe('83.3');
  // The day before the first reading is left out of the Total's share too.
  expect(cells('Total').at(-1)).toBe('83.3');
  expect(screen.getByText(/Data coverage is the share of each period with readings/)).toBeVisible();
});

// 2 Jan 2026 in London (GMT, so local time is UTC): a 100 W always-on load all day, the kettle
// drawing 1.5 kW from 06:00 to 07:00 (night) and 2.1 kW of other load from 18:00 to 19:00.
const day: EnergyResponse = {
  building_id: 'home',
  period: 'day',
  timezone: 'Europe/London',
  periods: [
    {
      start: '2026-01-02T00:00:00.000Z',
      end: '2026-01-03T00:00:00.000Z',
      total_kwh: 6,
      appliances: { kettle: 1.5 },
      other_kwh: 4.5,
      pending_kwh: 0,
      baseload_kwh: 2.4,
      coverage: 1,
      estimate_coverage: 1,
    },
  ],
};
const hourly: ReadingsColumns = columnsOf(
  Array.from({ length: 24 }, (_, h) => {
    const kettle = h === 6 ? 1500 : 0;
    return {
      time: new Date(Date.UTC(2026, 0, 2, h)).toISOString(),
      power_w: 100 + kettle + (h === 18 ? 2100 : 0),
      appliances: { kettle: { power_w: kettle, on_prob: kettle ? 1 : 0 } },
    };
  }),
  { resolution_s: 3600, appliances: ['kettle'] },
);
const answer = (url: string) =>
  url.includes('/readings') ? hourly : url.includes('/energy') ? day : undefined;

it('prices a time-of-use tariff hour by hour in the building time zone', async () => {
  // 0.20 per kWh, but 0.10 at night (00:00-07:00).
  const fetch = renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />, {
    answer,
    tariff: {
      price_per_kwh: 0.2,
      bands: [{ name: 'Night', start: '00:00', end: '07:00', price_per_kwh: 0.1 }],
    },
  });
  await screen.findByRole('rowheader', { name: '2026-01-02' });
  // Kettle: 1.5 kWh at night = 0.15 (flat: 0.30). Total: 0.7 kWh of the always-on load at night
  // (0.07) + 1.7 kWh by day (0.34) + the kettle (0.15) + 2.1 kWh at 18:00 (0.42) = 0.98 (flat:
  // 1.20). Other: 0.98 - 0.15 = 0.83. Baseload 2.4 kWh at the day's mean price 0.41/2.4 = 0.41.
  expect(cells('2026-01-02')).toEqual([
    '1.500',
    '0.15',
    '4.500',
    '0.83',
    '2.400',
    '0.41',
    '6.000',
    '0.98',
    '100.0',
  ]);
  expect(screen.getByText(/building's time-of-use tariff/)).toBeInTheDocument();
  expect(screen.queryByText(/flat/)).not.toBeInTheDocument();
  const profileUrl = fetch.mock.calls.map((c) => c[0]).find((u) => u.includes('/readings'));
  expect(decodeURIComponent(profileUrl ?? '')).toBe(
    '/api/v1/buildings/home/readings?start=2026-01-02T00:00:00.000Z&end=2026-01-03T00:00:00.000Z&resolution=1h&shape=columns',
  );
});

it('draws the stacked bar chart with a caption, and shows Wh while the CSV keeps kWh', async () => {
  // jsdom lays nothing out; give the chart a width to draw in.
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(600);
  const blobs = keepDownloads();
  renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />, {
    answer,
    settings: { units: { ...defaultUnits, energy: 'Wh' } },
  });
  await screen.findByRole('rowheader', { name: '2026-01-02' });
  expect(cells('2026-01-02').slice(0, 2)).toEqual(['1500', '0.30']);
  expect(screen.getByTitle('Kettle (Wh)')).toHaveTextContent(/^Wh$/);
  expect(screen.getByText(/CSV export holds this table's rows and columns in fixed units/));

  const chart = screen.getByRole('figure');
  expect(chart).toHaveAccessibleName(
    'Energy per appliance and Other, stacked, for 1 day (1 with readings). Total 6000 Wh. The biggest appliance is Kettle at 1500 Wh; Other is 4500 Wh. The table below lists every value.',
  );
  expect(chart.querySelectorAll('.recharts-bar-rectangle')).toHaveLength(2);

  await userEvent.setup().click(screen.getByRole('button', { name: 'Export CSV' }));
  expect(blobs).toHaveLength(1);
  const csv = (await blobs[0]!.text()).split('\r\n');
  expect(csv[0]).toBe(
    'Period,Kettle (kWh),Kettle (GBP),Other (kWh),Other (GBP),Baseload (kWh),Baseload (GBP),Total (kWh),Total (GBP),Data coverage (%)',
  );
  expect(csv[1]).toBe('2026-01-02,1.500,0.30,4.500,0.90,2.400,0.48,6.000,1.20,100.0');
});

it('shows each appliance’s energy over the span with its likely range, and none where unknown', async () => {
  const ranged: EnergyResponse = {
    ...day,
    periods: [
      {
        ...day.periods[0]!,
        start: '2026-01-01T00:00:00.000Z',
        end: '2026-01-02T00:00:00.000Z',
        appliances: { kettle: 2.4, electric_shower: 3 },
        appliance_ranges: {
          kettle: { kwh_low: 2, kwh_high: 2.9 },
          electric_shower: { kwh_low: 2.5, kwh_high: 3.5 },
        },
      },
      {
        ...day.periods[0]!,
        appliances: { kettle: 2.5, electric_shower: 1 },
        // The shower's estimates of this day were stored without a band.
        appliance_ranges: {
          kettle: { kwh_low: 2.1, kwh_high: 2.7 },
          electric_shower: { kwh_low: null, kwh_high: null },
        },
      },
    ],
  };
  renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />, {
    answer: (url) => (url.includes('/energy') ? ranged : undefined),
  });
  const list = await screen.findByRole('list', {
    name: 'Energy per appliance over the last 30 days',
  });
  expect(
    within(list)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual(['Kettle4.90 kWh, likely 4.10–5.60 kWh', 'Electric shower4.00 kWh']);
});

it('shows each period as a card on a phone, with every column named', async () => {
  phoneScreen();
  renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />);
  const region = await screen.findByRole('region', { name: 'Energy report table' });
  expect(within(region).queryByRole('table')).toBeNull();
  const day = within(region).getByRole('heading', { name: '2026-01-02' }).closest('li')!;
  const pairs = within(day)
    .getAllByRole('term')
    .map((t) => `${t.textContent}: ${t.nextElementSibling?.textContent}`);
  expect(pairs.slice(0, 2)).toEqual(['Kettle (kWh): 1.500', 'Kettle (GBP): 0.30']);
  expect(pairs.at(-1)).toBe('Data coverage (%): 100.0');
  expect(within(region).getByRole('heading', { name: 'Total' })).toBeInTheDocument();
});

it('reads German on screen, with decimal commas, while the CSV keeps its English, machine format', async () => {
  await showLanguage('de');
  try {
    const blobs = keepDownloads();
    renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />);
    await screen.findByRole('rowheader', { name: '2026-01-02' });
    expect(cells('2026-01-02')).toEqual([
      '1,500',
      '0,30',
      '2,000',
      '0,40',
      '2,500',
      '0,50',
      '6,000',
      '1,20',
      '100,0',
    ]);
    expect(cells('Gesamt')[6]).toBe('6,000');
    expect(
      screen
        .getAllByRole('columnheader')
        .slice(0, 6)
        .map((h) => h.textContent),
    ).toEqual([
      'Zeitraum',
      'Wasserkocher',
      'Sonstiges',
      'Grundlast',
      'Gesamt',
      'Datenabdeckung (%)',
    ]);
    expect(screen.getByRole('tab', { name: '30 Tage' })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByText(/Einheitstarif des Gebäudes \(Einstellungen: 0,20\s£ pro kWh\)/));

    await userEvent.setup().click(screen.getByRole('button', { name: 'CSV exportieren' }));
    const csv = (await blobs[0]!.text()).split('\r\n');
    expect(csv[0]).toBe(
      'Period,Kettle (kWh),Kettle (GBP),Other (kWh),Other (GBP),Baseload (kWh),Baseload (GBP),Total (kWh),Total (GBP),Data coverage (%)',
    );
    expect(csv[1]).toBe('2026-01-02,1.500,0.30,2.000,0.40,2.500,0.50,6.000,1.20,100.0');
  } finally {
    await showLanguage('en');
  }
});

it('switches the table to Dutch while it is on screen', async () => {
  renderPage('/b/home/reports', '/b/:buildingId/reports', <ReportsPage />);
  await screen.findByRole('rowheader', { name: '2026-01-02' });
  expect(cells('Total')[0]).toBe('1.500');
  try {
    await act(() => showLanguage('nl'));
    const table = await screen.findByRole('region', { name: 'Tabel energierapport' });
    const total = within(table).getByRole('rowheader', { name: 'Totaal' }).closest('tr')!;
    expect(within(total).getAllByRole('cell')[0]).toHaveTextContent('1,500');
    expect(within(table).getByRole('columnheader', { name: 'Periode' })).toBeInTheDocument();
  } finally {
    await act(() => showLanguage('en'));
  }
});
