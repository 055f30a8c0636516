// Proves the dashboard page speaks German and Dutch: headings, appliance names and states in the
// language chosen, numbers ("2,31 kW", "6,00 kWh"), money and dates written the way that
// language writes them; and that English stays the default.
import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import DashboardPage from '../pages/dashboard.page.js';
import { renderPage } from '../test/page.fixture.js';
import { columnsOf } from '../test/readings.fixture.js';
import { i18n, showLanguage } from './i18n.setup.js';

afterEach(async () => {
  vi.unstubAllGlobals();
  await showLanguage('en');
});

// Noon, so the date is the same in any test machine's zone within ±11 h.
const live =
  'event: reading\ndata: {"type":"reading","building_id":"home","time":"2026-01-01T12:01:00Z","power_w":2310}\n\n';

/** The dashboard at /b/home: today 6 kWh (kettle 1.5) at GBP 0.20, live 2310 W. */
function renderDashboard() {
  renderPage('/b/home', '/b/:buildingId', <DashboardPage />, {
    answer: (url) =>
      url.includes('/live')
        ? new Response(live, { headers: { 'content-type': 'text/event-stream' } })
        : url.includes('/readings')
          ? columnsOf([], {
              start: '2026-01-01T00:00:00.000Z',
              end: '2026-01-01T00:02:00.000Z',
              appliances: ['kettle'],
            })
          : undefined,
  });
}

describe('the dashboard page', () => {
  it('is in English by default, with English number formats', async () => {
    expect(i18n.language).toBe('en');
    renderDashboard();
    expect(await screen.findByText('2.31 kW')).toBeInTheDocument();
    const today = screen.getByRole('region', { name: 'Today' });
    expect(await within(today).findByText('6.00 kWh')).toBeInTheDocument();
    expect(today).toHaveTextContent('£1.20');
  });

  it('speaks German, with German numbers, money and dates', async () => {
    await showLanguage('de');
    renderDashboard();
    expect(await screen.findByText('2,31 kW')).toBeInTheDocument();
    const livePanel = screen.getByRole('region', { name: 'Aktuelle Leistung' });
    expect(livePanel).toHaveTextContent(/Live · 1\. Jan\. 2026, \d\d:01/);
    const today = screen.getByRole('region', { name: 'Heute' });
    expect(await within(today).findByText('6,00 kWh')).toBeInTheDocument();
    expect(within(today).getByText('Kosten')).toBeInTheDocument();
    expect(today).toHaveTextContent(/1,20\s£/);
    const shares = screen.getByRole('region', { name: 'Wohin der Strom heute ging' });
    expect(within(shares).getByText('Wasserkocher')).toBeInTheDocument();
    expect(within(shares).getByText('Grundlast')).toBeInTheDocument();
    expect(shares).toHaveTextContent(/1,50 kWh · 43\s%/);
    expect(screen.getByRole('region', { name: 'Leistung nach Gerät' })).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: '7 Tage' })).toBeInTheDocument();
  });

  it('speaks Dutch, with Dutch numbers, money and dates', async () => {
    await showLanguage('nl');
    renderDashboard();
    expect(await screen.findByText('2,31 kW')).toBeInTheDocument();
    const livePanel = screen.getByRole('region', { name: 'Actueel vermogen' });
    expect(livePanel).toHaveTextContent(/Live · 1 jan 2026, \d\d:01/);
    const today = screen.getByRole('region', { name: 'Vandaag' });
    expect(await within(today).findByText('6,00 kWh')).toBeInTheDocument();
    expect(today).toHaveTextContent(/£\s1,20/);
    const shares = screen.getByRole('region', { name: 'Waar de stroom vandaag heen ging' });
    expect(within(shares).getByText('Waterkoker')).toBeInTheDocument();
    expect(within(shares).getByText('Sluipverbruik')).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: '7 dagen' })).toBeInTheDocument();
  });
});
