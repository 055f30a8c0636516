/**
 * The alert part of the metadata store conformance suite (registered by
 * `metadataConformance`): settings kept whole, one alert per dedupe key even when raised at
 * once, the outbox's claim / lease / finish / retry cycle, push subscriptions per member, and a
 * server value that every caller agrees on.
 */
import { describe, expect, it } from 'vitest';
import type { Building, MetadataStore, User } from './metadata.store.js';

export interface AlertConformanceContext {
  store: () => MetadataStore;
  id: (prefix: string) => string;
  building: (id: string) => Promise<Building>;
  user: (id: string) => Promise<User>;
}

/** Register the alert store tests inside the metadata conformance suite. */
export function alertConformance(ctx: AlertConformanceContext): void {
  const { id, building, user } = ctx;
  const alert = (buildingId: string, dedupeKey: string, at = 1000) => ({
    buildingId,
    kind: 'appliance_finished',
    dedupeKey,
    title: 'Washing machine finished',
    message: 'It ran for 52 minutes.',
    at,
    data: { appliance: 'washing_machine', startMs: at - 52 * 60_000 },
  });

  describe('alerts', () => {
    it('settings are null until saved, then kept whole and listed, and go with the building', async () => {
      const store = ctx.store();
      const b = await building(id('al'));
      expect(await store.getAlertSettings(b.id)).toBeNull();
      const rules = { meter_silent: { enabled: true, minutes: 30 } };
      const channels = { webhook: { enabled: true, url: 'http://x', secret: 's'.repeat(20) } };
      const saved = await store.setAlertSettings(b.id, { rules, channels });
      expect(saved).toMatchObject({ buildingId: b.id, rules, channels });
      const changed = await store.setAlertSettings(b.id, { rules: {}, channels });
      expect((await store.getAlertSettings(b.id))?.rules).toEqual({});
      expect(changed.rules).toEqual({});
      expect((await store.listAlertSettings()).map((s) => s.buildingId)).toContain(b.id);
      await expect(store.setAlertSettings(id('missing'), { rules, channels })).rejects.toThrow();
      await store.deleteBuilding(b.id);
      expect(await store.getAlertSettings(b.id)).toBeNull();
    });

    it('an alert is raised once per dedupe key, also when raised twice at once', async () => {
      const store = ctx.store();
      const b = await building(id('al'));
      const results = await Promise.all([
        store.raiseAlert(alert(b.id, 'run:1'), ['webhook', 'ntfy']),
        store.raiseAlert(alert(b.id, 'run:1'), ['webhook', 'ntfy']),
      ]);
      const raised = results.filter((r) => r !== null);
      expect(raised).toHaveLength(1);
      expect(raised[0]!.deliveries.map((d) => [d.channel, d.status, d.attempts])).toEqual(
        expect.arrayContaining([
          ['webhook', 'pending', 0],
          ['ntfy', 'pending', 0],
        ]),
      );
      expect(await store.raiseAlert(alert(b.id, 'run:1'), ['webhook'])).toBeNull();
      // The same key in another building is another alert.
      const other = await building(id('al'));
      expect(await store.raiseAlert(alert(other.id, 'run:1'), [])).not.toBeNull();
      const listed = await store.listAlerts(b.id, 10);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ dedupeKey: 'run:1', data: alert(b.id, 'x').data });
      expect(listed[0]!.deliveries).toHaveLength(2);
    });

    it('a delivery is claimed by one sender at a time until its lease ends', async () => {
      const store = ctx.store();
      const b = await building(id('al'));
      const raised = await store.raiseAlert(alert(b.id, 'lease'), ['webhook']);
      const mine = (c: Awaited<ReturnType<MetadataStore['claimDeliveries']>>) =>
        c.filter((d) => d.alertId === raised!.id);
      const t = raised!.createdAt + 1;
      const [first, second] = await Promise.all([
        store.claimDeliveries(t, 60_000, 1000),
        store.claimDeliveries(t, 60_000, 1000),
      ]);
      expect(mine(first).length + mine(second).length).toBe(1);
      const claimed = [...mine(first), ...mine(second)][0]!;
      expect(claimed.alert).toMatchObject({ id: raised!.id, title: 'Washing machine finished' });
      expect(mine(await store.claimDeliveries(t + 59_000, 60_000, 1000))).toEqual([]);
      // The lease ran out (the sender died): another sender takes it.
      expect(mine(await store.claimDeliveries(t + 61_000, 60_000, 1000))).toHaveLength(1);
    });

    it('a failed attempt is retried at its time, gives up when told, and is retried by hand', async () => {
      const store = ctx.store();
      const b = await building(id('al'));
      const raised = await store.raiseAlert(alert(b.id, 'retry'), ['ntfy']);
      const d = raised!.deliveries[0]!;
      const t = raised!.createdAt + 1;
      await store.claimDeliveries(t, 60_000, 1000);
      await store.finishDelivery(d.id, { ok: false, error: 'HTTP 502', retryAt: t + 30_000 });
      let [row] = (await store.listAlerts(b.id, 1))[0]!.deliveries;
      expect(row).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 502' });
      expect(row!.nextAttemptAt).toBe(t + 30_000);
      const early = await store.claimDeliveries(t + 10_000, 60_000, 1000);
      expect(early.some((c) => c.id === d.id)).toBe(false);
      const due = await store.claimDeliveries(t + 30_000, 60_000, 1000);
      expect(due.some((c) => c.id === d.id)).toBe(true);
      await store.finishDelivery(d.id, { ok: false, error: 'HTTP 503', retryAt: null });
      [row] = (await store.listAlerts(b.id, 1))[0]!.deliveries;
      expect(row).toMatchObject({ status: 'failed', attempts: 2, lastError: 'HTTP 503' });
      expect(await store.claimDeliveries(t + 999_999, 60_000, 1000)).not.toContainEqual(
        expect.objectContaining({ id: d.id }),
      );

      expect(await store.retryDelivery(id('other'), d.id, t + 40_000)).toBe(false);
      expect(await store.retryDelivery(b.id, d.id, t + 40_000)).toBe(true);
      [row] = (await store.listAlerts(b.id, 1))[0]!.deliveries;
      expect(row).toMatchObject({ status: 'pending', attempts: 0, lastError: 'HTTP 503' });
      const again = await store.claimDeliveries(t + 40_000, 60_000, 1000);
      expect(again.some((c) => c.id === d.id)).toBe(true);
      await store.finishDelivery(d.id, { ok: true, at: t + 41_000 });
      [row] = (await store.listAlerts(b.id, 1))[0]!.deliveries;
      expect(row).toMatchObject({
        status: 'sent',
        attempts: 1,
        lastError: null,
        sentAt: t + 41_000,
      });
      expect(await store.retryDelivery(b.id, d.id, t + 50_000)).toBe(false);
    });

    it('push subscriptions are found through building membership and can be removed', async () => {
      const store = ctx.store();
      const b = await building(id('al'));
      const member = await user(id('u'));
      const stranger = await user(id('u'));
      await store.setMember({ buildingId: b.id, userId: member.id, role: 'viewer' });
      const sub = (userId: string, n: number) => ({
        userId,
        endpoint: `https://push.example/${userId}/${n}`,
        p256dh: `key-${n}`,
        auth: `auth-${n}`,
      });
      await store.savePushSubscription(sub(member.id, 1));
      await store.savePushSubscription({ ...sub(member.id, 1), auth: 'auth-new' });
      await store.savePushSubscription(sub(stranger.id, 2));
      const found = await store.listPushSubscriptions(b.id);
      expect(found.map((s) => [s.userId, s.auth])).toEqual([[member.id, 'auth-new']]);
      expect(await store.deletePushSubscription(stranger.id, sub(member.id, 1).endpoint)).toBe(
        false,
      );
      expect(await store.deletePushSubscription(member.id, sub(member.id, 1).endpoint)).toBe(true);
      expect(await store.listPushSubscriptions(b.id)).toEqual([]);
      await store.savePushSubscription(sub(member.id, 3));
      await store.dropPushSubscription(sub(member.id, 3).endpoint);
      expect(await store.listPushSubscriptions(b.id)).toEqual([]);
    });

    it('a server value is made once: every caller, even at once, gets the first one stored', async () => {
      const store = ctx.store();
      const name = id('vapid');
      let made = 0;
      const values = await Promise.all(
        [1, 2, 3].map(() => store.serverValue(name, () => `value-${++made}`)),
      );
      expect(new Set(values).size).toBe(1);
      expect(await store.serverValue(name, () => 'later')).toBe(values[0]);
    });
  });
}
