/**
 * Test support: writes a small, untrained but valid model directory (random weights, full
 * card), so registry and engine tests need no training run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { sha256Hex, type ModelCard } from './model.card.js';
import { ArchitectureSchema } from './transformer.config.js';
import { forwardFlops } from './transformer.flops.js';
import { buildTransformerGraph } from './transformer.graph.js';

/** Write `<dir>/model.onnx` and `<dir>/card.json` for a tiny 2-appliance model. */
export async function writeRandomModel(
  dir: string,
  opts: { id?: string; version?: string; seed?: number } = {},
): Promise<ModelCard> {
  const arch = ArchitectureSchema.parse({
    window: 32,
    patch: 4,
    dModel: 16,
    heads: 2,
    layers: 1,
    ffDim: 32,
    headHidden: 16,
    kernel: 3,
  });
  const appliances = ['kettle', 'washing_machine'];
  const built = buildTransformerGraph(
    { arch, appliances, powerScaleW: [2500, 800] },
    { seed: opts.seed ?? 1 },
  );
  const bytes = exportInferenceModel(built.graph, [built.power, built.onProb]);
  const card: ModelCard = {
    format: 'nilm-model',
    format_version: 1,
    kind: 'transformer',
    id: opts.id ?? 'tiny',
    version: opts.version ?? '1',
    created: new Date(0).toISOString(),
    appliances: [
      {
        name: 'kettle',
        label: 'Kettle',
        on_threshold_w: 1000,
        power_scale_w: 2500,
        on_prob_threshold: 0.5,
      },
      {
        name: 'washing_machine',
        label: 'Washing machine',
        on_threshold_w: 20,
        power_scale_w: 800,
        on_prob_threshold: 0.5,
      },
    ],
    period_s: 60,
    window: 32,
    architecture: arch,
    normalisation: { input_scale_w: 1000, features: [] },
    inputs: { mains: 'float32 [batch, 32]' },
    outputs: { power: 'float32 [batch, 2, 32]', on_prob: 'float32 [batch, 2, 32]' },
    parameters: 0,
    gflop_per_window: forwardFlops(arch, 2) / 1e9,
    training: {
      data: [],
      licence: 'none',
      command: '',
      config: {},
      seed: 0,
      epochs: 0,
      best_epoch: 0,
      windows_seen: 0,
      seconds: 0,
    },
    validation: {},
    sha256: sha256Hex(bytes),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), bytes);
  await writeFile(join(dir, 'card.json'), JSON.stringify(card, null, 2));
  return card;
}
