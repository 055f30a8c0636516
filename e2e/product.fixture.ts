/**
 * The real product for end-to-end tests: `nilm start` in a child process on embedded defaults
 * (DuckDB, PGlite, in-process queue, the demo home), on its own port and data folder, and
 * Debian's Chromium driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where screenshots go: kept after the run (git ignores it) so a person can look at them. */
export const ARTIFACTS = resolve(process.env.NILM_E2E_ARTIFACTS ?? join(ROOT, 'e2e', 'artifacts'));

/** DEVELOPERS.md's launch options for Debian's Chromium. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Product {
  url: string;
  email: string;
  password: string;
  /** Everything the server printed, for failure messages. */
  output: () => string;
  stop: () => Promise<void>;
}

/** Start `nilm start`; resolves once it prints its address. */
export async function startProduct(opts: {
  port: number;
  env?: Record<string, string>;
}): Promise<Product> {
  if (!existsSync(join(ROOT, 'apps', 'web', 'dist', 'index.html')))
    throw new Error('the web app is not built: run `npm run build` before the e2e tests');
  const dataDir = mkdtempSync(join(tmpdir(), 'nilm-e2e-'));
  const email = 'e2e-admin@nilm.local';
  const password = 'e2e-password-123';
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'apps', 'cli', 'bin', 'nilm.js'), 'start'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(opts.port),
        HOST: '127.0.0.1',
        NILM_DATA_DIR: dataDir,
        NILM_ADMIN_EMAIL: email,
        NILM_ADMIN_PASSWORD: password,
        LOG_LEVEL: 'warn',
        // NODE_ENV=production turns the demo off unless asked for; the product tests want it.
        DEMO: 'true',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`server did not start in 120 s:\n${out}`)),
      120_000,
    );
    const check = () => {
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    url,
    email,
    password,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000)),
      ]);
      if (code === 'timeout') child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(
      `Chromium not found at ${executablePath}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/**
 * Chromium with a real (not incognito) profile in `userDataDir`: what a check needs that a
 * browser context cannot give, such as Chromium's installability check, which refuses incognito.
 */
export async function launchChromiumProfile(
  userDataDir: string,
  options: { viewport: { width: number; height: number } },
): Promise<BrowserContext> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(`Chromium not found at ${executablePath}: see launchChromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    args: CHROMIUM_ARGS,
    viewport: options.viewport,
  });
}

/** The views a page is checked in: desk and phone size, each in light and dark. */
export const VIEWS = (['desk', 'phone'] as const).flatMap((size) =>
  (['light', 'dark'] as const).map((scheme) => ({
    size,
    scheme,
    viewport: size === 'desk' ? { width: 1280, height: 900 } : { width: 390, height: 844 },
  })),
);
export type View = (typeof VIEWS)[number];

/**
 * A fresh browser context in `view` (the server's Content-Security-Policy bypassed, since the
 * axe audit injects a script), signed in as `who` on the sign-in page as a person would, and
 * waiting on `building`'s dashboard. Close the context when done.
 */
export async function signedIn(
  browser: Browser,
  url: string,
  who: { email: string; password: string },
  building: string,
  view: Pick<View, 'viewport'> & { scheme?: 'light' | 'dark' },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: view.viewport,
    colorScheme: view.scheme ?? 'light',
    // English whatever the machine's language: the checks read English names, and the dashboard
    // starts in the browser's preferred language (e2e/languages.e2e.test.ts switches it).
    locale: 'en-US',
    bypassCSP: true,
  });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**/b/${building}`);
  return { context, page };
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * axe-core in the page (WCAG 2.1 A and AA): the serious and critical findings, one line each,
 * named after the view: what a screen-reader or keyboard user would trip over.
 */
export async function audit(name: string, p: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, not added as a <script>: the server's
  // Content-Security-Policy (rightly) refuses inline scripts, and the audit must see the page
  // under the policy it really has.
  await p.evaluate(readFileSync(AXE, 'utf8'));
  const violations = (await p.evaluate(`axe
    .run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes
          .slice(0, 3)
          .map((n) => JSON.stringify(n.target))
          .join(' ')}${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ''}`,
    );
}

/** A full-page picture in ARTIFACTS, for a person to look at. */
export async function screenshot(name: string, p: Page): Promise<void> {
  // Let charts finish their entry animation before the picture.
  await p.waitForTimeout(600);
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
