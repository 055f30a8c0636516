export * from './api.contracts.js';
export * from './tariff.rules.js';
export * from './import.rules.js';
export * from './mqtt.rules.js';
