// Proves the embedded broker's cache of a building's source topics lists every topic its MQTT
// sources listen on (phase and production topics included, polled sources none), is re-read
// only once its time is up on the injected clock, and is forgotten at once by clear().
import { createPgliteMetadataStore, type MetadataStore } from '@nilm/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceFiltersOf } from './source.filters.js';

let metadata: MetadataStore;

beforeAll(async () => {
  metadata = await createPgliteMetadataStore();
  await metadata.migrate();
  await metadata.createBuilding({
    id: 'filters-home',
    name: 'Filters',
    timezone: 'UTC',
    isDemo: false,
    modelRef: null,
  });
}, 60_000);

afterAll(async () => {
  await metadata?.close();
});

describe('sourceFiltersOf', () => {
  it('caches per building for ttlMs of the injected clock', async () => {
    let t = 1_000_000;
    const filters = sourceFiltersOf(metadata, { now: () => t, ttlMs: 10_000 });
    const add = (id: string, type: string, settings: Record<string, unknown>) =>
      metadata.createSource({
        id,
        buildingId: 'filters-home',
        name: id,
        type,
        role: 'mains',
        settings,
      });
    await add('esp', 'esphome', {
      topic: 'house/sensor/power/state',
      unit: 'W',
      sign: 'import-positive',
      phase_topics: ['house/sensor/l1/state'],
      production_topic: 'pv/sensor/power/state',
    });
    await add('hw', 'homewizard-p1', { url: 'http://192.0.2.1', interval_s: 10 });
    const all = ['house/sensor/power/state', 'house/sensor/l1/state', 'pv/sensor/power/state'];
    expect(await filters.lookup('filters-home')).toEqual(all);

    await add('tas', 'tasmota', { topic: 'tele/plug/SENSOR' });
    t += 9_999;
    expect(await filters.lookup('filters-home')).toEqual(all);
    t += 1;
    expect(await filters.lookup('filters-home')).toEqual([...all, 'tele/plug/SENSOR']);

    await metadata.deleteSource('tas');
    expect(await filters.lookup('filters-home')).toContain('tele/plug/SENSOR');
    filters.clear();
    expect(await filters.lookup('filters-home')).toEqual(all);
  });
});
