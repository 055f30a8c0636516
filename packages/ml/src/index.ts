/** Public API of the NILM package: data, metrics, methods and evaluation. */
export * from './errors.js';
export * from './data/series.js';
export * from './data/appliances.js';
export * from './data/resample.js';
export * from './data/csv.reader.js';
export * from './data/dataset.js';
export * from './data/inspect.js';
export * from './metrics/metrics.js';
export * from './models/disaggregator.js';
export * from './models/mean.baseline.js';
export * from './models/co.baseline.js';
export * from './models/model-spec.js';
export * from './eval/evaluate.js';
