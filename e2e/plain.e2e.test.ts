/**
 * End to end: the household words (issue 14, item 5). The real product with the demo home,
 * driven through Debian's Chromium at desk and phone size, light and dark: the dashboard shows
 * today's energy as parts whose shares add up to 100 % (always-on inside the whole, not on top
 * of it), and the Model page opens with plain sentences per appliance and what the model cannot
 * see, keeping the technical card (with the `nilm eval` command for its baselines) behind a
 * toggle. Every view is photographed into e2e/artifacts/ and audited with axe.
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

const PORT = Number(process.env.NILM_E2E_PLAIN_PORT ?? 18_477);

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

describe('plain words on the dashboard and the Model page', () => {
  for (const { size, scheme, viewport } of VIEWS) {
    it(`adds today's shares to 100 % and speaks plainly about the model (${size}, ${scheme})`, async () => {
      const { context, page } = await signedIn(browser, product.url, product, 'demo-home', {
        viewport,
        scheme,
      });
      try {
        const parts = page.getByRole('list', { name: "Today's energy by part" });
        await parts.waitFor({ timeout: 60_000 });
        const rows = await parts.getByRole('listitem').allTextContents();
        const percents = rows.map((r) => Number(/(\d+)%$/.exec(r)?.[1]));
        expect(rows.some((r) => r.startsWith('Always-on'))).toBe(true);
        expect(rows.some((r) => r.startsWith('Other'))).toBe(true);
        expect(percents.every(Number.isFinite)).toBe(true);
        expect(percents.reduce((a, b) => a + b, 0)).toBe(100);
        // The pointer rests where the sign-in button was: keep it off the chart's tooltip.
        await page.mouse.move(0, 0);
        const dash = `plain-dashboard-${size}-${scheme}`;
        await screenshot(dash, page);
        accessibility.push(...(await audit(dash, page)));

        await page.goto(`${product.url}/model`);
        const finds = page.getByRole('list', { name: 'What the model finds' });
        await finds.waitFor();
        const lines = await finds.getByRole('listitem').allTextContents();
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(line).toMatch(/: (Finds|Spots) (\d+|fewer than 1) in 10 /);
        await page.getByRole('list', { name: 'What it cannot see' }).waitFor();
        // The technical card is hidden until asked for (a table on a desk, cards on a phone).
        expect(await page.getByRole('region', { name: 'Held-out test scores' }).count()).toBe(0);
        const model = `plain-model-${size}-${scheme}`;
        await screenshot(model, page);
        accessibility.push(...(await audit(model, page)));
        await page.getByRole('button', { name: 'Show technical details' }).click();
        await page.getByRole('region', { name: 'Held-out test scores' }).waitFor();
        await page
          .getByText('npx nilm eval --model baseline:co --config configs/default.yaml')
          .waitFor();
        const tech = `plain-model-technical-${size}-${scheme}`;
        await screenshot(tech, page);
        accessibility.push(...(await audit(tech, page)));
      } finally {
        await context.close();
      }
    }, 120_000);
  }

  it('has no serious or critical accessibility findings on these views', () => {
    expect(accessibility).toEqual([]);
  });
});
