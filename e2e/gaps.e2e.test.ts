/**
 * End to end: gaps are gaps (issue 14, item 6). The real product (no demo home) in Debian's
 * Chromium: a home's recent history is imported with an hour missing in the middle; the
 * dashboard's power chart draws that hour as a hatched "No readings" band (with its title and a
 * caption), not as flat power, and the Reports table has a Data coverage column. Desk and phone
 * are photographed into e2e/artifacts/ and audited.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
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

const PORT = Number(process.env.NILM_E2E_GAPS_PORT ?? 18_487);
const BUILDING = 'gap-home';
const OWNER = { email: 'owner@gaps.e2e', password: 'owner-password-1' };
const MIN = 60_000;

let product: Product;
let browser: Browser;
let adminToken = '';
const accessibility: string[] = [];

async function api(path: string, body?: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${product.url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  product = await startProduct({ port: PORT, env: { DEMO: 'false', MQTT_EMBEDDED_PORT: '0' } });
  adminToken = (await api('/auth/login', { email: product.email, password: product.password }))
    .access_token as string;
  const owner = (await api('/admin/users', OWNER)).user as { id: string };
  await api('/buildings', { id: BUILDING, name: 'Gap flat', timezone: 'UTC', owner_id: owner.id });

  // Six hours of REFIT House 20's real minutes, restamped to end a minute ago, with the fourth
  // hour left out.
  const watts = gunzipSync(
    readFileSync(resolve(import.meta.dirname, '../data/REFIT_House20_2014-09-03_14d.csv.gz')),
  )
    .toString('utf8')
    .split('\n')
    .slice(1 + 10 * 60, 1 + 10 * 60 + 360)
    .map((l) => l.split(',')[1]!);
  const end = Math.floor(Date.now() / MIN) * MIN - MIN;
  const start = end - 359 * MIN;
  const hole = { from: start + 180 * MIN, to: start + 240 * MIN };
  const lines = watts
    .map((w, i) => [start + i * MIN, w] as const)
    .filter(([t]) => t < hole.from || t >= hole.to)
    .map(([t, w]) => `${t / 1000},${w}`);
  const res = await fetch(`${product.url}/api/v1/buildings/${BUILDING}/import?format=time-power`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${adminToken}` },
    body: ['time,power', ...lines].join('\n') + '\n',
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(((await res.json()) as { imported: number }).imported).toBe(300);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    await product?.stop();
  }
});

describe('a stretch without readings', () => {
  for (const { size, viewport } of VIEWS.filter((v) => v.scheme === 'light')) {
    it(`is a hatched gap in the power chart, and Reports says how much had data (${size})`, async () => {
      const { context, page } = await signedIn(browser, product.url, OWNER, BUILDING, { viewport });
      try {
        const chart = page.getByRole('figure', { name: 'Power per appliance over time, stacked' });
        const caption = chart.locator('figcaption');
        await caption.waitFor({ timeout: 60_000 });
        expect(await caption.textContent()).toMatch(/drawn as a gap, not as zero power\./);
        // Two stretches at least: the 18 hours of the day before the import, and the missing hour.
        const bands = chart.locator('rect.no-readings');
        expect(await bands.count()).toBeGreaterThanOrEqual(2);
        const titles = await bands.locator('title').allTextContents();
        expect(titles.every((t) => t.startsWith('No readings '))).toBe(true);
        // By width: the day before the import (18 hours) is about 18 times the missing hour.
        const widths = await bands.evaluateAll((els) =>
          els.map((e) => e.getBoundingClientRect().width),
        );
        const ratio = Math.max(...widths) / Math.min(...widths);
        expect(ratio, JSON.stringify(widths)).toBeGreaterThan(9);
        expect(ratio, JSON.stringify(widths)).toBeLessThan(36);
        await page.mouse.move(0, 0);
        await screenshot(`gaps-dashboard-${size}`, page);
        accessibility.push(...(await audit(`gaps-dashboard-${size}`, page)));

        await page.goto(`${product.url}/b/${BUILDING}/reports`);
        // A table on a desk, one card per period on a phone: either way a Data coverage value.
        const report = page.getByRole('region', { name: 'Energy report table' });
        await (
          size === 'phone'
            ? report.getByRole('term').filter({ hasText: 'Data coverage (%)' }).first()
            : report.getByRole('columnheader', { name: 'Data coverage (%)' })
        ).waitFor({ timeout: 60_000 });
        await screenshot(`gaps-reports-${size}`, page);
        accessibility.push(...(await audit(`gaps-reports-${size}`, page)));
      } finally {
        await context.close();
      }
    });
  }

  it('has no serious accessibility problems in any view it photographed (axe-core, WCAG 2.1 AA)', () => {
    expect(accessibility).toEqual([]);
  });
});
