/**
 * End to end: the product on a phone and a desk (issue 14, item 7). The real product with the
 * demo home (its tariff given a standing charge and an export price, so Reports has every
 * column), driven through Debian's Chromium. At 390 x 844 the page is never wider than the screen,
 * the navigation is a Menu button that opens the links and goes to the page chosen, and Reports,
 * Appliances and the Model page's technical scores are cards, not sideways-scrolling tables; at
 * 1280 x 900 the report table shows all its columns without scrolling. Light and dark, each view
 * photographed into e2e/artifacts/ and audited with axe-core.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  launchChromium,
  screenshot,
  startProduct,
  type Product,
} from './product.fixture.js';

const PORT = Number(process.env.NILM_E2E_PHONE_PORT ?? 18_497);

let product: Product;
let browser: Browser;
const accessibility: string[] = [];

beforeAll(async () => {
  product = await startProduct({ port: PORT, env: { DEMO: 'true', MQTT_EMBEDDED_PORT: '0' } });
  browser = await launchChromium();
  const login = await fetch(`${product.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: product.email, password: product.password }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  // The demo home is made as the server starts; wait for it (up to a minute).
  const putTariff = () =>
    fetch(`${product.url}/api/v1/buildings/demo-home/tariff`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        currency: 'GBP',
        price_per_kwh: 0.245,
        bands: [],
        standing_charge_per_day: 0.53,
        export_price_per_kwh: 0.15,
      }),
    });
  let put = await putTariff();
  for (let i = 0; i < 60 && put.status === 404; i++) {
    await new Promise((ok) => setTimeout(ok, 1000));
    put = await putTariff();
  }
  if (!put.ok) throw new Error(`tariff: ${put.status} ${await put.text()}`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

async function signIn(width: number, height: number, scheme: 'light' | 'dark') {
  const context = await browser.newContext({
    viewport: { width, height },
    colorScheme: scheme,
    bypassCSP: true,
  });
  const page: Page = await context.newPage();
  await page.goto(product.url);
  await page.getByLabel('E-mail').fill(product.email);
  await page.getByLabel('Password').fill(product.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/b/demo-home');
  return { context, page };
}

/**
 * How far the document is wider than the screen (0: no sideways scrolling), and the first few
 * elements that stick out (outside a table's own scroll region), to name in a failure.
 */
async function overflow(page: Page): Promise<number> {
  const [by, wide] = (await page.evaluate(`[
    document.documentElement.scrollWidth - document.documentElement.clientWidth,
    [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter((e) => !e.closest('[role=region][tabindex]'))
      .filter((e, _, all) => !all.some((o) => o !== e && e.contains(o)))
      .slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().width).join('\\n'),
  ]`)) as [number, string];
  if (by > 0) console.log(`${page.url()} is ${by} px too wide:\n${wide}`);
  return by;
}

async function photograph(name: string, page: Page) {
  await page.mouse.move(0, 0);
  await screenshot(name, page);
  accessibility.push(...(await audit(name, page)));
}

describe('the product on a phone', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`has a menu, and cards for Reports, Appliances and the model's scores (${scheme})`, async () => {
      const { context, page } = await signIn(390, 844, scheme);
      try {
        const nav = page.getByRole('navigation', { name: 'Main' });
        const menu = nav.getByRole('button', { name: 'Menu' });
        await menu.waitFor();
        // The dashboard has drawn (its code loaded), so the header is the one that stays.
        await page
          .getByRole('heading', { name: 'Today', exact: true })
          .waitFor({ timeout: 60_000 });
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        expect(await menu.getAttribute('aria-expanded')).toBe('false');
        await menu.click();
        expect(await menu.getAttribute('aria-expanded')).toBe('true');
        await nav.getByRole('link', { name: 'Reports' }).waitFor();
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        await page.mouse.move(0, 0);
        await screenshot(`phone-menu-${scheme}`, page);
        accessibility.push(...(await audit(`phone-menu-${scheme}`, page)));
        await nav.getByRole('link', { name: 'Reports' }).click();
        await page.waitForURL('**/b/demo-home/reports');
        // Choosing a page closes the menu.
        await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('false');

        const report = page.getByRole('region', { name: 'Energy report table' });
        await report.getByRole('heading', { name: 'Total' }).waitFor({ timeout: 60_000 });
        expect(await report.getByRole('table').count()).toBe(0);
        expect(await report.getByRole('listitem').count()).toBeGreaterThan(1);
        for (const term of ['Standing charge (GBP)', 'Bill (GBP)', 'Data coverage (%)'])
          await report.getByRole('term').filter({ hasText: term }).first().waitFor();
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        await photograph(`phone-reports-${scheme}`, page);

        await menu.click();
        await nav.getByRole('link', { name: 'Appliances' }).click();
        const appliances = page.getByRole('region', { name: 'Energy by appliance table' });
        await appliances.getByRole('heading', { name: 'Total' }).waitFor({ timeout: 60_000 });
        expect(await appliances.getByRole('table').count()).toBe(0);
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        await photograph(`phone-appliances-${scheme}`, page);

        await menu.click();
        await nav.getByRole('link', { name: 'Model' }).click();
        await page.getByRole('button', { name: 'Show technical details' }).click();
        const scores = page.getByRole('region', { name: 'Held-out test scores' });
        await scores.getByRole('listitem').first().waitFor({ timeout: 60_000 });
        expect(await scores.getByRole('table').count()).toBe(0);
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        await photograph(`phone-model-${scheme}`, page);
      } finally {
        await context.close();
      }
    }, 180_000);
  }
});

describe('the report table on a desk', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`shows every column at 1280 px without scrolling (${scheme})`, async () => {
      const { context, page } = await signIn(1280, 900, scheme);
      try {
        const nav = page.getByRole('navigation', { name: 'Main' });
        expect(await nav.getByRole('button', { name: 'Menu' }).count()).toBe(0);
        await nav.getByRole('link', { name: 'Reports' }).click();
        const region = page.getByRole('region', { name: 'Energy report table' });
        const table = region.getByRole('table');
        await table.getByRole('rowheader', { name: 'Total' }).waitFor({ timeout: 60_000 });
        for (const name of ['Standing charge (GBP)', 'Export credit (GBP)', 'Bill (GBP)'])
          await table.getByRole('columnheader', { name }).waitFor();
        const { scroll, client } = await region.evaluate((e) => ({
          scroll: e.scrollWidth,
          client: e.clientWidth,
        }));
        expect(scroll, `the table is ${scroll} px wide in ${client} px`).toBeLessThanOrEqual(
          client,
        );
        await photograph(`desk-reports-${scheme}`, page);
      } finally {
        await context.close();
      }
    }, 180_000);
  }

  it('has no serious or critical accessibility findings on these views', () => {
    expect(accessibility).toEqual([]);
  });
});
