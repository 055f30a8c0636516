export * from './api.contracts.js';
