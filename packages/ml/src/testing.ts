/**
 * Test support for other packages' and apps' tests (`@nilm/ml/testing`), kept out of the
 * library's public entry: a small valid model directory with random weights.
 */
export { writeRandomModel } from './transformer/model.fixture.js';
