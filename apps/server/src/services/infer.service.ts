/**
 * `POST /infer`: one window of mains through a model, apart from HTTP. The window must be as
 * long as the model's and hold powers in 0..MAX_POWER_W (the ingest limit: what a meter may
 * send is what a window may hold); the answer is rounded for the wire (0.1 W, 0.001).
 */
import type { InferResponse } from '@nilm/contracts';
import type { InferenceEngine, TransformerModel } from '@nilm/ml';
import { ApiError } from '../errors.js';
import { MAX_POWER_W } from './ingest.service.js';

/** Refuse a window the model cannot take; says which value is wrong and what is expected. */
export function checkInferWindow(
  window: readonly number[],
  model: Pick<TransformerModel, 'window' | 'periodS' | 'card'>,
): void {
  if (window.length !== model.window) {
    throw new ApiError(
      'VALIDATION_WINDOW',
      `window has ${window.length} values; model ${model.card.id}@${model.card.version} takes exactly ${model.window} (one per ${model.periodS} s)`,
    );
  }
  const bad = window.findIndex((v) => !Number.isFinite(v) || v < 0 || v > MAX_POWER_W);
  if (bad >= 0)
    throw new ApiError(
      'VALIDATION_POWER',
      `window[${bad}] = ${window[bad]} is not a power in 0..${MAX_POWER_W} W`,
    );
}

/** Check `window`, run it through the model `ref` (default: the active one) and shape the answer. */
export async function inferWindow(
  engine: Pick<InferenceEngine, 'model' | 'infer'>,
  window: readonly number[],
  ref: string | undefined,
): Promise<InferResponse> {
  const model = await engine.model(ref);
  checkInferWindow(window, model);
  const name = `${model.card.id}@${model.card.version}`;
  const out = await engine.infer(Float32Array.from(window), 1, name);
  const L = model.window;
  const appliances: InferResponse['appliances'] = {};
  model.card.appliances.forEach((a, i) => {
    appliances[a.name] = {
      power_w: Array.from(out.power.subarray(i * L, (i + 1) * L), (v) => Math.round(v * 10) / 10),
      on_prob: Array.from(
        out.onProb.subarray(i * L, (i + 1) * L),
        (v) => Math.round(v * 1000) / 1000,
      ),
      on_threshold: a.on_prob_threshold,
    };
  });
  return { model: name, period_s: model.periodS, appliances };
}
