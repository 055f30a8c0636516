/**
 * Proves alerts end to end on the embedded stores: the rules find a finished washing machine, an
 * oven left on, a silent meter (on an injected clock), a risen always-on load and an unusual
 * day, each raised once however often evaluated; the outbox delivers to real local HTTP
 * stand-ins (a signed webhook, ntfy, a Web Push service that checks the VAPID JWT and decrypts
 * the payload) and to the real embedded MQTT broker (a device of the building subscribes), retries
 * with backoff, gives up, and is retried by hand through the API; and the
 * API reads and refuses settings as it says.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_SETTINGS, type AlertSettingsBody } from '@nilm/contracts';
import type { EstimatePoint } from '@nilm/stores';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { generateDeviceToken } from '../auth/device.token.js';
import { startEmbeddedBroker } from '../mqtt/embedded.broker.js';
import { pushSender, sendNtfy, sendWebhook, webhookSignature } from './alert.channels.js';
import { AlertMqtt, alertTopic, haAlertConfig } from './alert.mqtt.js';
import { AlertService } from './alert.service.js';
import { startPushStandIn, type PushStandIn } from './push.standin.fixture.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 2 November 2026, 08:00 UTC. */
const T0 = Date.UTC(2026, 10, 2, 8);

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver that records requests and answers with the statuses queued (then 200). */
async function receiver(): Promise<{
  url: string;
  hits: Hit[];
  statuses: number[];
  close: () => Promise<void>;
}> {
  const hits: Hit[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(statuses.shift() ?? 200).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits,
    statuses,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Per-minute estimates of `appliance` over [from, to), on (0.9) inside [onFrom, onTo). */
function minutes(
  appliance: string,
  from: number,
  to: number,
  onFrom: number,
  onTo: number,
): EstimatePoint[] {
  const out: EstimatePoint[] = [];
  for (let ts = from; ts < to; ts += MIN) {
    const on = ts >= onFrom && ts < onTo;
    out.push({ ts, appliance, powerW: on ? 500 : 0, onProb: on ? 0.9 : 0.02 });
  }
  return out;
}

const settings = (patch: (s: AlertSettingsBody) => void): AlertSettingsBody => {
  const s = structuredClone(DEFAULT_ALERT_SETTINGS) as AlertSettingsBody;
  patch(s);
  return s;
};

describe('alerts', () => {
  let t: TestApp;
  let clock = T0;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let push: PushStandIn;
  const log = { warn: () => undefined };
  const service = (opts: { maxAttempts?: number } = {}) =>
    new AlertService({
      ...t.parts,
      now: () => clock,
      log,
      senders: {
        webhook: sendWebhook,
        ntfy: sendNtfy,
        push: pushSender({ metadata: t.parts.metadata, subject: 'mailto:admin@test' }),
      },
      outbox: { backoffMs: 30_000, maxAttempts: opts.maxAttempts ?? 8 },
    });

  beforeAll(async () => {
    t = await openTestApp({}, { now: () => clock });
    hooks = await receiver();
    push = await startPushStandIn();
  }, 120_000);

  afterAll(async () => {
    await hooks?.close();
    await push?.close();
    await t?.close();
  }, 120_000);

  const building = async (id: string) => {
    await t.parts.metadata.createBuilding({
      id,
      name: id,
      timezone: 'UTC',
      isDemo: false,
      modelRef: null,
    });
    await t.parts.metadata.setMember({ buildingId: id, userId: 'admin', role: 'owner' });
  };

  it('a finished washing machine and an oven left on are raised once, by any number of evaluators', async () => {
    await building('runs');
    await t.parts.metadata.setAlertSettings(
      'runs',
      settings((s) => {
        s.rules.appliance_finished.enabled = true;
        s.rules.left_on.enabled = true;
      }),
    );
    const end = T0 + 210 * MIN;
    await t.parts.timeseries.writeEstimates('runs', 'tiny@1', [
      ...minutes('washing_machine', T0, end, T0 + 10 * MIN, T0 + 62 * MIN),
      ...minutes('oven', T0, end, T0 + 20 * MIN, end),
    ]);
    const [a, b] = [service(), service()];
    const raised = (await Promise.all([a.evaluator.evaluate('runs'), b.evaluator.evaluate('runs')]))
      .flat()
      .map((x) => x.dedupeKey)
      .sort();
    expect(raised).toEqual([
      `appliance_finished:washing_machine:${T0 + 10 * MIN}`,
      `left_on:oven:${T0 + 20 * MIN}`,
    ]);
    expect(await a.evaluator.evaluate('runs')).toEqual([]);
    const stored = await t.parts.metadata.listAlerts('runs', 10);
    expect(stored.map((x) => x.title).sort()).toEqual([
      'Oven still on',
      'Washing machine finished',
    ]);
    expect(stored.find((x) => x.kind === 'appliance_finished')!.message).toBe(
      'Washing machine finished after 52 min.',
    );
    // No channel was switched on: nothing to deliver.
    expect(stored.every((x) => x.deliveries.length === 0)).toBe(true);
  });

  it('a run still going, or shorter than the minimum, is not called finished', async () => {
    await building('short');
    await t.parts.metadata.setAlertSettings(
      'short',
      settings((s) => (s.rules.appliance_finished.enabled = true)),
    );
    const end = T0 + 120 * MIN;
    await t.parts.timeseries.writeEstimates('short', 'tiny@1', [
      ...minutes('dishwasher', T0, end, T0 + 10 * MIN, T0 + 15 * MIN),
      ...minutes('washing_machine', T0, end, T0 + 100 * MIN, end),
    ]);
    expect(await service().evaluator.evaluate('short')).toEqual([]);
  });

  it('a silent meter is found on the timer, on the injected clock, once per silence', async () => {
    await building('silent');
    await t.parts.metadata.setAlertSettings(
      'silent',
      settings((s) => (s.rules.meter_silent.enabled = true)),
    );
    const last = T0 + 5 * MIN;
    await t.parts.timeseries.writeReadings('silent', [
      { ts: T0, powerW: 300 },
      { ts: last, powerW: 310 },
    ]);
    const s = service();
    clock = last + 29 * MIN;
    expect((await s.tick()).filter((a) => a.buildingId === 'silent')).toEqual([]);
    clock = last + 30 * MIN;
    const raised = (await s.tick()).filter((a) => a.buildingId === 'silent');
    expect(raised.map((a) => a.dedupeKey)).toEqual([`meter_silent:${last}`]);
    clock = last + 3 * HOUR;
    expect((await s.tick()).filter((a) => a.buildingId === 'silent')).toEqual([]);
    // The meter spoke again, then fell silent again: a new silence, a new alert.
    await t.parts.timeseries.writeReadings('silent', [{ ts: clock, powerW: 305 }]);
    clock += 31 * MIN;
    expect((await s.tick()).map((a) => a.dedupeKey)).toContain(`meter_silent:${clock - 31 * MIN}`);
  });

  it('a risen always-on load and an unusual day are found against earlier days', async () => {
    await building('days');
    await t.parts.metadata.setAlertSettings(
      'days',
      settings((s) => {
        s.rules.baseload_rise.enabled = true;
        s.rules.unusual_day.enabled = true;
      }),
    );
    const today = Date.UTC(2026, 10, 30); // a Monday
    const readings = [];
    for (let ts = today - 29 * DAY; ts < today + 13 * HOUR; ts += 15 * MIN) {
      const hour = (ts % DAY) / HOUR;
      const base = ts >= today - 3 * DAY ? 200 : 100;
      // Evenings use more; today uses much more.
      const use = ts >= today ? 1500 : hour >= 18 && hour < 22 ? 800 : 0;
      readings.push({ ts, powerW: base + use });
    }
    await t.parts.timeseries.writeReadings('days', readings);
    clock = today + 13 * HOUR;
    const raised = await service().evaluator.evaluate('days');
    expect(raised.map((a) => [a.kind, a.dedupeKey]).sort()).toEqual([
      ['baseload_rise', 'baseload_rise:2026-11-30'],
      ['unusual_day', 'unusual_day:2026-11-30'],
    ]);
    const base = raised.find((a) => a.kind === 'baseload_rise')!;
    expect(base.data).toEqual({ recent_w: 200, baseline_w: 100 });
    const day = raised.find((a) => a.kind === 'unusual_day')!;
    expect(day.title).toBe('Unusually high use today');
    // 13 h at 1700 W against 13 h at 100 W on the earlier Mondays.
    expect(day.data.kwh).toBeCloseTo(22.1, 5);
    expect(day.data.median_kwh).toBeCloseTo(1.3, 5);
    clock += HOUR;
    expect(await service().evaluator.evaluate('days')).toEqual([]);
  });

  it('delivers a signed webhook, an ntfy message and an encrypted Web Push', async () => {
    await building('deliver');
    await t.parts.metadata.savePushSubscription({
      userId: 'admin',
      endpoint: push.subscription.endpoint,
      ...push.subscription.keys,
    });
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/buildings/deliver/alerts/settings',
      headers: await t.auth('admin'),
      payload: settings((s) => {
        s.rules.meter_silent.enabled = true;
        s.channels.webhook = { enabled: true, url: `${hooks.url}/hook` };
        s.channels.ntfy = {
          enabled: true,
          server: hooks.url,
          topic: 'home_alerts',
          priority: 4,
          token: 'tk_secret',
        };
        s.channels.push.enabled = true;
      }),
    });
    expect(res.statusCode).toBe(200);
    const secret = res.json().channels.webhook.secret as string;
    expect(secret.length).toBeGreaterThanOrEqual(16);
    expect(res.json().channels.ntfy.token).toBeNull();

    await t.parts.timeseries.writeReadings('deliver', [{ ts: T0, powerW: 100 }]);
    clock = T0 + 2 * HOUR;
    hooks.hits.length = 0;
    await service().tick();

    const hook = hooks.hits.find((h) => h.path === '/hook')!;
    expect(hook.headers['x-nilm-signature']).toBe(webhookSignature(secret, hook.body));
    expect(JSON.parse(hook.body)).toMatchObject({
      building_id: 'deliver',
      kind: 'meter_silent',
      event_type: 'meter_silent',
      title: 'Meter silent',
    });
    const ntfy = hooks.hits.find((h) => h.path === '/home_alerts')!;
    expect(ntfy.headers).toMatchObject({
      title: 'Meter silent',
      priority: '4',
      tags: 'electric_plug',
      authorization: 'Bearer tk_secret',
    });
    expect(ntfy.body).toMatch(/^No reading since 2026-11-02T08:00:00.000Z \(2 h\)/);

    expect(push.refused).toEqual([]);
    expect(push.received).toHaveLength(1);
    const got = push.received[0]!;
    expect(JSON.parse(got.payload)).toMatchObject({
      building_id: 'deliver',
      title: 'Meter silent',
    });
    expect(got.jwt.sub).toBe('mailto:admin@test');
    const key = await t.app.inject({
      url: '/api/v1/push/vapid-public-key',
      headers: await t.auth('alice'),
    });
    expect(key.json().public_key).toBe(got.vapidKey);

    const history = await t.app.inject({
      url: '/api/v1/buildings/deliver/alerts',
      headers: await t.auth('admin'),
    });
    const [alert] = history.json().alerts;
    expect(
      alert.deliveries.map((d: { channel: string; status: string }) => [d.channel, d.status]),
    ).toEqual([
      ['ntfy', 'sent'],
      ['push', 'sent'],
      ['webhook', 'sent'],
    ]);
  });

  it('a failed delivery is retried with backoff, given up, shown, and retried by hand', async () => {
    await building('flaky');
    await t.parts.metadata.setAlertSettings(
      'flaky',
      settings((s) => {
        s.rules.meter_silent.enabled = true;
        s.channels.webhook = { enabled: true, url: `${hooks.url}/flaky`, secret: 'k'.repeat(20) };
      }),
    );
    await t.parts.timeseries.writeReadings('flaky', [{ ts: T0, powerW: 100 }]);
    clock = T0 + HOUR;
    const s = service({ maxAttempts: 2 });
    hooks.statuses.push(502, 503);
    const raised = await s.evaluator.evaluate('flaky');
    expect(raised).toHaveLength(1);
    await s.outbox.drain();
    const status = async () =>
      (
        await t.app.inject({
          url: '/api/v1/buildings/flaky/alerts',
          headers: await t.auth('admin'),
        })
      ).json().alerts[0].deliveries[0];
    expect(await status()).toMatchObject({
      status: 'pending',
      attempts: 1,
      next_attempt_at: new Date(clock + 30_000).toISOString(),
    });
    expect((await status()).last_error).toMatch(/HTTP 502/);
    clock += 10_000;
    expect(await s.outbox.drain()).toBe(0); // not due yet
    clock += 20_000;
    await s.outbox.drain();
    expect(await status()).toMatchObject({ status: 'failed', attempts: 2, next_attempt_at: null });
    expect((await status()).last_error).toMatch(/HTTP 503/);

    const id = (await status()).id as string;
    await t.parts.metadata.upsertUser({
      id: 'vera',
      email: 'vera@test',
      role: 'user',
      passwordHash: null,
    });
    await t.parts.metadata.setMember({ buildingId: 'flaky', userId: 'vera', role: 'viewer' });
    const byViewer = await t.app.inject({
      method: 'POST',
      url: `/api/v1/buildings/flaky/alerts/deliveries/${id}/retry`,
      headers: await t.auth('vera'),
    });
    expect(byViewer.statusCode).toBe(403);
    const retry = await t.app.inject({
      method: 'POST',
      url: `/api/v1/buildings/flaky/alerts/deliveries/${id}/retry`,
      headers: await t.auth('admin'),
    });
    expect(retry.statusCode).toBe(204);
    expect(await status()).toMatchObject({ status: 'pending', attempts: 0 });
    await s.outbox.drain();
    expect(await status()).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/buildings/flaky/alerts/deliveries/${id}/retry`,
      headers: await t.auth('admin'),
    });
    expect(again.statusCode).toBe(404);
  });

  it('a push subscription the push service says is gone is removed', async () => {
    await building('gone');
    const other = await startPushStandIn();
    try {
      await t.parts.metadata.upsertUser({
        id: 'gus',
        email: 'gus@test',
        role: 'user',
        passwordHash: null,
      });
      await t.parts.metadata.setMember({ buildingId: 'gone', userId: 'gus', role: 'member' });
      const sub = await t.app.inject({
        method: 'POST',
        url: '/api/v1/push/subscriptions',
        headers: await t.auth('gus'),
        payload: other.subscription,
      });
      expect(sub.statusCode).toBe(204);
      const gus = async () =>
        (await t.parts.metadata.listPushSubscriptions('gone')).filter((x) => x.userId === 'gus');
      expect(await gus()).toHaveLength(1);
      other.answer = 410;
      await t.parts.metadata.setAlertSettings(
        'gone',
        settings((s) => {
          s.rules.meter_silent.enabled = true;
          s.channels.push.enabled = true;
        }),
      );
      await t.parts.timeseries.writeReadings('gone', [{ ts: T0, powerW: 1 }]);
      clock = T0 + HOUR;
      const s = service();
      await s.evaluator.evaluate('gone');
      await s.outbox.drain();
      expect(await gus()).toEqual([]);
      const [d] = (await t.parts.metadata.listAlerts('gone', 1))[0]!.deliveries;
      // The admin's browser (subscribed earlier) took it; gus's is gone.
      expect(d).toMatchObject({ status: 'sent', attempts: 1 });
      expect(other.received).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('publishes to the embedded broker, where a device of the building (and no other) subscribes', async () => {
    await building('mq');
    const t1 = generateDeviceToken();
    await t.parts.metadata.createDeviceToken({
      id: 'mq-tok',
      buildingId: 'mq',
      name: 'ha',
      tokenHash: t1.hash,
    });
    const broker = await startEmbeddedBroker({
      port: 0,
      metadata: t.parts.metadata,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      alertTopicRoot: 'nilm',
    });
    const c = broker.internalCredentials;
    const sender = new AlertMqtt({
      url: broker.url,
      ...c,
      clientId: `${c.clientId}-alerts`,
      base: 'nilm',
    });
    const device = await mqtt.connectAsync(broker.url, { username: 'mq', password: t1.secret });
    try {
      const got: string[] = [];
      device.on('message', (topic, p) => got.push(`${topic} ${p.toString()}`));
      // Another building's alerts: refused (SUBACK 0x80).
      await expect(device.subscribeAsync(alertTopic('nilm', 'home'), { qos: 1 })).rejects.toThrow();
      await device.subscribeAsync(alertTopic('nilm', 'mq'), { qos: 1 });
      await t.parts.metadata.setAlertSettings(
        'mq',
        settings((x) => {
          x.rules.meter_silent.enabled = true;
          x.channels.mqtt.enabled = true;
        }),
      );
      await t.parts.timeseries.writeReadings('mq', [{ ts: T0, powerW: 1 }]);
      clock = T0 + HOUR;
      const s = new AlertService({
        ...t.parts,
        now: () => clock,
        log,
        senders: { mqtt: sender.send },
      });
      const [raised] = await s.evaluator.evaluate('mq');
      await s.outbox.drain();
      const deadline = Date.now() + 10_000;
      while (got.length === 0 && Date.now() < deadline)
        await new Promise((ok) => setTimeout(ok, 20));
      expect(got).toHaveLength(1);
      const [topic, payload] = [got[0]!.split(' ')[0], got[0]!.slice(got[0]!.indexOf(' ') + 1)];
      expect(topic).toBe('nilm/mq/alert');
      expect(JSON.parse(payload)).toMatchObject({
        event_type: 'meter_silent',
        title: raised!.title,
      });
      const [d] = (await t.parts.metadata.listAlerts('mq', 1))[0]!.deliveries;
      expect(d).toMatchObject({ channel: 'mqtt', status: 'sent' });
    } finally {
      await device.endAsync();
      await sender.close();
      await broker.close();
    }
  });

  it('the Home Assistant config makes the alert topic an event entity of the building', () => {
    const c = haAlertConfig({ prefix: 'homeassistant', base: 'nilm' }, 'home');
    expect(c.topic).toBe('homeassistant/event/nilm_home/alert/config');
    expect(JSON.parse(c.payload)).toEqual({
      name: 'Alert',
      unique_id: 'nilm_home_alert',
      object_id: 'nilm_home_alert',
      state_topic: 'nilm/home/alert',
      event_types: [
        'appliance_finished',
        'left_on',
        'baseload_rise',
        'unusual_day',
        'meter_silent',
        'model_drift',
      ],
      device: { identifiers: ['nilm_home'] },
    });
  });

  it('settings: defaults all off, viewers read without the secret, bad thresholds answer 422 by name', async () => {
    const admin = await t.auth('admin');
    const first = await t.app.inject({
      url: '/api/v1/buildings/home/alerts/settings',
      headers: admin,
    });
    expect(first.json()).toMatchObject({ building_id: 'home', is_default: true });
    expect(first.json().rules.left_on.limits).toEqual([
      { appliance: 'oven', hours: 3 },
      { appliance: 'electric_heater', hours: 8 },
    ]);
    const bad = settings((s) => {
      s.rules.left_on.limits[0]!.hours = 0;
      s.rules.meter_silent.minutes = 1;
      s.channels.ntfy = { enabled: true, server: 'ftp://x', topic: 'a b', priority: 9 };
    });
    const refused = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/buildings/home/alerts/settings',
      headers: admin,
      payload: bad,
    });
    expect(refused.statusCode).toBe(422);
    const problems: string[] = refused.json().error.details.problems;
    expect(problems).toEqual([
      'rules.left_on.limits[0].hours must be between 0.25 and 72 (got 0)',
      'rules.meter_silent.minutes must be between 5 and 10080 (got 1)',
      'channels.ntfy.priority must be a whole number between 1 and 5 (got 9)',
      'channels.ntfy.server must be an http:// or https:// URL (got "ftp://x")',
      'channels.ntfy.topic must be 1 to 64 letters, digits, _ or - (got "a b")',
    ]);
    expect(await t.parts.metadata.getAlertSettings('home')).toBeNull();

    const good = settings((s) => {
      s.rules.left_on.enabled = true;
      s.channels.webhook = {
        enabled: true,
        url: 'https://example.org/hook',
        secret: 'x'.repeat(32),
      };
    });
    const saved = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/buildings/home/alerts/settings',
      headers: admin,
      payload: good,
    });
    expect(saved.statusCode).toBe(200);
    await t.parts.metadata.setMember({ buildingId: 'home', userId: 'alice', role: 'viewer' });
    const alice = await t.auth('alice');
    const seen = await t.app.inject({
      url: '/api/v1/buildings/home/alerts/settings',
      headers: alice,
    });
    expect(seen.json()).toMatchObject({ is_default: false, rules: { left_on: { enabled: true } } });
    expect(seen.json().channels.webhook).toEqual({
      enabled: true,
      url: 'https://example.org/hook',
      secret: null,
    });
    const byViewer = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/buildings/home/alerts/settings',
      headers: alice,
      payload: good,
    });
    expect(byViewer.statusCode).toBe(403);
    // Leaving the secret out keeps it.
    const { secret: _s, ...withoutSecret } = good.channels.webhook;
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/buildings/home/alerts/settings',
      headers: admin,
      payload: { ...good, channels: { ...good.channels, webhook: withoutSecret } },
    });
    const kept = await t.app.inject({
      url: '/api/v1/buildings/home/alerts/settings',
      headers: admin,
    });
    expect(kept.json().channels.webhook.secret).toBe('x'.repeat(32));
  });
});
