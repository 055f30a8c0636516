// Time-series stores. Their conformance suite (`timeseries.conformance.ts`) is left out for the
// same reason as the metadata one below: it imports vitest, a dev dependency that a production
// install lacks; test files import it by path.
export * from './timeseries.store.js';
export * from './duckdb.timeseries.store.js';
export * from './influx.timeseries.store.js';
// Metadata stores. The conformance suite is left out on purpose: it imports vitest, which has
// no place in the server's runtime; test files import it by path.
export * from './metadata.store.js';
export * from './estimate.backlog.js';
export * from './alert.store.js';
export * from './price.store.js';
export * from './device.store.js';
export * from './label.store.js';
export * from './finetune.store.js';
export * from './watermark.store.js';
export * from './watermarked.timeseries.store.js';
export * from './metadata.migrations.js';
export * from './sql.metadata.store.js';
export * from './pglite.metadata.store.js';
export * from './postgres.metadata.store.js';
