export * from './api.contracts.js';
export * from './tariff.rules.js';
