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
 * The extension point for found devices (issue 13.1): the names owners gave the building's found
 * devices (status `named`, a name given; one named only with a vocabulary type is that type
 * already). Should a named device come to be estimated under another key, this is the one place
 * that says which names labels and sub-meters accept.
 */
export function buildingApplianceNames(metadata: MetadataStore): BuildingApplianceNames {
  return async (buildingId) =>
    (await metadata.listFoundDevices(buildingId))
      .filter((d) => d.status === 'named' && d.name !== null && d.name.trim() !== '')
      .map((d) => d.name!.trim());
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
