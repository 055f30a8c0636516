/** Analytic FLOP count of one forward pass over one window (multiply-add = 2 FLOPs). */
import type { Architecture } from './transformer.config.js';

/** FLOPs of the matrix products and convolutions of one window; element-wise ops are left out. */
export function forwardFlops(arch: Architecture, appliances: number): number {
  const L = arch.window;
  const T = L / arch.patch;
  const d = arch.dModel;
  let f = 0;
  f += 2 * L * d * 2 * arch.kernel; // conv1: 2 input features
  f += 2 * T * d * d * arch.patch; // patching conv
  const perLayer =
    4 * 2 * T * d * d + // q, k, v, out projections
    2 * 2 * T * T * d + // scores and context
    2 * 2 * T * d * arch.ffDim; // feed-forward
  f += arch.layers * perLayer;
  f += appliances * (2 * T * d * arch.headHidden + 2 * T * arch.headHidden * 2 * arch.patch);
  return f;
}
