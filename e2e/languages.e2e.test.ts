/**
 * End to end: languages (issue 14, item 10). The real product with the demo home, driven
 * through Debian's Chromium at desk and phone size, light and dark: signed in in English (the
 * browser's language), the language picker (in the header on a desk, in the Menu on a phone)
 * switches the dashboard to Deutsch, then Nederlands: headings, navigation and appliance names
 * in that language, `<html lang>` set, numbers written with a decimal comma; the choice
 * survives a reload; the Reports table then reads Dutch with decimal commas. Each dashboard and
 * the Dutch Reports page are photographed into e2e/artifacts/ and audited with axe.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  launchChromium,
  screenshot,
  signedIn,
  startProduct,
  type Product,
  VIEWS,
} from './product.fixture.js';

const PORT = Number(process.env.NILM_E2E_LANGUAGES_PORT ?? 18_499);

let product: Product;
let browser: Browser;
const accessibility: string[] = [];

beforeAll(async () => {
  product = await startProduct({ port: PORT, env: { MQTT_EMBEDDED_PORT: '0' } });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

/** What each language calls things on the dashboard. */
const WORDS = {
  de: {
    name: 'Deutsch',
    picker: 'Sprache',
    menu: 'Menü',
    live: 'Aktuelle Leistung',
    today: 'Heute',
    shares: 'Wohin der Strom heute ging',
    baseload: 'Grundlast',
    chart: 'Leistung nach Gerät',
    nav: 'Übersicht',
  },
  nl: {
    name: 'Nederlands',
    picker: 'Taal',
    menu: 'Menu',
    live: 'Actueel vermogen',
    today: 'Vandaag',
    shares: 'Waar de stroom vandaag heen ging',
    baseload: 'Sluipverbruik',
    chart: 'Vermogen per apparaat',
    nav: 'Overzicht',
  },
} as const;

/** Choose `language` in the picker named `pickerName`: in the Menu on a phone. */
async function choose(page: Page, phone: boolean, menu: string, pickerName: string, name: string) {
  if (phone) await page.getByRole('button', { name: menu }).click();
  await page.getByRole('combobox', { name: pickerName }).selectOption({ label: name });
}

/** The dashboard reads in `language`, with its numbers written with a decimal comma. */
async function expectDashboardIn(page: Page, language: keyof typeof WORDS) {
  const w = WORDS[language];
  await page.getByRole('heading', { name: w.live }).waitFor({ timeout: 30_000 });
  expect(await page.evaluate('document.documentElement.lang')).toBe(language);
  const today = page.getByRole('region', { name: w.today, exact: true });
  const energy = today.locator('dd').first();
  await expect.poll(() => energy.textContent(), { timeout: 60_000 }).toMatch(/^\d+,\d{2,3} kWh$/);
  const shares = page.getByRole('region', { name: w.shares });
  await shares.getByRole('listitem').first().waitFor({ timeout: 60_000 });
  expect(await shares.getByRole('listitem').allTextContents()).toContainEqual(
    expect.stringMatching(new RegExp(`^${w.baseload}\\d+,\\d+ kWh · \\d+\\s?%$`)),
  );
  await page.getByRole('heading', { name: w.chart }).waitFor();
  // Live power: "412 W" or "2,31 kW", never "2.31 kW".
  await expect
    .poll(() => page.getByTestId('live-power').textContent(), { timeout: 60_000 })
    .toMatch(/^(\d+ W|\d+,\d+ kW)$/);
}

describe('the dashboard in German and Dutch', () => {
  for (const { size, scheme, viewport } of VIEWS) {
    it(`switches from English to Deutsch and Nederlands and keeps the choice (${size}, ${scheme})`, async () => {
      const phone = size === 'phone';
      const { context, page } = await signedIn(browser, product.url, product, 'demo-home', {
        viewport,
        scheme,
      });
      try {
        // English first: the browser's language.
        await page.getByRole('heading', { name: 'Live power' }).waitFor({ timeout: 30_000 });
        expect(await page.evaluate('document.documentElement.lang')).toBe('en');

        await choose(page, phone, 'Menu', 'Language', WORDS.de.name);
        await expectDashboardIn(page, 'de');
        if (!phone)
          await page
            .getByRole('navigation', { name: 'Hauptmenü' })
            .getByRole('link', { name: WORDS.de.nav })
            .waitFor();
        await page.mouse.move(0, 0);
        const de = `languages-dashboard-de-${size}-${scheme}`;
        await screenshot(de, page);
        accessibility.push(...(await audit(de, page)));

        // Remembered in this browser: a reload stays German.
        await page.reload();
        await expectDashboardIn(page, 'de');

        await choose(page, phone, WORDS.de.menu, WORDS.de.picker, WORDS.nl.name);
        await expectDashboardIn(page, 'nl');
        await page.mouse.move(0, 0);
        const nl = `languages-dashboard-nl-${size}-${scheme}`;
        await screenshot(nl, page);
        accessibility.push(...(await audit(nl, page)));

        // Reports in Dutch: the table's name and headings, kWh with a decimal comma.
        await page.goto(`${product.url}/b/demo-home/reports`);
        const table = page.getByRole('region', { name: 'Tabel energierapport' });
        await table.getByText('Totaal', { exact: true }).first().waitFor({ timeout: 60_000 });
        expect(await table.textContent()).toMatch(/Basislast/);
        expect(await table.textContent()).toMatch(/\d+,\d{3}/);
        await page.getByRole('button', { name: 'CSV exporteren' }).waitFor();
        const reports = `languages-reports-nl-${size}-${scheme}`;
        await screenshot(reports, page);
        accessibility.push(...(await audit(reports, page)));
      } finally {
        await context.close();
      }
    }, 180_000);
  }

  it('has no serious or critical accessibility findings on these views', () => {
    expect(accessibility).toEqual([]);
  });
});
