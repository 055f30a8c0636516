export * from './api.contracts.js';
export * from './tariff.rules.js';
export * from './import.rules.js';
export * from './mqtt.rules.js';
export * from './prices.rules.js';
export * from './alert.contracts.js';
export * from './alert.rules.js';
export * from './label.contracts.js';
