// Where one inference call of a transformer model goes, kernel by kernel, from ONNX Runtime's own
// profiler (1 intra-op thread, every optimisation, as the all-in-one process runs it): time per
// op type, and the matrix kernels' share of it (Gemm, MatMul, FusedMatMul, Conv: the work the
// analytic FLOP count of `nilm bench` counts) against everything else (GELU, softmax, layer norm,
// transposes, adds), which bounds the share of the MatMul peak a model can reach.
//
//   npx tsx scripts/model-profile.ts models/nilm-transformer/<version> [--batch 64] [--calls 60]
//
// The model directory holds model.onnx and card.json (its architecture gives the FLOPs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { profileKernels } from '../packages/ml/src/onnx/kernel.profile.js';
import { forwardFlops } from '../packages/ml/src/transformer/transformer.flops.js';
import { readModelCard } from '../packages/ml/src/transformer/transformer.disaggregator.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { batch: { type: 'string', default: '64' }, calls: { type: 'string', default: '60' } },
});
const dir = positionals[0];
const batch = Number(args.batch);
const calls = Number(args.calls);
if (!dir || !Number.isInteger(batch) || batch < 1 || !Number.isInteger(calls) || calls < 1) {
  process.stderr.write(
    'usage: npx tsx scripts/model-profile.ts <model dir with model.onnx and card.json> [--batch 64] [--calls 60]\n',
  );
  process.exit(2);
}
const card = await readModelCard(dir).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
const L = card.architecture.window;
// Mains with appliance-like steps on a baseload (values matter only for realism).
let level = 300;
let seed = 7;
const uniform = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const mains = Float32Array.from({ length: batch * L }, () => {
  if (uniform() < 0.02) level = 150 + uniform() * 3000;
  return level + uniform() * 20;
});
const bytes = readFileSync(join(dir, 'model.onnx'));
const feeds = { mains: { data: mains, dims: [batch, L] } };
await profileKernels(bytes, feeds, 3); // warm-up, not counted
const { kernels } = await profileKernels(bytes, feeds, calls);

const byOp = new Map<string, number>();
for (const k of kernels) byOp.set(k.op, (byOp.get(k.op) ?? 0) + k.us / 1000 / calls);
const total = [...byOp.values()].reduce((a, b) => a + b, 0);
const matrix = ['Gemm', 'MatMul', 'FusedMatMul', 'Conv'].reduce(
  (a, op) => a + (byOp.get(op) ?? 0),
  0,
);
const gflop = (forwardFlops(card.architecture, card.appliances.length) * batch) / 1e9;
process.stdout.write(
  `${card.id}@${card.version}: batch ${batch}, ${calls} calls, ${gflop.toFixed(3)} GFLOP a call\n` +
    `kernel time ${total.toFixed(2)} ms a call (the profiler itself slows a call)
` +
    `matrix kernels (Gemm, MatMul, FusedMatMul, Conv): ${matrix.toFixed(2)} ms = ${((100 * matrix) / total).toFixed(1)} %, ` +
    `${(gflop / (matrix / 1000)).toFixed(1)} GFLOP/s while they run; everything else ${(total - matrix).toFixed(2)} ms\n`,
);
for (const [op, ms] of [...byOp].sort((a, b) => b[1] - a[1]))
  process.stdout.write(
    `  ${op.padEnd(24)} ${ms.toFixed(3).padStart(7)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)} %\n`,
  );
