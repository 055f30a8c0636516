#!/usr/bin/env node
/**
 * Add the run-level scores (event_precision, event_recall, event_f1, runs_true, runs_pred) that
 * `nilm eval` prints to a model card trained before eval had them, without retraining and without
 * changing any number the card already holds. It refuses unless the eval report is the card's own
 * test: same samples and, per appliance, every figure the card has equal to the report's.
 *
 *   npx nilm eval --model nilm-transformer@2026.11.27 \
 *     --data "../shared/data/refit/REFIT_House20_*" --json > /tmp/eval.json
 *   node scripts/card-add-run-scores.mjs models/nilm-transformer/2026.11.27/card.json /tmp/eval.json
 */
import { readFileSync, writeFileSync } from 'node:fs';

const RUN_FIELDS = ['event_precision', 'event_recall', 'event_f1', 'runs_true', 'runs_pred'];

const [cardFile, evalFile] = process.argv.slice(2);
if (!cardFile || !evalFile) {
  console.error(
    'usage: node scripts/card-add-run-scores.mjs <card.json> <nilm eval --json output>',
  );
  process.exit(2);
}
const card = JSON.parse(readFileSync(cardFile, 'utf8'));
const report = JSON.parse(readFileSync(evalFile, 'utf8'));
const fail = (message) => {
  console.error(`${cardFile}: ${message}; card left unchanged`);
  process.exit(2);
};
if (!card.test) fail('the card has no test section');
if (report.samples !== card.test.samples)
  fail(`eval scored ${report.samples} samples, the card's test ${card.test.samples}`);
for (const [name, scores] of Object.entries(card.test.appliances)) {
  const got = report.appliances[name];
  if (!got) fail(`eval has no scores for ${name}`);
  for (const [key, value] of Object.entries(scores))
    if (key in got && got[key] !== value)
      fail(`${name}.${key} is ${value} on the card and ${got[key]} in the eval`);
  for (const key of RUN_FIELDS) scores[key] = got[key];
}
writeFileSync(cardFile, `${JSON.stringify(card, null, 2)}\n`);
console.log(
  `${cardFile}: added ${RUN_FIELDS.join(', ')} for ${Object.keys(card.test.appliances).join(', ')}`,
);
