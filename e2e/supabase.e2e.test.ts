/**
 * End to end with Supabase sign-in: the real product configured for Supabase Auth
 * (SUPABASE_URL, SUPABASE_ANON_KEY, the project's HS256 secret), pointed at a GoTrue-compatible
 * stand-in (apps/server/src/supabase.standin.fixture.ts): no real Supabase can run here, so this
 * proves our side of the exchange, not Supabase's. In Chromium: the sign-in page offers
 * Supabase, shows GoTrue's own error for a wrong password, signs in, and signs out at GoTrue.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startGoTrueStandin,
  type GoTrueStandin,
} from '../apps/server/src/supabase.standin.fixture.js';
import {
  audit,
  launchChromium,
  screenshot,
  startProduct,
  type Product,
} from './product.fixture.js';

const PORT = Number(process.env.NILM_E2E_PORT ?? 18_471) + 10;
const SECRET = 'e2e-supabase-jwt-secret-at-least-32-characters';
const USER = {
  id: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f',
  email: 'ada@example.com',
  password: 'correct-horse-battery',
  app_metadata: { role: 'admin' },
};

let gotrue: GoTrueStandin;
let product: Product;
let browser: Browser;
let page: Page;
const accessibility: string[] = [];

beforeAll(async () => {
  gotrue = await startGoTrueStandin({ users: [USER], jwtSecret: SECRET });
  product = await startProduct({
    port: PORT,
    env: {
      SUPABASE_URL: gotrue.url,
      SUPABASE_ANON_KEY: gotrue.anonKey,
      AUTH_HS256_SECRET: SECRET,
    },
  });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await product?.stop();
  await gotrue?.close();
});

describe('signing in with Supabase', () => {
  it("shows GoTrue's own message for a wrong password", async () => {
    await page.goto(product.url);
    await page.waitForURL('**/login');
    await page.getByLabel('E-mail').fill(USER.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: /Sign in/ }).click();
    await page.getByText('Invalid login credentials').waitFor();
    await screenshot('20-supabase-login-error', page);
    accessibility.push(...(await audit('20-supabase-login-error', page)));
  });

  it('signs in through Supabase and is known to the server by its token', async () => {
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: /Sign in/ }).click();
    // No demo home under external auth: an admin with no buildings yet.
    await page.getByRole('link', { name: 'Create one in Buildings & users' }).waitFor();
    await page.getByRole('button', { name: 'Account' }).click();
    await page.getByRole('menu').getByText(USER.email).waitFor();
    await screenshot('21-supabase-signed-in', page);
    await page.keyboard.press('Escape');
    // Audited with the menu closed: an open modal menu hides the page behind it on purpose.
    accessibility.push(...(await audit('21-supabase-signed-in', page)));
    const paths = gotrue.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('POST /auth/v1/token?grant_type=password');
    expect(gotrue.requests.every((r) => r.apikey === gotrue.anonKey)).toBe(true);
  });

  it('signs out at GoTrue too', async () => {
    await page.getByRole('button', { name: 'Account' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await expect
      .poll(() => gotrue.requests.some((r) => r.method === 'POST' && r.path === '/auth/v1/logout'))
      .toBe(true);
  });

  it('has no serious accessibility problems (axe-core, WCAG 2.1 AA)', () => {
    expect(accessibility).toEqual([]);
  });
});
