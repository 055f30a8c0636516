/**
 * Which appliance a label or a sub-meter may name: one of the shared vocabulary (@nilm/ml's
 * APPLIANCES, by canonical name or alias, kept as the canonical name), or a name the building
 * itself gave (a found device it named, issue 13.1, through `buildingApplianceNames`). Anything
 * else is a 422 that lists what may be used.
 */
import { APPLIANCES, findAppliance } from '@nilm/ml';
import type { MetadataStore } from '@nilm/stores';
import { ApiError } from '../errors.js';

/** The names a building uses beyond the shared vocabulary. */
type BuildingApplianceNames = (buildingId: string) => Promise<readonly string[]>;

/**
 * The extension point for found devices (issue 13.1): the names of the building's devices that
 * its owner named. None yet: once the found-devices store is in the metadata store, read the
 * building's named devices here, and labels and sub-meters accept them with no other change.
 */
export function buildingApplianceNames(_metadata: MetadataStore): BuildingApplianceNames {
  return () => Promise.resolve([]);
}

/**
 * The appliance `name` stands for in the building (canonical for the vocabulary, as given for a
 * building's own name); a VALIDATION_FAILED error naming `field` otherwise.
 */
export async function checkedAppliance(
  name: string,
  buildingId: string,
  field: string,
  own: BuildingApplianceNames,
): Promise<string> {
  const spec = findAppliance(name);
  if (spec) return spec.name;
  const trimmed = name.trim();
  const names = await own(buildingId);
  if (names.includes(trimmed)) return trimmed;
  const known = [...APPLIANCES.map((a) => a.name), ...names].join(', ');
  throw new ApiError(
    'VALIDATION_FAILED',
    `${field} "${name}" is not an appliance this building can name; use one of ${known}`,
    { setting: field },
  );
}
