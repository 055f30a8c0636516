/**
 * The topic filters of a building's MQTT sources, for the embedded broker's publish check (a
 * device may publish its meter's native topics): read from the metadata store at most every
 * `ttlMs` per building, so a device's stream costs no query per message, and forgotten at once
 * when sources change.
 */
import { sourceTopicFilters } from '@nilm/sources';
import type { MetadataStore } from '@nilm/stores';

export interface SourceFilterCache {
  lookup: (buildingId: string) => Promise<readonly string[]>;
  /** Forget what was read: sources changed. */
  clear: () => void;
}

export function sourceFiltersOf(
  metadata: Pick<MetadataStore, 'listSources'>,
  options: { now?: () => number; ttlMs?: number } = {},
): SourceFilterCache {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 10_000;
  const cache = new Map<string, { at: number; filters: string[] }>();
  const lookup = async (buildingId: string): Promise<readonly string[]> => {
    const hit = cache.get(buildingId);
    if (hit && now() - hit.at < ttlMs) return hit.filters;
    const filters = (await metadata.listSources(buildingId)).flatMap((s) => sourceTopicFilters(s));
    cache.set(buildingId, { at: now(), filters });
    return filters;
  };
  return { lookup, clear: () => cache.clear() };
}
