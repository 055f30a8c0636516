/**
 * Where the inference engine finds a building's own models: the metadata store, which every API
 * and worker process shares. The card is stored as the fine-tune wrote it; its id and version
 * are the ones of its ref (`<base id>+<building>@<n>`, numbered by the store).
 */
import { ModelCardSchema, type PinnedModelSource } from '@nilm/ml';
import type { FinetuneStore } from '@nilm/stores';

export function pinnedModelsOf(metadata: Pick<FinetuneStore, 'getPinnedModel'>): PinnedModelSource {
  return {
    load: async (ref) => {
      const m = await metadata.getPinnedModel(ref);
      if (!m) return undefined;
      const at = ref.lastIndexOf('@');
      const card = ModelCardSchema.parse({
        ...m.card,
        id: ref.slice(0, at),
        version: ref.slice(at + 1),
      });
      return { card, bytes: m.onnx };
    },
  };
}
