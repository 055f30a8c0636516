/**
 * The appliances a building's model estimates, with the building's own labels and switches and
 * the model's calibrated thresholds. One place, so the appliance list and the run detection
 * agree on what "on" means.
 */
import { findAppliance, type InferenceEngine } from '@nilm/ml';
import type { Building, MetadataStore } from '@nilm/stores';

/** One appliance of a building's model. */
export interface BuildingAppliance {
  name: string;
  label: string;
  enabled: boolean;
  onThresholdW: number;
  /** The model counts the appliance as on where its on-probability is at least this. */
  onProbThreshold: number;
}

export interface BuildingAppliances {
  /** `id@version` of the model, or null when it could not be loaded (then no appliances). */
  model: string | null;
  /** The model's step between estimates in seconds, or null with no model. */
  periodS: number | null;
  appliances: BuildingAppliance[];
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
  const settings = new Map(
    (await metadata.listAppliances(building.id)).map((s) => [s.appliance, s]),
  );
  return {
    model: model ? `${model.card.id}@${model.card.version}` : null,
    periodS: model ? model.periodS : null,
    appliances: (model?.card.appliances ?? []).map((a) => ({
      name: a.name,
      label: settings.get(a.name)?.label ?? findAppliance(a.name)?.label ?? a.label,
      enabled: settings.get(a.name)?.enabled ?? true,
      onThresholdW: a.on_threshold_w,
      onProbThreshold: a.on_prob_threshold,
    })),
  };
}
