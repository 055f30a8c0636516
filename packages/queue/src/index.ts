// The job queue package: the contract, the in-process queue and the BullMQ queue. The
// conformance suite (`queue.conformance.ts`) imports vitest, so tests import it by path.
export * from './job.queue.js';
export * from './memory.job.queue.js';
export * from './bullmq.job.queue.js';
