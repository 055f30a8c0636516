/**
 * End to end: a meter that goes silent. The real product (`nilm start`, embedded defaults, the
 * worker's reconcile pass every 2 s) and Debian's Chromium: an owner switches the "meter silent"
 * rule on with a webhook and an ntfy server (local stand-ins; the ntfy one answers 500), the
 * meter's last readings are 20 minutes old, and the worker raises one alert: the webhook gets it
 * signed with the building's secret, ntfy's delivery waits for its retry with the error shown.
 * The Alerts page lists it with each delivery's status, at desk and phone size, light and dark,
 * photographed into e2e/artifacts/ and audited with axe.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
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

const PORT = Number(process.env.NILM_E2E_ALERTS_PORT ?? 18_491);
const BUILDING = 'alerts-e2e';
const OWNER = { email: 'owner@alerts.e2e', password: 'owner-password-1' };

let product: Product;
let browser: Browser;
let ownerToken = '';
let hooks: Server;
let hooksUrl = '';
const hits: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
const accessibility: string[] = [];

async function api(
  path: string,
  init: { method?: string; body?: object; token?: string } = {},
): Promise<Record<string, unknown>> {
  const token = init.token ?? ownerToken;
  const res = await fetch(`${product.url}/api/v1${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

beforeAll(async () => {
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      // The webhook takes it; the ntfy stand-in is down.
      res.writeHead(req.url === '/hook' ? 200 : 500).end(req.url === '/hook' ? '' : 'down');
    });
  });
  await new Promise<void>((ok) => hooks.listen(0, '127.0.0.1', ok));
  hooksUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}`;
  product = await startProduct({
    port: PORT,
    env: { DEMO: 'false', WORKER_RECONCILE_MS: '2000', MQTT_EMBEDDED_PORT: '0' },
  });
  const admin = await api('/auth/login', {
    body: { email: product.email, password: product.password },
  });
  const adminToken = admin.access_token as string;
  const created = await api('/admin/users', { body: OWNER, token: adminToken });
  await api('/buildings', {
    token: adminToken,
    body: {
      id: BUILDING,
      name: 'Alerts flat',
      timezone: 'Europe/Amsterdam',
      owner_id: (created.user as { id: string }).id,
    },
  });
  ownerToken = (await api('/auth/login', { body: OWNER, token: '' })).access_token as string;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    await product?.stop();
    await new Promise<void>((ok) => hooks?.close(() => ok()));
  }
});

describe('a meter that goes silent', () => {
  it('raises one alert, posts it signed to the webhook and keeps the failed ntfy delivery for a retry', async () => {
    const saved = await api(`/buildings/${BUILDING}/alerts/settings`);
    const body = saved as { rules: Record<string, object>; channels: Record<string, object> };
    await api(`/buildings/${BUILDING}/alerts/settings`, {
      method: 'PUT',
      body: {
        rules: { ...body.rules, meter_silent: { enabled: true, minutes: 5 } },
        channels: {
          ...body.channels,
          webhook: { enabled: true, url: `${hooksUrl}/hook` },
          ntfy: { enabled: true, server: hooksUrl, topic: 'e2e_alerts', priority: 4 },
        },
      },
    });
    const secret = (
      (await api(`/buildings/${BUILDING}/alerts/settings`)) as {
        channels: { webhook: { secret: string } };
      }
    ).channels.webhook.secret;
    const last = Date.now() - 20 * 60_000;
    await api('/ingest', {
      body: {
        building_id: BUILDING,
        readings: [0, 1, 2].map((i) => ({ ts: last - (2 - i) * 60_000, power_w: 180 + i })),
      },
    });
    await expect
      .poll(() => hits.some((h) => h.path === '/hook') && hits.some((h) => h.path !== '/hook'), {
        timeout: 60_000,
      })
      .toBe(true);
    const hook = hits.find((h) => h.path === '/hook')!;
    expect(hook.headers['x-nilm-signature']).toBe(
      `sha256=${createHmac('sha256', secret).update(hook.body).digest('hex')}`,
    );
    expect(JSON.parse(hook.body)).toMatchObject({
      building_id: BUILDING,
      kind: 'meter_silent',
      title: 'Meter silent',
    });
    const ntfy = hits.find((h) => h.path === '/e2e_alerts')!;
    expect(ntfy.headers).toMatchObject({ title: 'Meter silent', priority: '4' });
    // Later passes find the same silence: still one alert.
    await new Promise((ok) => setTimeout(ok, 5000));
    const list = (await api(`/buildings/${BUILDING}/alerts`)) as { alerts: unknown[] };
    expect(list.alerts).toHaveLength(1);
    expect(hits.filter((h) => h.path === '/hook')).toHaveLength(1);
  }, 120_000);

  for (const { size, scheme, viewport } of VIEWS) {
    it(`shows the alert and each delivery's status (${size}, ${scheme})`, async () => {
      const { context, page } = await signedIn(browser, product.url, OWNER, BUILDING, {
        viewport,
        scheme,
      });
      try {
        await page.goto(`${product.url}/b/${BUILDING}/alerts`);
        await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
        const deliveries = page.getByRole('list', { name: 'Deliveries of Meter silent' });
        await deliveries.waitFor();
        await deliveries.getByText('sent').waitFor();
        await deliveries.getByText('pending').waitFor();
        await deliveries.getByText('ntfy answered HTTP 500: down').waitFor();
        expect(await page.getByRole('checkbox', { name: 'Meter silent' }).isChecked()).toBe(true);
        const name = `alerts-${size}-${scheme}`;
        await screenshot(name, page);
        accessibility.push(...(await audit(name, page)));
      } finally {
        await context.close();
      }
    }, 120_000);
  }

  it('has no serious accessibility findings on the Alerts page', () => {
    expect(accessibility).toEqual([]);
  });
});
