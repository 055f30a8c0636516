/**
 * The transformer's architecture as data: sizes, window and period are configuration, never
 * code. The same object is written into every model card, so a model directory says exactly
 * what graph it holds.
 */
import { z } from 'zod';

export const ArchitectureSchema = z
  .object({
    /** Grid period of the model's input and output, seconds. */
    periodS: z.number().positive().default(60),
    /** Samples per window. */
    window: z.number().int().min(8).max(8192).default(256),
    /** Samples per token: the conv embedding's stride, and what each head emits per token. */
    patch: z.number().int().min(1).max(64).default(4),
    dModel: z.number().int().min(4).max(1024).default(64),
    heads: z.number().int().min(1).max(32).default(4),
    layers: z.number().int().min(1).max(24).default(2),
    ffDim: z.number().int().min(4).max(8192).default(128),
    /** Hidden width of each appliance head. */
    headHidden: z.number().int().min(4).max(1024).default(64),
    /** Kernel of the first (full-resolution) convolution of the embedding. */
    kernel: z.number().int().min(1).max(63).default(5),
    dropout: z.number().min(0).max(0.9).default(0.1),
    /** Mains watts are divided by this before entering the network. */
    inputScaleW: z.number().positive().default(1000),
  })
  .strict()
  .refine((a) => a.window % a.patch === 0, { message: 'window must be a multiple of patch' })
  .refine((a) => a.dModel % a.heads === 0, { message: 'dModel must be a multiple of heads' })
  .refine((a) => a.kernel % 2 === 1, { message: 'kernel must be odd' });

export type Architecture = z.infer<typeof ArchitectureSchema>;

/** What one graph is built for: the architecture plus the appliances and their scales. */
export interface ModelSpec {
  arch: Architecture;
  /** Canonical appliance names, one head each, in output order. */
  appliances: string[];
  /** Per appliance: power (W) that the head's normalised output 1.0 stands for. */
  powerScaleW: number[];
}

/** Loss weights, part of the training config. */
export interface LossWeights {
  /** Weight of the on/off cross-entropy against the power terms. */
  bce: number;
  /** Per appliance: weight of positive (on) samples in the cross-entropy. */
  posWeight: number[];
}
