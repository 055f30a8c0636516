/**
 * End to end: plugging in the meter you own. The real product (`nilm start`, its embedded MQTT
 * broker on by default) and Debian's Chromium: an owner adds a Shelly Pro 3EM (`shelly-gen2`) on
 * the Building page, first with a bad topic (the server's 422 appears beside the Topic field),
 * creates a device token, and a simulated Pro 3EM (an MQTT client signed in as the building with
 * that token) publishes its status JSON with signed per-phase power. The Meters table shows its
 * last value and when it was seen, the dashboard's live power shows the reading, and a payload
 * that exports (negative total) with no production source shows the status error saying the
 * production is unknown. Then the home's recent history is imported (real REFIT minutes,
 * restamped to end now) so the model has a window, the owner adds the solar inverter (an
 * ESPHome sensor) as a production meter in the UI, and while the Pro 3EM exports the dashboard
 * shows live consumption (net + production), import, export and solar beside the per-appliance
 * estimates, and the Meters row shows each phase. Every view is photographed into
 * e2e/artifacts/ and audited with axe.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  launchChromium,
  screenshot,
  startProduct,
  type Product,
} from './product.fixture.js';

const PORT = Number(process.env.NILM_E2E_METERS_PORT ?? 18_473);
const BUILDING = 'meters-e2e';
const OWNER = { email: 'owner@meters.e2e', password: 'owner-password-1' };
const TOPIC = 'shellypro3em-e2e/status/em:0';
const METER = 'Pro 3EM in the hall';
const INVERTER = 'Inverter on the roof';
const INVERTER_TOPIC = 'inverter-e2e/sensor/power/state';

/**
 * A Pro 3EM's `status/em:0` as the device publishes it (fields as in the recorded fixture in
 * packages/sources/fixtures), with the given per-phase active power; the total is their sum.
 */
function em0(a: number, b: number, c: number): string {
  const phase = (p: string, w: number) => ({
    [`${p}_current`]: Math.abs(w) / 230,
    [`${p}_voltage`]: 230.1,
    [`${p}_act_power`]: w,
    [`${p}_aprt_power`]: Math.abs(w) * 1.1,
    [`${p}_pf`]: 0.91,
    [`${p}_freq`]: 50,
  });
  return JSON.stringify({
    id: 0,
    ...phase('a', a),
    ...phase('b', b),
    ...phase('c', c),
    n_current: null,
    total_current: (Math.abs(a) + Math.abs(b) + Math.abs(c)) / 230,
    total_act_power: Math.round((a + b + c) * 1000) / 1000,
    total_aprt_power: (Math.abs(a) + Math.abs(b) + Math.abs(c)) * 1.1,
    user_calibrated_phase: [],
  });
}

let product: Product;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let device: MqttClient | undefined;
let adminToken = '';
const accessibility: string[] = [];

async function shot(name: string, p: Page = page): Promise<void> {
  await screenshot(name, p);
  accessibility.push(...(await audit(name, p)));
}

async function api(path: string, init: { method?: string; body?: object } = {}) {
  const res = await fetch(`${product.url}/api/v1${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Publishes `payload` on the Shelly's topic once a second, as the device does, until `done`
 * holds (or the time is up); returns whether it held.
 */
async function publishUntil(
  payload: string,
  done: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    await device!.publishAsync(TOPIC, payload, { qos: 1 });
    if (await done()) return true;
    await page.waitForTimeout(1000);
  }
  return done();
}

const meterRow = (): Locator => page.getByRole('row', { name: new RegExp(METER) });
const rowText = async () => ((await meterRow().count()) ? await meterRow().innerText() : '');

beforeAll(async () => {
  // No demo home: this building is the only one its owner sees, and the two cores stay free.
  product = await startProduct({ port: PORT, env: { DEMO: 'false' } });
  const login = await api('/auth/login', {
    body: { email: product.email, password: product.password },
  });
  adminToken = login.access_token as string;
  const created = await api('/admin/users', { body: OWNER });
  const owner = created.user as { id: string };
  await api('/buildings', {
    body: { id: BUILDING, name: 'Meters flat', timezone: 'Europe/Berlin', owner_id: owner.id },
  });
  browser = await launchChromium();
  // The server's Content-Security-Policy refuses inline scripts; the axe audit injects one.
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  // The server stops whatever else hangs: a port left taken would fail the next run.
  try {
    device?.end(true);
    await context?.close();
    await browser?.close();
  } finally {
    await product?.stop();
  }
});

describe('plugging in the meter you own', () => {
  it('signs the owner in and opens the Building page with its Meters section', async () => {
    await page.goto(product.url);
    await page.getByLabel('E-mail').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/b/${BUILDING}`);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Building' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Building: Meters flat' }).waitFor();
    await page.getByText('you are an owner').waitFor();
    await page.getByRole('region', { name: 'Meters' }).getByText('No meters yet').waitFor();
  });

  it("shows the server's 422 beside the Topic, then adds the Shelly and says what to set on the device", async () => {
    const form = page.getByRole('form', { name: 'Add a meter' });
    await form.getByLabel('Meter type').selectOption('shelly-gen2');
    await form.getByLabel('Meter name').fill(METER);
    const topic = form.getByLabel('Topic');
    await topic.fill('shellypro3em-e2e/#/em:0');
    await form.getByRole('button', { name: 'Add meter' }).click();
    await expect.poll(() => topic.getAttribute('aria-invalid')).toBe('true');
    const refusal = await form.getByRole('alert').innerText();
    expect(refusal).toMatch(/^topic: is not a valid MQTT topic filter/);
    await shot('m01-meter-422');

    await topic.fill(TOPIC);
    const info = (await api('/ingest/info')) as { mqtt: { port: number; host: string } };
    const line = await form.getByTestId('meter-connection').innerText();
    expect(line).toContain(`port ${info.mqtt.port}`);
    expect(line).toContain(`user name ${BUILDING}`);
    expect(line).toContain(`it publishes on ${TOPIC}`);
    // The port the start printed is the one the page names.
    expect(product.output()).toContain(`:${info.mqtt.port}`);
    await form.getByRole('button', { name: 'Add meter' }).click();
    await form.getByText(`Added “${METER}”.`).waitFor();
    await meterRow().waitFor();
    expect(await rowText()).toMatch(/shelly-gen2[\s\S]*Mains[\s\S]*never[\s\S]*None/);
    await shot('m02-meter-added');
  });

  it('takes a simulated Pro 3EM signed in with a device token and shows its last value and last seen', async () => {
    const create = page.getByRole('form', { name: 'Create a device token' });
    await create.getByLabel('Token name').fill('Pro 3EM');
    await create.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog');
    const token = (await dialog.getByLabel('Token', { exact: true }).innerText()).trim();
    expect(token).toMatch(/^nilm_dev_/);
    await dialog.getByRole('button', { name: 'Done' }).click();

    const info = (await api('/ingest/info')) as { mqtt: { url: string } };
    device = await mqtt.connectAsync(info.mqtt.url, {
      username: BUILDING,
      password: token,
      clientId: 'shellypro3em-e2e',
      reconnectPeriod: 1000,
    });
    // L1 exports what the panels make, L2 and L3 import: the house takes 392.5 W net.
    const seen = await publishUntil(em0(-60.2, 72.8, 379.9), async () =>
      /393 W import[\s\S]*(just now|\d+ s ago)/.test(await rowText()),
    );
    expect(seen, `the Meters row never showed the reading: ${await rowText()}`).toBe(true);
    await shot('m03-meter-reading');
  });

  it('shows the reading as live power on the dashboard', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Dashboard' })
      .click();
    await page.waitForURL(`**/b/${BUILDING}`);
    const live = page.getByTestId('live-power');
    const shown = await publishUntil(em0(-60.2, 72.8, 379.9), async () =>
      (await live.count()) > 0 ? (await live.innerText()).trim() === '393 W' : false,
    );
    expect(shown, 'the dashboard never showed 393 W live').toBe(true);
    await shot('m04-dashboard-live');
  });

  it('says the production is unknown when the home exports with no production source', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Building' })
      .click();
    await meterRow().waitFor();
    // Midday sun: every phase but L3 exports, 812 W in all.
    const refused = await publishUntil(
      em0(-700, -150, 38),
      async () => {
        const text = await rowText();
        return (
          text.includes('812 W export') &&
          text.includes('SOURCE_CONSUMPTION_UNKNOWN') &&
          text.includes('the home exports and its production is unknown')
        );
      },
      40_000,
    );
    expect(refused, `the Meters row: ${await rowText()}`).toBe(true);
    await shot('m05-meter-export-unknown');
  });

  it("imports the home's recent history so the model has a window of readings", async () => {
    // Six hours of REFIT House 20's real minutes, restamped to end ten minutes ago.
    const rows = gunzipSync(
      readFileSync(resolve(import.meta.dirname, '../data/REFIT_House20_2014-09-03_14d.csv.gz')),
    )
      .toString('utf8')
      .split('\n')
      .slice(1 + 10 * 60, 1 + 10 * 60 + 360)
      .map((l) => l.split(',')[1]!);
    const end = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const csv = ['time,power', ...rows.map((w, i) => `${(end - (359 - i) * 60_000) / 1000},${w}`)];
    const res = await fetch(
      `${product.url}/api/v1/buildings/${BUILDING}/import?format=time-power`,
      {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${adminToken}` },
        body: csv.join('\n') + '\n',
      },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { imported: number }).imported).toBe(360);
  });

  it('adds the solar inverter as a production meter, and the dashboard shows import, export and solar beside the appliance estimates', async () => {
    const form = page.getByRole('form', { name: 'Add a meter' });
    await form.getByLabel('Meter type').selectOption('esphome');
    await form.getByLabel('Meter name').fill(INVERTER);
    await form.getByLabel('What it measures').selectOption('production');
    // ESPHome has no fields of its own in the form: its settings are written as JSON.
    await form.getByLabel('Settings (JSON)').fill(JSON.stringify({ topic: INVERTER_TOPIC }));
    await form.getByRole('button', { name: 'Add meter' }).click();
    await form.getByText(`Added “${INVERTER}”.`).waitFor();
    const inverterRow = page.getByRole('row', { name: new RegExp(INVERTER) });
    await inverterRow.waitFor();
    expect(await inverterRow.innerText()).toMatch(/esphome[\s\S]*Production/);

    // The inverter makes 1,500 W while the Pro 3EM exports 812 W: the home uses 688 W.
    const sunny = async (): Promise<void> => {
      await device!.publishAsync(INVERTER_TOPIC, '1500', { qos: 1 });
      await device!.publishAsync(TOPIC, em0(-700, -150, 38), { qos: 1 });
    };
    const phases = async (): Promise<boolean> => {
      await sunny();
      return /812 W export[\s\S]*L1 -700 W, L2 -150 W, L3 38 W/.test(await rowText());
    };
    for (let i = 0; i < 30 && !(await phases()); i++) await page.waitForTimeout(1000);
    expect(await rowText()).toMatch(/812 W export[\s\S]*L1 -700 W, L2 -150 W, L3 38 W/);
    await shot('m06-meters-solar-phases');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Dashboard' })
      .click();
    await page.waitForURL(`**/b/${BUILDING}`);
    const live = page.getByTestId('live-power');
    const grid = page.getByRole('region', { name: 'Grid and solar (today)' });
    const whatsOn = page.getByRole('region', { name: "What's on now" });
    const ready = async (): Promise<boolean> =>
      (await live.count()) > 0 &&
      (await live.innerText()).trim() === '688 W' &&
      (await grid.count()) > 0 &&
      /From the grid[\s\S]*To the grid \(export\)[\s\S]*Made on site \(solar\)/.test(
        await grid.innerText(),
      ) &&
      (await whatsOn.getByRole('link').count()) > 0;
    let shown = false;
    for (let i = 0; i < 90 && !shown; i++) {
      await sunny();
      shown = await ready();
      if (!shown) await page.waitForTimeout(1000);
    }
    expect(
      shown,
      `dashboard: live ${(await live.count()) ? await live.innerText() : '-'}; grid ${(await grid.count()) ? await grid.innerText() : '-'}; what's on ${await whatsOn.innerText()}`,
    ).toBe(true);
    // Each figure is a number of kWh; the appliances are the model's estimates for this home.
    for (const label of ['From the grid', 'To the grid (export)', 'Made on site (solar)'])
      expect(
        await grid.getByText(label).locator('xpath=following-sibling::dd').innerText(),
      ).toMatch(/^\d+(\.\d+)? kWh$/);
    await shot('m07-dashboard-solar-estimates');
  });

  it('fits a phone screen with the meter listed', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      colorScheme: 'dark',
      bypassCSP: true,
    });
    const p = await phone.newPage();
    await p.goto(product.url);
    await p.getByLabel('E-mail').fill(OWNER.email);
    await p.getByLabel('Password').fill(OWNER.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(`**/b/${BUILDING}`);
    await p.goto(`${product.url}/b/${BUILDING}/settings`);
    await p.getByRole('row', { name: new RegExp(METER) }).waitFor();
    await shot('m08-phone-building', p);
    const overflow = await p.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.close();
  });

  it('deletes the meters after confirming', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Building' })
      .click();
    for (const name of [INVERTER, METER]) {
      await page.getByRole('button', { name: `Delete meter ${name}` }).click();
      const confirm = page.getByRole('dialog', { name: `Delete “${name}”?` });
      await confirm.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('row', { name: new RegExp(name) }).waitFor({ state: 'detached' });
    }
    await page.getByRole('region', { name: 'Meters' }).getByText('No meters yet').waitFor();
    const list = (await api(`/buildings/${BUILDING}/sources`)) as { sources: unknown[] };
    expect(list.sources).toEqual([]);
  });

  it('has no serious accessibility problems in any view it photographed (axe-core, WCAG 2.1 AA)', () => {
    expect(accessibility).toEqual([]);
  });
});
