/**
 * The label part of the metadata store conformance suite (registered by `metadataConformance`):
 * labels kept as given and listed by overlap, appliance and start; an `on` overlapping an `off`
 * of the same appliance refused with the label it contradicts (also when both are added at
 * once), while touching spans, other appliances and same-kind overlaps are kept; deletion per
 * building; labels go with their building.
 */
import { describe, expect, it } from 'vitest';
import type { LabelKind, NewLabel } from './label.store.js';
import type { Building, MetadataStore } from './metadata.store.js';

export interface LabelConformanceContext {
  store: () => MetadataStore;
  id: (prefix: string) => string;
  building: (id: string) => Promise<Building>;
}

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 8);

/** Register the label store tests inside the metadata conformance suite. */
export function labelConformance(ctx: LabelConformanceContext): void {
  const { id, building } = ctx;
  const label = (
    buildingId: string,
    appliance: string,
    kind: LabelKind,
    startH: number,
    endH: number,
  ): NewLabel => ({
    buildingId,
    appliance,
    kind,
    startMs: T0 + startH * H,
    endMs: T0 + endH * H,
    note: null,
    createdBy: null,
  });

  describe('labels', () => {
    it('keeps a label as given and lists them by start, overlap and appliance', async () => {
      const store = ctx.store();
      const b = await building(id('lb'));
      const before = Date.now();
      const first = await store.addLabel({
        ...label(b.id, 'kettle', 'on', 2, 3),
        note: 'tea',
        createdBy: 'u-1',
      });
      if (!('added' in first)) throw new Error('the first label was refused');
      expect(first.added).toMatchObject({
        buildingId: b.id,
        appliance: 'kettle',
        kind: 'on',
        startMs: T0 + 2 * H,
        endMs: T0 + 3 * H,
        note: 'tea',
        createdBy: 'u-1',
      });
      expect(first.added.id).toMatch(/.+/);
      expect(first.added.createdAt).toBeGreaterThanOrEqual(before);
      await store.addLabel(label(b.id, 'fridge', 'off', 0, 1));
      await store.addLabel(label(b.id, 'kettle', 'on', 5, 6));

      const all = await store.listLabels(b.id);
      expect(all.map((l) => [l.appliance, l.startMs])).toEqual([
        ['fridge', T0],
        ['kettle', T0 + 2 * H],
        ['kettle', T0 + 5 * H],
      ]);
      expect(all[1]).toEqual(first.added);
      const kettle = await store.listLabels(b.id, { appliance: 'kettle' });
      expect(kettle.map((l) => l.startMs)).toEqual([T0 + 2 * H, T0 + 5 * H]);
      // Overlapping [2.5 h, 5 h): the 2-3 h label only; one ending at `from` is outside.
      const overlapping = await store.listLabels(b.id, { fromMs: T0 + 2.5 * H, toMs: T0 + 5 * H });
      expect(overlapping.map((l) => l.startMs)).toEqual([T0 + 2 * H]);
      expect(await store.listLabels(b.id, { fromMs: T0 + 1 * H, toMs: T0 + 2 * H })).toEqual([]);
      expect(await store.listLabels(b.id, { fromMs: T0 + 5.5 * H })).toHaveLength(1);
      expect(await store.listLabels(b.id, { toMs: T0 + 0.5 * H })).toHaveLength(1);
      expect(await store.listLabels(id('none'))).toEqual([]);
    });

    it('refuses an on overlapping an off of the same appliance, naming it, and stores nothing', async () => {
      const store = ctx.store();
      const b = await building(id('lb'));
      const off = await store.addLabel(label(b.id, 'washing_machine', 'off', 10, 12));
      if (!('added' in off)) throw new Error('the off label was refused');
      const on = await store.addLabel(label(b.id, 'washing_machine', 'on', 11, 13));
      expect(on).toEqual({ conflict: off.added });
      const offAgain = await store.addLabel(label(b.id, 'washing_machine', 'on', 9, 10.5));
      expect(offAgain).toEqual({ conflict: off.added });
      // Spans that only touch, another appliance, and the same kind overlapping are all kept.
      expect(await store.addLabel(label(b.id, 'washing_machine', 'on', 12, 13))).toHaveProperty(
        'added',
      );
      expect(await store.addLabel(label(b.id, 'dishwasher', 'on', 10, 12))).toHaveProperty('added');
      expect(await store.addLabel(label(b.id, 'washing_machine', 'off', 11, 11.5))).toHaveProperty(
        'added',
      );
      // The on at 12-13 h now stands in the way of an off over it.
      const refused = await store.addLabel(label(b.id, 'washing_machine', 'off', 11.5, 12.5));
      expect(refused).toMatchObject({ conflict: { kind: 'on', startMs: T0 + 12 * H } });
      expect(await store.listLabels(b.id, { appliance: 'washing_machine' })).toHaveLength(3);
    });

    it('of two contradicting labels added at once, exactly one is stored', async () => {
      const store = ctx.store();
      const b = await building(id('lb'));
      const results = await Promise.all([
        store.addLabel(label(b.id, 'oven', 'on', 1, 3)),
        store.addLabel(label(b.id, 'oven', 'off', 2, 4)),
      ]);
      expect(results.filter((r) => 'added' in r)).toHaveLength(1);
      expect(results.filter((r) => 'conflict' in r)).toHaveLength(1);
      expect(await store.listLabels(b.id)).toHaveLength(1);
    });

    it('deletes a label of its own building only, and labels go with the building', async () => {
      const store = ctx.store();
      const b = await building(id('lb'));
      const other = await building(id('lb'));
      const added = await store.addLabel(label(b.id, 'kettle', 'on', 0, 1));
      if (!('added' in added)) throw new Error('refused');
      expect(await store.deleteLabel(other.id, added.added.id)).toBe(false);
      expect(await store.listLabels(b.id)).toHaveLength(1);
      expect(await store.deleteLabel(b.id, added.added.id)).toBe(true);
      expect(await store.deleteLabel(b.id, added.added.id)).toBe(false);
      expect(await store.listLabels(b.id)).toEqual([]);

      await store.addLabel(label(other.id, 'kettle', 'on', 0, 1));
      await store.deleteBuilding(other.id);
      expect(await store.listLabels(other.id)).toEqual([]);
      await expect(store.addLabel(label(id('missing'), 'kettle', 'on', 0, 1))).rejects.toThrow();
    });
  });
}
