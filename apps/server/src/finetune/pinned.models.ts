/**
 * Where the inference engine finds a building's own models: the metadata store, which every API
 * and worker process shares. The card is stored as the fine-tune wrote it; its id and version
 * are the ones of its ref (`<base id>+<building>@<n>`, numbered by the store).
 */
import { ModelCardSchema, type ModelCard, type PinnedModelSource } from '@nilm/ml';
import type { FinetuneStore, PinnedModel } from '@nilm/stores';

/** A pinned model's card, with the id and version of its ref. */
export function pinnedCard(m: Pick<PinnedModel, 'ref' | 'card'>): ModelCard {
  const at = m.ref.lastIndexOf('@');
  return ModelCardSchema.parse({
    ...m.card,
    id: m.ref.slice(0, at),
    version: m.ref.slice(at + 1),
  });
}

/** The building a pinned ref names (`<base id>+<building>@<n>`); null when it is not one. */
export function pinnedBuilding(ref: string): string | null {
  const plus = ref.indexOf('+');
  const at = ref.lastIndexOf('@');
  return plus > 0 && at > plus + 1 ? ref.slice(plus + 1, at) : null;
}

export function pinnedModelsOf(metadata: Pick<FinetuneStore, 'getPinnedModel'>): PinnedModelSource {
  return {
    load: async (ref) => {
      const m = await metadata.getPinnedModel(ref);
      return m ? { card: pinnedCard(m), bytes: m.onnx } : undefined;
    },
  };
}
