// Proves Settings edits the tariff of the building picked in the header and saves it with PUT (owners; read-only for viewers; overlapping bands refused before saving), uploads a price CSV for a tariff with CSV prices (PUT with the file; a 422 shows the server's message naming the line) and shows a failed Octopus fetch, keeps units and theme in localStorage (an old stored value with a tariff still loads), and that the dark theme sets the `dark` class on <html>.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { MemoryRouter, Outlet, Route, Routes } from 'react-router';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { PricesResponse, TariffResponse } from '@nilm/contracts';
import { formatKwh, formatPower, formatTime } from '../lib/format.js';
import { SessionProvider } from '../state/session.js';
import { SETTINGS_KEY, SettingsProvider, type Settings } from '../state/settings.js';
import { FakeXhr } from '../test/xhr.fixture.js';
import SettingsPage from './settings.page.js';

const saved = () => JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Settings;

beforeEach(() => {
  localStorage.clear();
  document.documentElement.classList.remove('dark');
});
afterEach(() => {
  FakeXhr.sent = [];
  vi.unstubAllGlobals();
});

const storedTariff = {
  building_id: 'home',
  currency: 'GBP',
  price_per_kwh: 0.25,
  bands: [],
  standing_charge_per_day: 0,
  export_price_per_kwh: 0,
  dynamic: null,
  is_default: true,
};

/**
 * Settings inside a stand-in for the layout that picked `current` (null: none), against an API where the
 * caller has `role` in the building "Home". Returns the fetch mock.
 */
function renderSettings(
  current: string | null = 'home',
  role: 'owner' | 'viewer' = 'owner',
  putAnswer?: (body: unknown) => Response,
  stored: typeof storedTariff | TariffResponse = storedTariff,
  more: (url: string, init?: RequestInit) => Response | undefined = () => undefined,
) {
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    const json = (body: unknown, status = 200) =>
      Promise.resolve(new Response(JSON.stringify(body), { status }));
    if (url.endsWith('/api/v1/buildings'))
      return json({
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
        ],
      });
    if (url.endsWith('/api/v1/buildings/home/tariff')) {
      if (init?.method === 'PUT') {
        const body = JSON.parse(String(init.body)) as object;
        if (putAnswer) return Promise.resolve(putAnswer(body));
        return json({ building_id: 'home', ...body, is_default: false });
      }
      return json(stored);
    }
    const answer = more(url, init);
    if (answer) return Promise.resolve(answer);
    return json({ error: { code: 'NOT_FOUND', message: `no route ${url}` } }, 404);
  });
  vi.stubGlobal('fetch', fetch);
  const layout = (children: ReactNode) => (
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      <SettingsProvider>
        <SessionProvider
          initial={{
            token: 't',
            user: { id: 'u', email: null, role: 'user' },
            expiresAt: Date.now() + 60_000,
          }}
        >
          {children}
        </SessionProvider>
      </SettingsProvider>
    </QueryClientProvider>
  );
  render(
    layout(
      <MemoryRouter initialEntries={['/settings']}>
        <Routes>
          <Route element={<Outlet context={{ currentBuilding: current ?? undefined }} />}>
            <Route path="/settings" element={<SettingsPage />} />
          </Route>
        </Routes>
      </MemoryRouter>,
    ),
  );
  return fetch;
}

const puts = (fetch: ReturnType<typeof renderSettings>) =>
  fetch.mock.calls
    .filter(([, init]) => init?.method === 'PUT')
    .map(([url, init]) => [url, JSON.parse(String(init?.body)) as unknown]);

it("an owner edits the picked building's tariff and saves it to the server", async () => {
  const fetch = renderSettings();
  const user = userEvent.setup();
  const panel = await screen.findByRole('region', { name: 'Tariff' });
  expect(await within(panel).findByText(/No tariff has been set/)).toBeInTheDocument();
  expect(panel).toHaveTextContent('Tariff of Home');
  const price = within(panel).getByLabelText(/Price per kWh/);
  expect(price).toHaveValue(0.25);
  await user.clear(price);
  await user.type(price, '0.32');
  await user.selectOptions(within(panel).getByLabelText('Currency'), 'EUR');

  await user.click(within(panel).getByRole('switch', { name: 'Time-of-use bands' }));
  await user.click(within(panel).getByRole('button', { name: 'Add band' }));
  await user.click(within(panel).getByRole('button', { name: 'Remove band Night' }));
  expect(puts(fetch)).toEqual([]); // nothing is sent before Save

  await user.click(within(panel).getByRole('button', { name: 'Save tariff' }));
  expect(await within(panel).findByText(/Saved for everyone/)).toBeInTheDocument();
  expect(puts(fetch)).toEqual([
    [
      '/api/v1/buildings/home/tariff',
      {
        currency: 'EUR',
        price_per_kwh: 0.32,
        bands: [{ name: 'Peak', start: '16:00', end: '19:00', price_per_kwh: 0.32 }],
        standing_charge_per_day: 0,
        export_price_per_kwh: 0,
        dynamic: null,
      },
    ],
  ]);
  // Nothing of the tariff is kept in the browser.
  expect(localStorage.getItem(SETTINGS_KEY)).toBeNull();
});

it("refuses overlapping bands before saving, and shows the server's refusal", async () => {
  const fetch = renderSettings('home', 'owner', () =>
    Response.json(
      { error: { code: 'VALIDATION_FAILED', message: 'price too high' }, request_id: 'r' },
      { status: 422 },
    ),
  );
  const user = userEvent.setup();
  const panel = await screen.findByRole('region', { name: 'Tariff' });
  await user.click(await within(panel).findByRole('switch', { name: 'Time-of-use bands' }));
  await user.click(within(panel).getByRole('button', { name: 'Add band' }));
  const [, secondFrom] = within(panel).getAllByLabelText('From');
  await user.clear(secondFrom);
  await user.type(secondFrom, '06:00');
  expect(within(panel).getByRole('status')).toHaveTextContent(
    /bands "Night" \(00:00-07:00\) and "Peak" \(06:00-19:00\) overlap/,
  );
  expect(within(panel).getByRole('button', { name: 'Save tariff' })).toBeDisabled();

  await user.clear(secondFrom);
  await user.type(secondFrom, '07:00');
  await user.click(within(panel).getByRole('button', { name: 'Save tariff' }));
  expect(await within(panel).findByText(/Not saved: price too high/)).toBeInTheDocument();
  expect(puts(fetch)).toHaveLength(1);
});

it('shows a viewer the tariff read-only, with no Save button', async () => {
  renderSettings('home', 'viewer');
  const panel = await screen.findByRole('region', { name: 'Tariff' });
  expect(await within(panel).findByText(/Only the building's owners/)).toBeInTheDocument();
  expect(within(panel).getByLabelText(/Price per kWh/)).toBeDisabled();
  expect(within(panel).queryByRole('button', { name: 'Save tariff' })).toBeNull();
});

it('asks for a building when none is picked', () => {
  renderSettings(null);
  expect(screen.getByRole('region', { name: 'Tariff' })).toHaveTextContent(/Choose a building/);
});

it('switches to dark and keeps the theme in this browser', async () => {
  renderSettings();
  const user = userEvent.setup();
  await user.click(screen.getByRole('radio', { name: 'dark' }));
  expect(saved().theme).toBe('dark');
  expect(document.documentElement).toHaveClass('dark');
  expect(screen.getByText(/Units and theme are saved in this browser/)).toBeInTheDocument();
});

it('saves the units, which the formatting helpers then apply', async () => {
  renderSettings();
  const user = userEvent.setup();
  const units = screen.getByRole('region', { name: 'Units' });
  expect(within(units).getByRole('radio', { name: /Automatic/ })).toBeChecked();
  expect(within(units).getByRole('radio', { name: 'Kilowatt-hours (kWh)' })).toBeChecked();
  expect(within(units).getByRole('radio', { name: '24-hour (15:05)' })).toBeChecked();
  expect(units).toHaveTextContent(/CSV exports keep fixed units/);

  await user.click(screen.getByRole('radio', { name: 'Kilowatts (kW)' }));
  await user.click(screen.getByRole('radio', { name: 'Watt-hours (Wh)' }));
  await user.click(screen.getByRole('radio', { name: '12-hour (3:05 PM)' }));
  const u = saved().units;
  expect(u).toEqual({ power: 'kW', energy: 'Wh', time: '12h' });
  expect(formatPower(412, u)).toBe('0.412 kW');
  expect(formatKwh(1.5, u)).toBe('1500 Wh');
  expect(
    formatTime(Date.UTC(2026, 0, 2, 15, 5), u, { locale: 'en-US', timeZone: 'UTC' }).replace(
      /\s/g,
      ' ',
    ),
  ).toBe('3:05 PM');
});

it('reads an older stored value (with tariff and currency) back, keeping good fields and defaulting bad ones', async () => {
  localStorage.setItem(
    SETTINGS_KEY,
    JSON.stringify({
      currency: 'EUR',
      theme: 'dark',
      tariff: { pricePerKwh: 0.4, bands: [{ name: 'Night', start: '1:00', end: 'x' }] },
      units: { power: 'W', energy: 'MWh', time: '12h' },
    }),
  );
  renderSettings();
  expect(screen.getByRole('radio', { name: 'Watts (W)' })).toBeChecked();
  expect(screen.getByRole('radio', { name: 'Kilowatt-hours (kWh)' })).toBeChecked();
  expect(screen.getByRole('radio', { name: '12-hour (3:05 PM)' })).toBeChecked();
  expect(screen.getByRole('radio', { name: 'dark' })).toBeChecked();
  // The tariff shown is the building's, not the one this browser once kept.
  const panel = screen.getByRole('region', { name: 'Tariff' });
  expect(await within(panel).findByLabelText(/Price per kWh/)).toHaveValue(0.25);
  const user = userEvent.setup();
  await user.click(screen.getByRole('radio', { name: 'light' }));
  expect(saved()).toEqual({
    theme: 'light',
    units: { power: 'W', energy: 'kWh', time: '12h' },
  });
});

const PRICES = '/api/v1/buildings/home/prices';
const noPrices: PricesResponse = { building_id: 'home', currency: 'GBP', slots: [], fetch: null };
/** Stored prices: none until an upload, then the two half hours of the file. */
const pricesAfterUpload = () => {
  let uploaded = false;
  return {
    uploaded: () => (uploaded = true),
    answer: (url: string) =>
      url.startsWith(`${PRICES}?`)
        ? Response.json(
            uploaded
              ? {
                  ...noPrices,
                  slots: [
                    {
                      start: '2026-11-20T15:00:00.000Z',
                      end: '2026-11-20T15:30:00.000Z',
                      price_per_kwh: 0.2331,
                    },
                    {
                      start: '2026-11-20T15:30:00.000Z',
                      end: '2026-11-20T16:00:00.000Z',
                      price_per_kwh: 0.2487,
                    },
                  ],
                }
              : noPrices,
          )
        : undefined,
  };
};
const csvTariff: TariffResponse = {
  ...storedTariff,
  dynamic: { source: 'csv' },
  is_default: false,
};
const PRICE_CSV = 'start,price_per_kwh\n2026-11-20T15:00:00Z,0.2331\n2026-11-20T15:30:00Z,0.2487\n';

/** Choose `text` as the price file in the tariff panel; resolves to the upload request. */
async function choosePriceFile(panel: HTMLElement, text: string) {
  const file = new File([text], 'agile.csv', { type: 'text/csv' });
  const input = await within(panel).findByLabelText(/Upload prices/);
  await userEvent.setup().upload(input, file);
  await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
  return { xhr: FakeXhr.sent[0]!, file };
}

it('an owner uploads a price CSV: PUT with the file as text/csv, then the stored prices show', async () => {
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  const prices = pricesAfterUpload();
  renderSettings('home', 'owner', undefined, csvTariff, prices.answer);
  const panel = await screen.findByRole('region', { name: 'Tariff' });
  const dynamic = await within(panel).findByRole('region', { name: 'Dynamic prices' });
  expect(
    await within(dynamic).findByText(/No dynamic prices stored for the last and next two days/),
  ).toBeInTheDocument();

  const { xhr, file } = await choosePriceFile(panel, PRICE_CSV);
  expect(xhr.method).toBe('PUT');
  expect(xhr.url).toBe(PRICES);
  expect(xhr.headers['content-type']).toBe('text/csv');
  expect(xhr.headers.authorization).toBe('Bearer t');
  expect(xhr.body).toBe(file);
  expect(await (xhr.body as File).text()).toBe(PRICE_CSV);

  prices.uploaded();
  xhr.respond(200, {
    building_id: 'home',
    imported: 2,
    start: '2026-11-20T15:00:00.000Z',
    end: '2026-11-20T16:00:00.000Z',
    slot_minutes: 30,
  });
  expect(
    await within(dynamic).findByText('Stored 2 prices (30-minute slots).'),
  ).toBeInTheDocument();
  // The upload refreshes the stored prices shown.
  expect(await within(dynamic).findByText(/^2 prices stored from/)).toBeInTheDocument();
});

it("a refused price CSV (422) shows the server's message naming the line, and stores nothing", async () => {
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  const prices = pricesAfterUpload();
  renderSettings('home', 'owner', undefined, csvTariff, prices.answer);
  const panel = await screen.findByRole('region', { name: 'Tariff' });
  const dynamic = await within(panel).findByRole('region', { name: 'Dynamic prices' });
  const { xhr } = await choosePriceFile(
    panel,
    'start,price_per_kwh\n2026-11-20T15:00:00Z,0.2331\n2026-11-20T15:30:00Z,24.87p\n',
  );
  const message =
    'line 3: price_per_kwh "24.87p" is not a price between -10 and 100 per kWh (write 0.2415 for 24.15p)';
  xhr.respond(422, {
    error: { code: 'VALIDATION_FAILED', message, details: { line: 3 } },
    request_id: 'r',
  });
  expect(await within(dynamic).findByText(`Not stored: ${message}`)).toBeInTheDocument();
  expect(within(dynamic).getByText(/No dynamic prices stored/)).toBeInTheDocument();
});

it("an Octopus tariff's failed fetch shows the price API's message and the last success", async () => {
  const octopus: TariffResponse = {
    ...storedTariff,
    dynamic: { source: 'octopus', product: 'AGILE-24-10-01', tariff: 'E-1R-AGILE-24-10-01-C' },
    is_default: false,
  };
  const failed = 'the price API (api.octopus.energy) answered 503; will try again';
  const fetch = renderSettings('home', 'owner', undefined, octopus, (url, init) =>
    url.startsWith(`${PRICES}?`)
      ? Response.json({
          ...noPrices,
          fetch: {
            provider: 'octopus',
            attempted_at: '2026-12-05T14:00:00.000Z',
            succeeded_at: '2026-12-05T13:00:00.000Z',
            error: failed,
            slots: 142,
            gaps: 0,
          },
        })
      : url === `${PRICES}/refresh` && init?.method === 'POST'
        ? Response.json(
            { error: { code: 'PRICE_API_FAILED', message: failed }, request_id: 'r' },
            { status: 502 },
          )
        : undefined,
  );
  const panel = await screen.findByRole('region', { name: 'Tariff' });
  const dynamic = await within(panel).findByRole('region', { name: 'Dynamic prices' });
  const last = await within(dynamic).findByRole('alert');
  expect(last).toHaveTextContent(failed);
  expect(last).toHaveTextContent(/last success/);
  await userEvent.setup().click(within(dynamic).getByRole('button', { name: 'Fetch prices now' }));
  expect(await within(dynamic).findByText(`Fetch failed: ${failed}`)).toBeInTheDocument();
  expect(
    fetch.mock.calls.filter(([u, i]) => u === `${PRICES}/refresh` && i?.method === 'POST'),
  ).toHaveLength(1);
});
