/**
 * The found-devices part of the metadata store conformance suite (registered by
 * `metadataConformance`): a discovery pass adds devices with stable labels, a later pass
 * updates the matching ones instead of adding duplicates (also when two run at once) and never
 * brings a dismissed or merged one back; naming, dismissing and merging change only what they
 * may, and refuse, changing nothing, what they may not.
 */
import { describe, expect, it } from 'vitest';
import type { DiscoveredDevice, DiscoveryMatching } from './device.store.js';
import type { Building, MetadataStore } from './metadata.store.js';

export interface DeviceConformanceContext {
  store: () => MetadataStore;
  id: (prefix: string) => string;
  building: (id: string) => Promise<Building>;
}

const matching: DiscoveryMatching = {
  same: (a, b) => Math.abs(a.powerW - b.powerW) <= 0.25 * Math.max(a.powerW, b.powerW),
  label: (n) => `Device ${String.fromCharCode(65 + n)}`,
};

const device = (powerW: number, runs = 10): DiscoveredDevice => ({
  signature: { powerW, runMinutes: 20, periodMinutes: powerW < 200 ? 60 : null },
  stats: {
    runs,
    runsPerDay: runs / 2,
    energyPerMonthKWh: 12.5,
    hourProfile: Array.from({ length: 24 }, () => 1 / 24),
    examples: [{ startMs: 1000, endMs: 61_000, meanW: powerW }],
    runList: [{ startMs: 1000, endMs: 61_000, powerW }],
    fromMs: 0,
    toMs: 2 * 86_400_000,
  },
});

/** Register the found-devices store tests inside the metadata conformance suite. */
export function deviceConformance(ctx: DeviceConformanceContext): void {
  const { id, building } = ctx;

  describe('found devices', () => {
    it('a pass adds devices labelled in order, kept whole, and they go with the building', async () => {
      const store = ctx.store();
      const b = await building(id('dv'));
      expect(await store.listFoundDevices(b.id)).toEqual([]);
      const { created, updated } = await store.recordDiscovery(
        b.id,
        [device(100), device(2000)],
        matching,
      );
      expect(updated).toEqual([]);
      expect(created.map((d) => [d.label, d.status, d.name, d.appliance, d.mergedInto])).toEqual([
        ['Device A', 'found', null, null, null],
        ['Device B', 'found', null, null, null],
      ]);
      expect(created[0]).toMatchObject(device(100));
      expect(await store.listFoundDevices(b.id)).toEqual(created);
      expect(await store.getFoundDevice(b.id, created[1].id)).toEqual(created[1]);
      const other = await building(id('dv'));
      expect(await store.getFoundDevice(other.id, created[1].id)).toBeNull();
      await expect(store.recordDiscovery(id('missing'), [device(1)], matching)).rejects.toThrow();
      await store.deleteBuilding(b.id);
      expect(await store.listFoundDevices(b.id)).toEqual([]);
    });

    it('a later pass updates the matching devices, adds only new ones, and keeps owner choices', async () => {
      const store = ctx.store();
      const b = await building(id('dv'));
      const first = await store.recordDiscovery(b.id, [device(100), device(2000)], matching);
      const [fridge, kettle] = first.created;
      await store.nameFoundDevice(b.id, fridge.id, { name: 'Garage fridge', appliance: 'fridge' });
      await store.dismissFoundDevice(b.id, kettle.id);
      const second = await store.recordDiscovery(
        b.id,
        [device(110, 30), device(2100, 7), device(600)],
        matching,
      );
      expect(second.updated.map((d) => [d.label, d.status, d.name, d.stats.runs])).toEqual([
        ['Device A', 'named', 'Garage fridge', 30],
        ['Device B', 'dismissed', null, 7],
      ]);
      expect(second.updated[0].signature.powerW).toBe(110);
      expect(second.created.map((d) => [d.label, d.status])).toEqual([['Device C', 'found']]);
      expect(second.devices.map((d) => d.label)).toEqual(['Device A', 'Device B', 'Device C']);
      expect((await store.listFoundDevices(b.id)).map((d) => d.label)).toEqual([
        'Device A',
        'Device B',
        'Device C',
      ]);
    });

    it('two passes at once add each device once', async () => {
      const store = ctx.store();
      const b = await building(id('dv'));
      const both = await Promise.all([
        store.recordDiscovery(b.id, [device(100)], matching),
        store.recordDiscovery(b.id, [device(100)], matching),
      ]);
      expect(both.map((r) => r.created.length).sort()).toEqual([0, 1]);
      expect(await store.listFoundDevices(b.id)).toHaveLength(1);
    });

    it('naming sets and keeps fields, clearing both makes it found again', async () => {
      const store = ctx.store();
      const b = await building(id('dv'));
      const [d] = (await store.recordDiscovery(b.id, [device(100)], matching)).created;
      const named = await store.nameFoundDevice(b.id, d.id, { name: 'Pond pump' });
      expect([named?.status, named?.name, named?.appliance]).toEqual(['named', 'Pond pump', null]);
      const typed = await store.nameFoundDevice(b.id, d.id, { appliance: 'fridge' });
      expect([typed?.name, typed?.appliance]).toEqual(['Pond pump', 'fridge']);
      const cleared = await store.nameFoundDevice(b.id, d.id, { name: null, appliance: null });
      expect([cleared?.status, cleared?.name, cleared?.appliance]).toEqual(['found', null, null]);
      const other = await building(id('dv'));
      expect(await store.nameFoundDevice(other.id, d.id, { name: 'x' })).toBeNull();
    });

    it('dismiss and merge change only found or named devices of the building', async () => {
      const store = ctx.store();
      const b = await building(id('dv'));
      const [a, c, e] = (
        await store.recordDiscovery(b.id, [device(100), device(600), device(2000)], matching)
      ).created;
      expect(await store.mergeFoundDevice(b.id, a.id, a.id)).toBeNull();
      expect(await store.mergeFoundDevice(b.id, a.id, id('none'))).toBeNull();
      const merged = await store.mergeFoundDevice(b.id, a.id, c.id);
      expect([merged?.status, merged?.mergedInto]).toEqual(['merged', c.id]);
      // A merged device is not named, dismissed or merged again, nor merged into.
      expect(await store.nameFoundDevice(b.id, a.id, { name: 'x' })).toBeNull();
      expect(await store.dismissFoundDevice(b.id, a.id)).toBeNull();
      expect(await store.mergeFoundDevice(b.id, e.id, a.id)).toBeNull();
      // Merging the target on moves what was merged into it along.
      await store.mergeFoundDevice(b.id, c.id, e.id);
      expect((await store.getFoundDevice(b.id, a.id))?.mergedInto).toBe(e.id);
      const dismissed = await store.dismissFoundDevice(b.id, e.id);
      expect(dismissed?.status).toBe('dismissed');
      expect(await store.dismissFoundDevice(b.id, e.id)).toBeNull();
      const other = await building(id('dv'));
      expect(await store.dismissFoundDevice(other.id, c.id)).toBeNull();
    });
  });
}
