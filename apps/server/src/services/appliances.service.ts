/**
 * The appliances a building's model estimates, with the building's own labels and switches,
 * whether the building says it has each one, and the model's calibrated thresholds. One place,
 * so the appliance list, the run detection and the energy ranges agree on what "on" means, and
 * every view hides the same absent appliances.
 */
import { findAppliance, type InferenceEngine } from '@nilm/ml';
import type { Building, MetadataStore } from '@nilm/stores';

/** One appliance of a building's model. */
export interface BuildingAppliance {
  name: string;
  label: string;
  enabled: boolean;
  /**
   * Whether the building says it has the appliance (every head counts as present until an owner
   * says otherwise). Absent ones are left out of every view, and their power counts as other.
   */
  present: boolean;
  onThresholdW: number;
  /** The model counts the appliance as on where its on-probability is at least this. */
  onProbThreshold: number;
}

export interface BuildingAppliances {
  /** `id@version` of the model, or null when it could not be loaded (then no appliances). */
  model: string | null;
  /** The model's step between estimates in seconds, or null with no model. */
  periodS: number | null;
  /** Every head of the model, present or not, in the model's order. */
  appliances: BuildingAppliance[];
  /** True while the building never said which appliances it has (all heads present). */
  presentIsDefault: boolean;
}

/**
 * The building's model (its own `modelRef`, else the active one) and its appliances. A model
 * that cannot be loaded gives an empty list rather than an error, so pages still render.
 */
export async function buildingAppliances(
  engine: InferenceEngine,
  metadata: MetadataStore,
  building: Pick<Building, 'id' | 'modelRef'>,
): Promise<BuildingAppliances> {
  let model: Awaited<ReturnType<InferenceEngine['model']>> | undefined;
  try {
    model = await engine.model(building.modelRef ?? undefined);
  } catch {
    model = undefined;
  }
  const [list, said] = await Promise.all([
    metadata.listAppliances(building.id),
    metadata.getAppliancesPresent(building.id),
  ]);
  const settings = new Map(list.map((s) => [s.appliance, s]));
  const present = said === null ? null : new Set(said);
  return {
    presentIsDefault: present === null,
    model: model ? `${model.card.id}@${model.card.version}` : null,
    periodS: model ? model.periodS : null,
    appliances: (model?.card.appliances ?? []).map((a) => ({
      name: a.name,
      label: settings.get(a.name)?.label ?? findAppliance(a.name)?.label ?? a.label,
      enabled: settings.get(a.name)?.enabled ?? true,
      present: present === null || present.has(a.name),
      onThresholdW: a.on_threshold_w,
      onProbThreshold: a.on_prob_threshold,
    })),
  };
}

/**
 * Which estimated appliances a view shows: those the building says it has. Estimates of any
 * other name are hidden (and their power becomes part of "other"), so changing the list changes
 * history too, without estimating anything again. Null keeps every appliance (never said).
 */
export type PresentAppliances = ReadonlySet<string> | null;

/** The building's present appliances, for views that need no model (the live stream). */
export async function presentAppliances(
  metadata: Pick<MetadataStore, 'getAppliancesPresent'>,
  buildingId: string,
): Promise<PresentAppliances> {
  const said = await metadata.getAppliancesPresent(buildingId);
  return said === null ? null : new Set(said);
}

/** Whether a view shows the appliance `name`. */
export function isShown(present: PresentAppliances, name: string): boolean {
  return present === null || present.has(name);
}

/**
 * How one building's estimates are shown: only the appliances it has (the others' power falls
 * into "other"), and when each counts as on (for the energy ranges).
 */
export interface ApplianceView {
  present: PresentAppliances;
  /** The calibrated on-probability threshold per appliance; 0.5 for one the model lacks. */
  onProbThreshold: ReadonlyMap<string, number>;
}

/** The view of a building's estimates; a building that does not exist shows everything. */
export async function applianceView(
  engine: InferenceEngine,
  metadata: MetadataStore,
  buildingId: string,
): Promise<ApplianceView> {
  const building = await metadata.getBuilding(buildingId);
  if (!building) return { present: null, onProbThreshold: new Map() };
  const { appliances } = await buildingAppliances(engine, metadata, building);
  return {
    present: await presentAppliances(metadata, buildingId),
    onProbThreshold: new Map(appliances.map((a) => [a.name, a.onProbThreshold])),
  };
}
