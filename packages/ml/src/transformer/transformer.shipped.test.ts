// Proves that the graph builder still builds the shipped models: for every transformer under
// models/, the graph rebuilt from its weights and card (shared layer blocks, gating, Platt
// scaling) exports to the very bytes of the shipped model.onnx, and both compute bit-for-bit the
// same power and on-probabilities for the same mains.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportInferenceModel } from '../onnx/graph.export.js';
import { decodeModel } from '../onnx/graph.serialize.js';
import { createInferenceSession } from '../onnx/graph.session.js';
import {
  buildTransformerGraph,
  INPUT_MAINS,
  OUTPUT_ON_PROB,
  OUTPUT_POWER,
} from './transformer.graph.js';
import { readModelCard, readVerifiedWeights } from './transformer.disaggregator.js';

const SHIPPED = fileURLToPath(new URL('../../../../models/nilm-transformer/', import.meta.url));
const versions = readdirSync(SHIPPED).sort();

/** The float32 initializers of an ONNX model, by name. */
function initializers(bytes: Uint8Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const init of decodeModel(bytes).graph?.initializer ?? []) {
    const raw = init.rawData!;
    // Copy: the decoded bytes are a view into the file buffer, maybe not 4-byte aligned.
    out.set(init.name!, new Float32Array(Uint8Array.from(raw).buffer));
  }
  return out;
}

/** Mains windows with kettle-like steps on a varying baseload, batch `n`. */
function mains(n: number, length: number): Float32Array {
  return Float32Array.from({ length: n * length }, (_, i) => {
    const t = i % length;
    const w = Math.floor(i / length);
    return 150 + 40 * Math.sin(t / 7 + w) + (t % 50 < 4 + w ? 2800 : 0) + (t % 90 > 60 ? 700 : 0);
  });
}

describe('shipped transformer models', () => {
  it('finds the shipped versions', () => {
    expect(versions.length).toBeGreaterThan(0);
  });

  it.each(versions)(
    '%s: rebuilt from its weights, exports to the same bytes and the same outputs',
    async (version) => {
      const dir = join(SHIPPED, version);
      const card = await readModelCard(dir);
      const shipped = await readVerifiedWeights(dir, card);
      const weights = initializers(shipped);
      const built = buildTransformerGraph(
        {
          arch: card.architecture,
          appliances: card.appliances.map((a) => a.name),
          powerScaleW: card.appliances.map((a) => a.power_scale_w),
        },
        {
          weights,
          ...(card.appliances[0]?.calibration
            ? {
                calibration: {
                  scale: card.appliances.map((a) => a.calibration!.scale),
                  offset: card.appliances.map((a) => a.calibration!.offset),
                },
              }
            : {}),
        },
      );
      const rebuilt = exportInferenceModel(built.graph, [built.power, built.onProb]);
      expect(Buffer.from(rebuilt).equals(Buffer.from(shipped))).toBe(true);

      const L = card.window;
      const x = mains(3, L);
      const run = async (bytes: Uint8Array): Promise<ort.InferenceSession.OnnxValueMapType> => {
        const session = await createInferenceSession(bytes);
        try {
          return await session.run({ [INPUT_MAINS]: new ort.Tensor('float32', x, [3, L]) });
        } finally {
          await session.release();
        }
      };
      const [a, b] = [await run(shipped), await run(rebuilt)];
      for (const name of [OUTPUT_POWER, OUTPUT_ON_PROB]) {
        const got = b[name]!.data as Float32Array;
        expect(got.length).toBe(3 * card.appliances.length * L);
        expect(got).toEqual(a[name]!.data as Float32Array);
      }
      // Not a constant model: the kettle steps move the outputs.
      const power = b[OUTPUT_POWER]!.data as Float32Array;
      expect(Math.max(...power)).toBeGreaterThan(Math.min(...power));
    },
    120_000,
  );
});
