/**
 * End to end: the real server on embedded defaults with the demo home, driven through Debian's
 * Chromium. One signed-in person walks the product: sign in, watch live power change, open an
 * appliance, export the report and compare the file with the table on screen, switch theme,
 * and every page is photographed into e2e/artifacts/ for a person to look at.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  launchChromium,
  screenshot,
  startProduct,
  type Product,
} from './product.fixture.js';

const PORT = Number(process.env.NILM_E2E_PORT ?? 18_471);

let product: Product;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** A second tab left on the dashboard while the first walks the product. */
let liveTab: Page;
/** What the second tab's live power showed: when we looked, the text, and the reading's time. */
const liveSeen: Array<{ at: number; text: string; readingAt: string | null }> = [];

/** Serious and critical accessibility findings of every photographed page. */
const accessibility: string[] = [];

/** A full-page picture for a person to look at, and an accessibility audit of the same view. */
async function shot(name: string, p: Page = page): Promise<void> {
  // The view as it rests: a pointer left where a button was can hover a chart after navigation.
  await p.mouse.move(0, 0);
  await screenshot(name, p);
  accessibility.push(...(await audit(name, p)));
}

/** Runs a copied command as a person would paste it into a shell. */
/** The second tab's live power: its text and the time of the reading it shows. */
async function livePower(): Promise<{ at: number; text: string; readingAt: string | null }> {
  const el = liveTab.getByTestId('live-power');
  return {
    at: Date.now(),
    text: (await el.innerText()).trim(),
    readingAt: await el.getAttribute('data-at'),
  };
}

function runInShell(command: string): string {
  return execFileSync('bash', ['-c', command], { encoding: 'utf8', timeout: 20_000 });
}

let apiToken: string | undefined;

/** Mains power per minute of a building over the last hour, through the API. */
async function recentMains(buildingId: string): Promise<number[]> {
  if (!apiToken) {
    // Signed in once: the sign-in route is rate limited per address.
    const login = await fetch(`${product.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: product.email, password: product.password }),
    });
    if (!login.ok) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
    apiToken = ((await login.json()) as { access_token: string }).access_token;
  }
  const res = await fetch(
    `${product.url}/api/v1/buildings/${buildingId}/readings?start=-1h&resolution=1m`,
    { headers: { authorization: `Bearer ${apiToken}` } },
  );
  if (!res.ok) throw new Error(`readings failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { points: Array<{ power_w: number | null }> };
  return body.points.flatMap((p) => (p.power_w === null ? [] : [p.power_w]));
}

/** A tiny RFC 4180 reader: enough for the report (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') {
      endField();
      rows.push(row);
      row = [];
    } else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}

beforeAll(async () => {
  // Defaults as a newcomer gets them: 13 days of history, then a reading a minute.
  // No MQTT setting: a fresh `nilm start` runs its embedded broker (1883, or the next free port
  // when a Mosquitto has it, as in CI), so the device-token page offers a mosquitto_pub example.
  product = await startProduct({ port: PORT });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await product?.stop();
});

describe('the product in a browser', () => {
  it('sends a signed-out visitor to sign-in and refuses a wrong password with its message', async () => {
    await page.goto(product.url);
    await page.waitForURL('**/login');
    await expect.poll(() => page.getByRole('heading', { name: 'NILM Monitor' }).count()).toBe(1);
    await shot('01-login');
    await page.getByLabel('E-mail').fill(product.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('e-mail or password is wrong').waitFor();
    await shot('02-login-error');
  });

  it('signs in and shows the demo home dashboard', async () => {
    await page.getByLabel('Password').fill(product.password);
    await page.getByLabel('Remember me on this device').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/b/demo-home');
    await page.getByTestId('live-power').waitFor({ timeout: 30_000 });
    await shot('03-dashboard');
    // Remembered sign-in: a second tab opens signed in and watches live power.
    liveTab = await context.newPage();
    await liveTab.goto(`${product.url}/b/demo-home`);
    await liveTab.getByTestId('live-power').waitFor({ timeout: 30_000 });
    liveSeen.push(await livePower());
  });

  it('draws 30 days from about one point per pixel, not 43 200 minutes', async () => {
    const [response] = await Promise.all([
      // The 30-day chart's finished history (lib/readings.split.ts): absolute start and end,
      // starting about 30 days ago; the live tail is asked beside it.
      page.waitForResponse((r) => {
        const u = new URL(r.url());
        const start = Date.parse(u.searchParams.get('start') ?? '');
        return (
          u.pathname.endsWith('/readings') &&
          u.searchParams.has('end') &&
          start < Date.now() - 29 * 86_400_000
        );
      }),
      page.getByRole('tab', { name: '30d' }).click(),
    ]);
    const asked = new URL(response.url()).searchParams;
    expect(asked.get('resolution')).toBe('auto');
    const points = Number(asked.get('points'));
    expect(points).toBeGreaterThan(100);
    expect(points).toBeLessThanOrEqual(1300);
    // The app reads the columnar shape (one array per series; issue 16.1).
    expect(asked.get('shape')).toBe('columns');
    const body = (await response.json()) as { time_ms: number[]; resolution_s: number };
    expect(body.time_ms.length).toBeLessThanOrEqual(points);
    // The demo home holds 13 days: the chart shows all of them at a coarse resolution.
    expect(body.time_ms.length).toBeGreaterThan(100);
    expect(body.resolution_s).toBeGreaterThan(60);
    await page.getByRole('region', { name: 'Power by appliance' }).locator('svg').first().waitFor();
    await shot('03b-dashboard-30d');
    await page.getByRole('tab', { name: '24h' }).click();
  });

  it('opens an appliance page with its history', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Appliances' })
      .click();
    await page.waitForURL('**/b/demo-home/appliances');
    await page
      .getByRole('link', { name: /Kettle/ })
      .first()
      .waitFor();
    await shot('04-appliances');
    await page
      .getByRole('link', { name: /Kettle/ })
      .first()
      .click();
    await page.waitForURL('**/appliances/kettle');
    await page.getByRole('heading', { level: 1, name: 'Kettle' }).waitFor();
    await page.getByRole('img', { name: /On\/off timeline/ }).waitFor();
    await shot('05-appliance-kettle');
  });

  it('exports the report as CSV holding exactly the table on screen', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Reports' })
      .click();
    await page.waitForURL('**/b/demo-home/reports');
    // The energy report's table (Compare, below it, has its own).
    const table = page.getByRole('region', { name: 'Energy report table' }).getByRole('table');
    await table.waitFor({ timeout: 30_000 });
    await shot('06-reports');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^energy-demo-home-day-30d\.csv$/);
    const path = await download.path();
    const csv = parseCsv(readFileSync(path, 'utf8'));
    // The head has two rows: Period and the bill columns span both; each appliance's name spans
    // its kWh and cost columns, whose unit headings carry the full name as their title.
    const [period = '', ...extras] = await table
      .locator('thead tr')
      .first()
      .locator('th[scope=col]')
      .allTextContents();
    const units = await table
      .locator('thead tr')
      .nth(1)
      .locator('abbr')
      .evaluateAll((es) => es.map((e) => e.getAttribute('title') ?? ''));
    const header = [period, ...units, ...extras].map((s) => s.trim());
    const rows: string[][] = [];
    for (const r of await table.locator('tbody tr').all())
      rows.push((await r.locator('th, td').allTextContents()).map((s) => s.trim()));
    expect(csv[0]).toEqual(header);
    expect(csv.slice(1)).toEqual(rows);
    // Real content: a Kettle kWh column, a Total row, and the demo's days carry energy.
    expect(header).toContain('Kettle (kWh)');
    expect(rows.at(-1)?.[0]).toBe('Total');
    const totalKwh = Number(rows.at(-1)?.[header.indexOf('Total (kWh)')]);
    expect(totalKwh).toBeGreaterThan(1);
  });

  it('shows the model card and the settings', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Model' })
      .click();
    await page.waitForURL('**/model');
    await page.getByText('nilm-transformer').first().waitFor();
    await shot('07-model');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Settings' })
      .click();
    await page.waitForURL('**/settings');
    await shot('08-settings');
  });

  it("saves the building's tariff on the server, and reports price with it", async () => {
    await page.getByLabel('Price per kWh', { exact: true }).fill('0.32');
    await page.getByRole('button', { name: 'Save tariff' }).click();
    await page.getByText('Saved for everyone in this building.').waitFor();
    // Another device (a fresh browser context) sees the same tariff: it lives with the building.
    const other = await browser.newContext();
    const p = await other.newPage();
    await p.goto(product.url);
    await p.getByLabel('E-mail').fill(product.email);
    await p.getByLabel('Password').fill(product.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL('**/b/demo-home');
    await p.goto(`${product.url}/b/demo-home/reports`);
    await p.getByText(/flat tariff \(Settings: £0\.32 per kWh\)/).waitFor();
    await other.close();
  });

  it('creates a building and an account (admin)', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Buildings & users' })
      .click();
    await page.waitForURL('**/admin');
    const account = page.getByRole('form', { name: 'Create an account' });
    await account.getByLabel('E-mail').fill('viewer@e2e.local');
    await account.getByLabel('Password (optional)').fill('viewer-password-1');
    await account.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('row', { name: /viewer@e2e\.local/ }).waitFor();
    const building = page.getByRole('form', { name: 'Create a building' });
    await building.getByLabel('Name').fill('E2E flat');
    await building.getByLabel('Id').fill('e2e-flat');
    await building.getByLabel('Time zone').fill('Europe/Berlin');
    await building.getByRole('button', { name: 'Create building' }).click();
    await page.getByRole('link', { name: 'Manage E2E flat' }).waitFor();
    await shot('12-admin');
  });

  it('adds a viewer and creates a device token whose copied commands really send readings', async () => {
    await page.getByRole('link', { name: 'Manage E2E flat' }).click();
    await page.getByRole('heading', { level: 1, name: 'Building: E2E flat' }).waitFor();
    const add = page.getByRole('form', { name: 'Add a member' });
    await add.getByLabel('E-mail (or account id) of the person to add').fill('viewer@e2e.local');
    await add.getByLabel('Role').selectOption('viewer');
    await add.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('viewer@e2e.local').first().waitFor();

    const create = page.getByRole('form', { name: 'Create a device token' });
    await create.getByLabel('Token name').fill('e2e meter');
    await create.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('curl command', { exact: true }).waitFor();
    const token = (await dialog.getByLabel('Token', { exact: true }).innerText()).trim();
    expect(token).toMatch(/^nilm_dev_/);
    const curl = await dialog.getByLabel('curl command', { exact: true }).innerText();
    const mqtt = await dialog.getByLabel('mosquitto_pub command', { exact: true }).innerText();
    expect(curl).toContain(token);
    expect(curl).toContain('e2e-flat');
    // The port the start printed, which is the one the broker took.
    const printed = /MQTT: +mqtt:\/\/[^:]+:(\d+)/.exec(product.output());
    expect(printed).not.toBeNull();
    expect(mqtt).toContain(`-p ${printed![1]}`);
    await shot('13-device-token');

    // Pasted into a shell as shown: HTTP first, then MQTT with another wattage.
    expect(runInShell(curl)).toContain('"accepted":1');
    await expect.poll(() => recentMains('e2e-flat'), { timeout: 15_000 }).toEqual([431.5]);
    // A reading per building and second: the same second again would replace the first.
    await page.waitForTimeout(1100);
    runInShell(mqtt.replace('431.5', '222'));
    // Both readings land in the last hour: in one minute they average (326.75, sent as 326.8),
    // else two minutes.
    let mains: number[] = [];
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      mains = (await recentMains('e2e-flat')).sort((a, b) => a - b);
      if (mains.length === 2 || mains[0] !== 431.5) break;
      await page.waitForTimeout(500);
    }
    expect(mains.join(), `after running: ${mqtt}`).toMatch(/^(326\.8|222,431\.5)$/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    // Opened again, the token list says when the meter last used its token.
    await page.reload();
    const row = page.getByRole('row', { name: /e2e meter/ });
    await row.waitFor();
    expect(await row.innerText()).not.toContain('never');
    await shot('14-building');
  });

  it('shows a viewer their building read-only, without the admin pages', async () => {
    const viewer = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await viewer.newPage();
    await p.goto(product.url);
    await p.getByLabel('E-mail').fill('viewer@e2e.local');
    await p.getByLabel('Password').fill('viewer-password-1');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL('**/b/e2e-flat');
    const nav = p.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Building' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Buildings & users' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Building' }).click();
    await p.getByRole('note').getByText('only its owners and administrators').waitFor();
    expect(await p.getByRole('form', { name: 'Create a device token' }).count()).toBe(0);
    await shot('15-building-viewer', p);
    await viewer.close();
  });

  it('switches theme, and the choice survives a reload', async () => {
    await page.goto(`${product.url}/b/demo-home`);
    const themeButton = page.getByRole('button', { name: /^Theme:/ });
    const isDark = () => page.evaluate('document.documentElement.classList.contains("dark")');
    // system -> dark -> light -> system.
    while (!((await themeButton.getAttribute('aria-label')) ?? '').startsWith('Theme: dark'))
      await themeButton.click();
    await expect.poll(isDark).toBe(true);
    await page.goto(`${product.url}/b/demo-home`);
    await page.getByTestId('live-power').waitFor({ timeout: 30_000 });
    await expect.poll(isDark).toBe(true);
    await shot('09-dashboard-dark');
    await themeButton.click();
    expect(await themeButton.getAttribute('aria-label')).toMatch(/^Theme: light/);
    await expect.poll(isDark).toBe(false);
  });

  it('shows each new reading as it streams in (a reading a minute)', async () => {
    const first = liveSeen[0]!;
    expect(first.text).toMatch(/^[\d.,]+ k?W$/);
    expect(first.readingAt).not.toBeNull();
    // The demo sends a real recorded minute each minute: allow two and a half of them. A quiet
    // house can read the same watts two minutes running, so a new reading is told by its time.
    const deadline = first.at + 150_000;
    for (;;) {
      const seen = await livePower();
      if (seen.readingAt !== liveSeen.at(-1)!.readingAt) liveSeen.push(seen);
      if (liveSeen.length >= 2 || Date.now() > deadline) break;
      await liveTab.waitForTimeout(1000);
    }
    expect(
      liveSeen.map((s) => `${s.text} at ${s.readingAt}`),
      'no new reading reached the open dashboard',
    ).toHaveLength(2);
    expect(liveSeen[1]!.text).toMatch(/^[\d.,]+ k?W$/);
    expect(Date.parse(liveSeen[1]!.readingAt!)).toBeGreaterThan(Date.parse(first.readingAt!));
    await liveTab.close();
  }, 180_000);

  it('says once that a building does not exist, never a blank page', async () => {
    await page.goto(`${product.url}/b/no-such-building`);
    await page.getByRole('alert').getByText('There is no building "no-such-building"').waitFor();
    expect(await page.getByRole('alert').count()).toBe(1);
    await shot('10-unknown-building');
  });

  it('fits a phone screen in dark mode, every page', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      colorScheme: 'dark',
    });
    const p = await phone.newPage();
    await p.goto(product.url);
    await p.getByLabel('E-mail').fill(product.email);
    await p.getByLabel('Password').fill(product.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByTestId('live-power').waitFor({ timeout: 30_000 });
    const pages: Array<[string, string]> = [
      ['dashboard', '/b/demo-home'],
      ['appliances', '/b/demo-home/appliances'],
      ['appliance-kettle', '/b/demo-home/appliances/kettle'],
      ['reports', '/b/demo-home/reports'],
      ['building', '/b/demo-home/settings'],
      ['model', '/model'],
      ['settings', '/settings'],
      ['admin', '/admin'],
    ];
    for (const [name, path] of pages) {
      if (name !== 'dashboard') await p.goto(`${product.url}${path}`);
      await expect
        .poll(() => p.getByText(/^Loading/).count(), { timeout: 30_000, message: name })
        .toBe(0);
      expect(await p.evaluate('document.documentElement.classList.contains("dark")')).toBe(true);
      await shot(`11-phone-${name}`, p);
      // Nothing wider than the screen: no sideways scrolling on a phone (wide tables scroll
      // inside their own region).
      const overflow = await p.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      const wide = await p.evaluate(`[...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .filter((e) => !e.closest('[role=region][tabindex]'))
        .slice(0, 5).map((e) => e.tagName + '.' + e.className).join('\\n')`);
      expect(overflow, `${name} is wider than the screen:\n${String(wide)}`).toBeLessThanOrEqual(0);
    }
    await phone.close();
  }, 180_000);

  it('has no serious accessibility problems on any page it photographed (axe-core, WCAG 2.1 AA)', () => {
    expect(accessibility).toEqual([]);
  });

  it('signs out, and an expired session goes back to sign-in', async () => {
    await page.goto(`${product.url}/b/demo-home`);
    await page.getByRole('button', { name: 'Account' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    // A session whose token the server no longer accepts (expired) ends at the first 401.
    await page.getByLabel('E-mail').fill(product.email);
    await page.getByLabel('Password').fill(product.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/b/demo-home');
    await page.evaluate(`(() => {
      const s = JSON.parse(sessionStorage.getItem('nilm.session'));
      s.token = s.token.slice(0, -4) + 'AAAA';
      sessionStorage.setItem('nilm.session', JSON.stringify(s));
    })()`);
    await page.reload();
    await page.waitForURL('**/login', { timeout: 30_000 });
  });
});
