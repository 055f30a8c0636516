/**
 * End to end: the model learns your home (issue 13), in Debian's Chromium against the real
 * product with the demo home (REFIT House 20, 13 days of history, no sub-meter). Through the API
 * the test gives the house a kettle sub-meter (a Tasmota plug) and sends it the recording's own
 * kettle channel for the minutes the demo replayed (what a plug would have measured). Then, in
 * the browser as its owner: the Appliances page's found devices (a pass run from the page when
 * the worker has found none yet) and one of them named, with an example run on the mains; a span
 * labelled "nothing of the electric shower here" (the house has none) by dragging across the
 * dashboard's power chart, and shaded there; on the Model page a fine-tune of 50 epochs
 * started and stopped, then one of the kettle started, its progress followed, its scorecard
 * (base against taught) shown and the model activated, its own card in the plain view. Each page is photographed at desk and phone size, light and dark, into
 * e2e/artifacts/ and audited with axe.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  launchChromium,
  ROOT,
  screenshot,
  signedIn,
  startProduct,
  type Product,
  VIEWS,
} from './product.fixture.js';

const PORT = Number(process.env.NILM_E2E_LEARN_PORT ?? 18_503);
const HOME = 'demo-home';

let product: Product;
let browser: Browser;
let token = '';
const accessibility: string[] = [];

/** The API as the signed-in owner (admin) of the demo home. */
async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${product.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  product = await startProduct({ port: PORT, env: { MQTT_EMBEDDED_PORT: '0' } });
  browser = await launchChromium();
  const login = await fetch(`${product.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: product.email, password: product.password }),
  });
  if (!login.ok) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
  token = ((await login.json()) as { access_token: string }).access_token;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

/** Photograph and audit `page` as `name` in each view (desk and phone, light and dark). */
async function everyView(name: string, path: string, ready: (p: Page) => Promise<unknown>) {
  for (const view of VIEWS) {
    const { context, page } = await signedIn(browser, product.url, product, HOME, view);
    try {
      await page.goto(`${product.url}${path}`);
      await ready(page);
      const shot = `learn-${name}-${view.size}-${view.scheme}`;
      await screenshot(shot, page);
      accessibility.push(...(await audit(shot, page)));
    } finally {
      await context.close();
    }
  }
}

/**
 * The recording's kettle channel at the minutes the demo replayed: the demo moves the recording
 * by whole days in London time, so each stored minute is matched to the recorded minute of the
 * same London clock time whose mains is the same (to 0.2 W); minutes with no such match are
 * left out.
 */
async function kettleChannel(points: Array<{ time: string; power_w: number | null }>) {
  const csv = gunzipSync(
    readFileSync(join(ROOT, 'data', 'REFIT_House20_2014-09-03_14d.csv.gz')),
  ).toString('utf8');
  const head = csv.slice(0, csv.indexOf('\n')).split(',');
  const mainsCol = head.indexOf('Aggregate');
  const kettleCol = head.indexOf('Kettle');
  /** 'HH:MM' -> the recorded minutes at that clock time, each with mains and kettle. */
  const byClock = new Map<string, Array<{ mains: number; kettle: number }>>();
  for (const line of csv.split('\n').slice(1)) {
    const f = line.split(',');
    if (f.length < head.length) continue;
    const clock = f[0]!.slice(11, 16);
    const list = byClock.get(clock) ?? [];
    list.push({ mains: Number(f[mainsCol]), kettle: Number(f[kettleCol]) });
    byClock.set(clock, list);
  }
  const london = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const plugReadings: Array<{ ts: string; power_w: number }> = [];
  for (const p of points) {
    if (p.power_w === null) continue;
    const same = (byClock.get(london.format(new Date(p.time))) ?? []).filter(
      (r) => Math.abs(r.mains - p.power_w!) <= 0.2,
    );
    // One recorded minute only: a mains value seen on two days at that time says nothing.
    if (same.length === 1) plugReadings.push({ ts: p.time, power_w: same[0]!.kettle });
  }
  return { plugReadings };
}

describe('the model learns your home', () => {
  it("gets a kettle sub-meter whose readings are the recording's own kettle channel", async () => {
    const plug = await api('POST', `/buildings/${HOME}/sources`, {
      type: 'tasmota',
      name: 'Kettle plug',
      role: 'submeter',
      appliance: 'kettle',
      settings: { topic: 'tele/kettle_plug/SENSOR' },
    });
    expect(plug.status, await plug.clone().text()).toBe(201);
    // The demo writes its history at start-up: wait for 11 of the last 12 days.
    let points: Array<{ time: string; power_w: number | null }> = [];
    await expect
      .poll(
        async () => {
          const res = await api('GET', `/buildings/${HOME}/readings?start=-12d&resolution=1m`);
          points = ((await res.json()) as { points: typeof points }).points;
          return points.filter((p) => p.power_w !== null).length;
        },
        { timeout: 120_000, interval: 3000 },
      )
      .toBeGreaterThan(11 * 1440);
    const { plugReadings } = await kettleChannel(points);
    expect(plugReadings.length).toBeGreaterThan(5 * 1440);
    for (let i = 0; i < plugReadings.length; i += 5000) {
      const res = await api('POST', '/ingest', {
        building_id: HOME,
        appliance: 'kettle',
        readings: plugReadings.slice(i, i + 5000),
      });
      expect(res.status, await res.clone().text()).toBe(202);
    }
  }, 300_000);

  it('finds devices in the demo home and names one', async () => {
    const { context, page } = await signedIn(browser, product.url, product, HOME, VIEWS[0]!);
    try {
      await page.goto(`${product.url}/b/${HOME}/appliances`);
      const panel = page.getByRole('region', { name: 'Found devices' });
      const devices = panel.getByRole('list', { name: 'Found devices' }).getByRole('listitem');
      await panel.getByRole('button', { name: 'Look for devices now' }).waitFor();
      await page.waitForTimeout(1000);
      if ((await devices.count()) === 0) {
        await panel.getByRole('button', { name: 'Look for devices now' }).click();
        await panel.getByText(/^Found \d+ devices? in \d+ days of readings\.$/).waitFor({
          timeout: 120_000,
        });
      }
      await devices.first().waitFor({ timeout: 60_000 });
      const first = devices.first();
      const text = (await first.textContent()) ?? '';
      expect(text).toMatch(
        /^Device [A-Z]: about [\d.]+ k?W for \d+ min, [\d.]+ runs a day, [\d.]+ kWh a month/,
      );
      const label = /^Device [A-Z]/.exec(text)![0];
      await first.getByRole('button', { name: `Name ${label}` }).click();
      const form = page.getByRole('form', { name: `Name ${label}` });
      await form.getByLabel('Appliance type').selectOption('fridge');
      await form.getByLabel('Or your own name').fill('Garage fridge');
      await form.getByRole('button', { name: 'Save' }).click();
      await panel.getByRole('listitem', { name: 'Garage fridge' }).waitFor({ timeout: 30_000 });
      expect(await panel.getByRole('listitem', { name: 'Garage fridge' }).textContent()).toContain(
        `Garage fridge (${label}): about`,
      );
      // An example run drawn on the mains, the run shaded.
      const named = panel.getByRole('listitem', { name: 'Garage fridge' });
      const runs = named.getByRole('button', { pressed: false });
      if ((await runs.count()) > 0) {
        await runs.first().click();
        await named.getByRole('figure').waitFor({ timeout: 30_000 });
      }
    } finally {
      await context.close();
    }
    await everyView('appliances', `/b/${HOME}/appliances`, (p) =>
      p.getByRole('listitem', { name: 'Garage fridge' }).waitFor({ timeout: 30_000 }),
    );
  }, 600_000);

  it('labels a span by dragging across the power chart, and shades it', async () => {
    const { context, page } = await signedIn(browser, product.url, product, HOME, VIEWS[0]!);
    try {
      const chartPanel = page.getByRole('region', { name: 'Power by appliance' });
      const surface = chartPanel.locator('.recharts-wrapper');
      await surface.waitFor({ timeout: 60_000 });
      const box = (await surface.boundingBox())!;
      const y = box.y + box.height * 0.4;
      await page.mouse.move(box.x + box.width * 0.3, y);
      await page.mouse.down();
      for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * (0.3 + 0.02 * i), y);
      await page.mouse.up();
      const dialog = page.getByRole('dialog', { name: 'Label this span' });
      await dialog.waitFor();
      const from = await dialog.getByLabel('From', { exact: true }).inputValue();
      const to = await dialog.getByLabel('To', { exact: true }).inputValue();
      expect(Date.parse(to)).toBeGreaterThan(Date.parse(from));
      await dialog.getByLabel('Appliance', { exact: true }).selectOption('electric_shower');
      await screenshot('learn-label-dialog-desk-light', page);
      await dialog.getByRole('button', { name: 'Nothing of it here' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect
        .poll(() => chartPanel.locator('rect.label-mark').count(), { timeout: 30_000 })
        .toBeGreaterThan(0);
      const labels = (await (await api('GET', `/buildings/${HOME}/labels`)).json()) as {
        labels: Array<{ kind: string; appliance: string }>;
      };
      expect(labels.labels).toEqual([
        expect.objectContaining({ appliance: 'electric_shower', kind: 'off' }),
      ]);
    } finally {
      await context.close();
    }
    await everyView('dashboard', `/b/${HOME}?range=24h`, (p) =>
      p.locator('rect.label-mark').first().waitFor({ timeout: 60_000 }),
    );
  }, 600_000);

  it('teaches the model the kettle, shows its progress and scorecard, and activates it', async () => {
    const { context, page } = await signedIn(browser, product.url, product, HOME, VIEWS[0]!);
    try {
      await page.goto(`${product.url}/model`);
      const teach = page.getByRole('region', { name: 'Teach the model your home' });
      // The sub-metered kettle is chosen; the shower, labelled "nothing of it here", is offered.
      const kettle = teach.getByRole('checkbox', { name: 'Kettle' });
      await kettle.waitFor({ timeout: 30_000 });
      expect(await kettle.isChecked()).toBe(true);
      expect(await teach.getByRole('checkbox', { name: 'Electric shower' }).isChecked()).toBe(
        false,
      );
      // A first one, of 50 epochs, is stopped: it ends cancelled and the next can start.
      await teach.getByRole('spinbutton', { name: 'Epochs (passes over your data)' }).fill('50');
      await teach.getByRole('button', { name: 'Start teaching' }).click();
      await teach.getByRole('button', { name: 'Stop teaching' }).click({ timeout: 30_000 });
      await teach
        .getByRole('status')
        .filter({ hasText: /^Teaching Kettle was cancelled\./ })
        .waitFor({ timeout: 30_000 });
      await teach.getByRole('spinbutton', { name: 'Epochs (passes over your data)' }).fill('');
      await teach.getByRole('button', { name: 'Start teaching' }).click();
      // Queued, then running (epoch x of y with a bar), then done: seen as the page polls.
      const status = teach.getByRole('status').filter({ hasText: /Kettle/ });
      await status.waitFor({ timeout: 30_000 });
      const seen = new Set<string>();
      const model = teach
        .getByRole('list', { name: 'This home’s own models' })
        .getByRole('listitem');
      await expect
        .poll(
          async () => {
            const s = (await status.textContent()) ?? '';
            seen.add(s.split(':')[0]!);
            if (/^Teaching:/.test(s) && (await teach.getByText(/^Epoch \d+ of \d+/).count()) > 0) {
              seen.add('epoch');
              if (!seen.has('shot')) {
                seen.add('shot');
                await screenshot('learn-finetune-running-desk-light', page);
              }
            }
            return model.count();
          },
          { timeout: 480_000, interval: 500 },
        )
        .toBeGreaterThan(0);
      expect([...seen].some((s) => /Waiting for a worker|Teaching/.test(s))).toBe(true);
      expect(await status.textContent()).toMatch(/^Taught: Kettle\./);
      const ref = (await model.first().getAttribute('aria-label'))!;
      expect(ref).toMatch(/\+demo-home@1$/);
      const card = teach.getByRole('region', { name: `Scorecard of ${ref}` });
      const row = card.getByRole('rowheader', { name: 'Kettle' });
      await row.waitFor();
      expect(await card.textContent()).toMatch(
        /F1 \(now\).*F1 \(taught\).*MAE \(now\).*MAE \(taught\)/,
      );
      await teach.getByRole('button', { name: `Activate ${ref}` }).click();
      await model.first().getByText('in use').waitFor({ timeout: 30_000 });
      // The plain view shows the home's own model by its own card, and says where it came from.
      await page
        .getByText(new RegExp(`^This home uses ${ref.replace(/[+.]/g, '\\$&')}, taught here from`))
        .waitFor({ timeout: 30_000 });
      const building = (await (await api('GET', `/buildings/${HOME}`)).json()) as {
        model_ref: string | null;
      };
      expect(building.model_ref).toBe(ref);
    } finally {
      await context.close();
    }
    await everyView('model', '/model', (p) =>
      p.getByText('in use', { exact: true }).first().waitFor({ timeout: 30_000 }),
    );
  }, 600_000);

  it('passes the accessibility audit in every view', () => {
    expect(accessibility).toEqual([]);
  });
});
