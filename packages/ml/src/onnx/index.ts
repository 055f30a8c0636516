// Public API of the ONNX training engine: declare a graph, differentiate it, run it in ONNX
// Runtime, update weights with AdamW, and export the inference model. In outline (the one model
// built this way is the transformer, transformer/transformer.graph.ts, from layer.blocks.ts):
//
//   const built = buildTransformerGraph(spec, { batch: 32, seed, loss: lossWeights });
//   const training = buildTrainingGraph(built.graph, { loss: built.loss! }); // forward + backward
//   const session = await TrainingSession.create(training);
//   const opt = new AdamW(training.params, { weightDecay: 0.01 });
//   for (...) {
//     const step = await session.run({ ...batch, ...session.dropoutFeeds(rng) });
//     clipGradNorm(step.grads, 1);
//     opt.step(step.grads, lr(i));                                // updates weights in place
//   }
//   const onnxBytes = exportInferenceModel(training.forward, ['power']);   // dynamic batch

export type {
  Attr,
  Dim,
  DType,
  FloatType,
  Graph,
  InitializerDef,
  InputDef,
  InputRole,
  NodeDef,
  Shape,
  TensorData,
  TensorRef,
} from './graph.types.js';
export { DROPOUT_OP } from './graph.types.js';
export { attr, GraphBuilder } from './graph.builder.js';
export type {
  Conv1dOptions,
  ConvTranspose1dOptions,
  GraphBuilderOptions,
  Operand,
  OutputSpec,
  ParamOptions,
} from './graph.builder.js';
export { broadcastShapes, formatShape, reshapeTarget, resolveShape } from './graph.shapes.js';
export { decodeModel, IR_VERSION, OPSET_VERSION, serializeGraph } from './graph.serialize.js';
export type { SerializeOptions } from './graph.serialize.js';
export { bindDims, deriveGraph, exportInferenceModel } from './graph.export.js';
export type { DeriveOptions } from './graph.export.js';
export { buildTrainingGraph, DIFFERENTIABLE_OPS } from './graph.autodiff.js';
export type { TrainableParam, TrainingGraph, TrainingGraphOptions } from './graph.autodiff.js';
export {
  asFloats,
  createForwardSession,
  createInferenceSession,
  GraphSession,
  TrainingSession,
} from './graph.session.js';
export type { Feeds, Outputs, SessionOptions, StepResult } from './graph.session.js';
export { AdamW, clipGradNorm, globalGradNorm } from './adamw.optimizer.js';
export type { AdamWOptions, AdamWState, Gradients, OptimizerParam } from './adamw.optimizer.js';
export { warmupCosine } from './lr.schedule.js';
export type { WarmupCosineOptions } from './lr.schedule.js';
export { fillDropoutMask, Random, randomNormal, randomUniform } from './random.generator.js';
export { checkGradients } from './gradient.check.js';
export type { GradCheckEntry, GradCheckOptions, GradCheckResult } from './gradient.check.js';
