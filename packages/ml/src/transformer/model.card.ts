/**
 * The model card: everything a model directory says about itself, in `card.json` next to
 * `model.onnx`. Loading checks it against this schema and the weights against its sha256.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ArchitectureSchema } from './transformer.config.js';

const Scores = z.record(z.string(), z.record(z.string(), z.union([z.number(), z.null()])));

export const ModelCardSchema = z.object({
  format: z.literal('nilm-model'),
  format_version: z.literal(1),
  kind: z.literal('transformer'),
  /** Model identifier and version, e.g. `nilm-transformer` / `2026.11.27-1`. */
  id: z.string().min(1),
  version: z.string().min(1),
  created: z.string(),
  description: z.string().optional(),
  appliances: z.array(
    z.object({
      name: z.string(),
      label: z.string(),
      /** Appliances whose summed power this head estimates (a group head), when more than itself. */
      members: z.array(z.string()).optional(),
      on_threshold_w: z.number(),
      power_scale_w: z.number().positive(),
      /** Decision threshold on `on_prob`, chosen for F1 on validation data. */
      on_prob_threshold: z.number().min(0).max(1).default(0.5),
      /** Platt scaling of the on/off logit baked into `on_prob` (scale, offset). */
      calibration: z.object({ scale: z.number(), offset: z.number() }).optional(),
      /**
       * Conditional calibration applied after the graph: per level of estimated power (edges in
       * W), an isotonic map of on_prob (knots x -> y). `on_prob_threshold` and `band` are on
       * the mapped probability.
       */
      prob_levels: z
        .object({
          edges_w: z.array(z.number()),
          maps: z.array(z.object({ x: z.array(z.number()), y: z.array(z.number()) })),
        })
        .optional(),
      /**
       * Uncertainty band: by bins of on_prob (edges), the 90th percentile of |true - estimated|
       * power on validation data; the band is estimate +- that value, floored at 0 W.
       */
      band: z.object({ edges: z.array(z.number()), q90_w: z.array(z.number()) }).optional(),
    }),
  ),
  /**
   * Post-processing of the estimates into runs (`models/runs.postprocess.ts`), applied by
   * inference; absent: raw per-minute estimates (models before it). `runs-v1` turns the pauses
   * inside a merged washing machine / dishwasher cycle on, `runs-v2` leaves them off, `runs-v3`
   * is `runs-v2` plus a tumble dryer found in the mains by its cool-down (models/dryer.signature.ts).
   */
  postprocess: z.enum(['runs-v1', 'runs-v2', 'runs-v3']).optional(),
  /**
   * The heads `postprocess` applies to (absent: all). A model whose heads were trained on a
   * base model's frozen encoder keeps the base's heads raw, exactly as the base served them.
   */
  postprocess_heads: z.array(z.string()).optional(),
  period_s: z.number().positive(),
  window: z.number().int().positive(),
  architecture: ArchitectureSchema,
  normalisation: z.object({
    input_scale_w: z.number().positive(),
    features: z.array(z.string()),
  }),
  inputs: z.record(z.string(), z.string()),
  outputs: z.record(z.string(), z.string()),
  parameters: z.number().int().nonnegative(),
  gflop_per_window: z.number().nonnegative(),
  training: z.object({
    data: z.array(z.string()),
    licence: z.string(),
    command: z.string(),
    config: z.unknown(),
    seed: z.number(),
    epochs: z.number().int(),
    best_epoch: z.number().int(),
    windows_seen: z.number().int(),
    seconds: z.number(),
  }),
  /**
   * A model fine-tuned on one home (`transformer.finetune.ts`): its base, the heads it trained
   * (and those it added), and how the training went.
   */
  finetune: z
    .object({
      base: z.string(),
      heads: z.array(z.string()),
      added: z.array(z.string()),
      settings: z.unknown(),
      epochs: z.number().int(),
      best_epoch: z.number().int(),
      val_loss: z.number(),
      seconds: z.number(),
      stopped_by_time: z.boolean(),
    })
    .optional(),
  /**
   * Heads trained on the frozen encoder of another model (`heads.train.ts`): the base, the heads
   * that learnt (on the config's data), the others kept bit for bit from the base.
   */
  base: z.object({ model: z.string(), heads: z.array(z.string()) }).optional(),
  validation: Scores,
  /** Per validation house at the best epoch: per head it meters, F1 (at 0.5) and MAE W. */
  validation_houses: z
    .record(
      z.string(),
      z.record(z.string(), z.object({ f1: z.union([z.number(), z.null()]), mae_w: z.number() })),
    )
    .optional(),
  /** Figures about this model (reliability diagrams on held-out houses), paths in the repository. */
  figures: z.array(z.string()).optional(),
  /** Scores on data the model never saw (a held-out house), as `nilm eval` reports them. */
  test: z
    .object({
      data: z.array(z.string()),
      samples: z.number(),
      appliances: Scores,
      mean: z.record(z.string(), z.union([z.number(), z.null()])),
      baselines: z
        .record(z.string(), z.record(z.string(), z.union([z.number(), z.null()])))
        .optional(),
      /**
       * The training config the baselines were fitted with (on its training split, for the
       * model's heads): `nilm eval --model <baseline> --config <this>` prints the same numbers.
       */
      baselines_config: z.string().optional(),
      /** Per held-out house: samples, explained share and per-appliance F1 / MAE (model and CO). */
      houses: z.array(z.record(z.string(), z.unknown())).optional(),
    })
    .optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type ModelCard = z.infer<typeof ModelCardSchema>;

/** Hex sha256 of a byte array. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
