/**
 * End to end: Compare (issue 14, item 4). The real product with the demo home, driven through
 * Debian's Chromium at desk and phone size, light and dark: the dashboard says in one line what
 * changed most this week so far against the same hours of last week (or, plainly, why nothing
 * can be said), its link opens the Reports page's Compare with the like-for-like windows, the
 * table (appliances, Other, Baseload, Total) and the grouped bars, and the month toggle compares
 * the same days a year before. Every view is photographed into e2e/artifacts/ and audited.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  launchChromium,
  screenshot,
  startProduct,
  type Product,
  signedIn,
  VIEWS,
} from './product.fixture.js';

const PORT = Number(process.env.NILM_E2E_COMPARE_PORT ?? 18_481);

let product: Product;
let browser: Browser;
const accessibility: string[] = [];

/** Every shape the one line may take (lib/compare.ts changeSentence and the line's own states). */
const LINE =
  /(used [\d.]+ kWh (more|less) than last week so far \((new|[+−±]\d+ %)\)|Always-on use was [\d.]+ kWh (higher|lower) than last week so far|Nothing changed by 0\.1 kWh or more against last week so far|There are no readings for (this|last) week so far, so there is nothing to compare|Readings cover only \d+ % of (this|last) week so far, so no change is given|The week has only just begun)/;

beforeAll(async () => {
  product = await startProduct({ port: PORT, env: { MQTT_EMBEDDED_PORT: '0' } });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

describe('Compare on the dashboard and the Reports page', () => {
  for (const { size, scheme, viewport } of VIEWS) {
    it(`says what changed and shows week and month side by side (${size}, ${scheme})`, async () => {
      const { context, page } = await signedIn(browser, product.url, product, 'demo-home', {
        viewport,
        scheme,
      });
      try {
        const line = page.getByRole('status').filter({ hasText: 'See the numbers' });
        await line.getByText(LINE).waitFor({ timeout: 60_000 });
        expect(await line.textContent()).toMatch(LINE);
        await page.mouse.move(0, 0);
        const dash = `compare-dashboard-${size}-${scheme}`;
        await screenshot(dash, page);
        accessibility.push(...(await audit(dash, page)));

        await line.getByRole('link', { name: 'See the numbers' }).click();
        await page.waitForURL('**/b/demo-home/reports#compare');
        const section = page.getByRole('region', { name: 'Compare' });
        const table = section.getByRole('table');
        await table.getByRole('rowheader', { name: 'Total' }).waitFor({ timeout: 60_000 });
        const headers = await table.getByRole('columnheader').allTextContents();
        expect(headers).toEqual([
          'Appliance',
          'This week so far',
          'Last week so far',
          'Change',
          'Change %',
        ]);
        for (const name of ['Other', 'Baseload (always on)'])
          await table.getByRole('rowheader', { name }).waitFor();
        await section.getByText(/^Like for like: Mon \d+ \w+ 00:00 – /).waitFor();
        expect(await section.getByRole('figure').count()).toBe(1);
        await page.mouse.move(0, 0);
        const week = `compare-week-${size}-${scheme}`;
        await screenshot(week, page);
        accessibility.push(...(await audit(week, page)));

        await section.getByRole('tab', { name: 'month vs last year' }).click();
        await table.getByRole('columnheader', { name: 'This month so far' }).waitFor();
        const before = await table.getByRole('columnheader').nth(2).textContent();
        expect(before).toMatch(/^(1(–\d+)? )?\w+ \d{4}$/);
        await table.getByRole('rowheader', { name: 'Total' }).waitFor();
        await page.mouse.move(0, 0);
        const month = `compare-month-${size}-${scheme}`;
        await screenshot(month, page);
        accessibility.push(...(await audit(month, page)));
      } finally {
        await context.close();
      }
    }, 120_000);
  }

  it('has no serious or critical accessibility findings on these views', () => {
    expect(accessibility).toEqual([]);
  });
});
