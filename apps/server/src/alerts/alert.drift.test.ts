// Proves the model_drift alert on the embedded stores: a building whose kettle estimate drifted
// from its sub-meter gets one alert with the scorecard's sentence when two evaluators judge it at
// once and again later that day, one more the next day; nothing while the rule is off (the
// default, also for settings saved before the rule existed) or when the estimate holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_SETTINGS, type AlertSettingsBody } from '@nilm/contracts';
import { openTestApp, type TestApp } from '../app.fixture.js';
import { kettleSpan, storeKettle } from '../services/submeter.scorecard.fixture.js';
import { AlertEvaluator } from './alert.evaluator.js';

const MIN = 60_000;
const DAY = 86_400_000;
/** 2026-11-30 12:00 UTC. */
const T0 = Date.UTC(2026, 10, 30, 12);

let t: TestApp;
let clock = T0;

beforeAll(async () => {
  t = await openTestApp({}, { now: () => clock });
  // In the 23 days before the week: 90 of 100 boils caught; in the week (five days back, so it
  // is still in the week a day later): 40 of 100.
  for (const [id, caught] of [
    ['drifted', 40],
    ['steady', 90],
    ['off', 40],
    ['old', 40],
  ] as const)
    await storeKettle(t.parts, id, [
      ...kettleSpan(T0 - 25 * DAY, 90),
      ...kettleSpan(T0 - 5 * DAY, caught),
    ]);
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const withDrift = (enabled: boolean): AlertSettingsBody => {
  const s = structuredClone(DEFAULT_ALERT_SETTINGS) as AlertSettingsBody;
  s.rules.model_drift.enabled = enabled;
  return s;
};

const evaluator = () =>
  new AlertEvaluator({ ...t.parts, now: () => clock, log: { warn: () => undefined } });

const driftAlerts = async (id: string) =>
  (await t.parts.metadata.listAlerts(id, 50)).filter((a) => a.kind === 'model_drift');

describe('the model_drift alert', () => {
  it('is raised once per appliance and day, however many evaluators judge it', async () => {
    await t.parts.metadata.setAlertSettings('drifted', withDrift(true));
    const [a, b] = [evaluator(), evaluator()];
    const raised = (await Promise.all([a.evaluate('drifted'), b.evaluate('drifted')])).flat();
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      kind: 'model_drift',
      dedupeKey: 'model_drift:kettle:2026-11-30',
      title: 'Kettle estimate drifted',
      message:
        'The kettle estimate has drifted: F1 0.92 → 0.55 this week; mean error 9 W → 42 W this week; 1.4 kWh estimated this week against 3.3 kWh metered (-57 %).',
      at: T0,
      data: { appliance: 'kettle', model: 'tiny@1' },
    });
    clock = T0 + 3 * 60 * MIN;
    expect(await a.evaluate('drifted')).toEqual([]);
    expect(await evaluator().evaluate('drifted')).toEqual([]);
    expect(await driftAlerts('drifted')).toHaveLength(1);

    // The next day it is judged again, and told again while it stays drifted.
    clock = T0 + DAY;
    expect((await a.evaluate('drifted')).map((r) => r.dedupeKey)).toEqual([
      'model_drift:kettle:2026-12-01',
    ]);
    expect(await evaluator().evaluate('drifted')).toEqual([]);
    expect(await driftAlerts('drifted')).toHaveLength(2);
    clock = T0;
  });

  it('is not raised when the estimate holds, nor while the rule is off', async () => {
    await t.parts.metadata.setAlertSettings('steady', withDrift(true));
    expect(await evaluator().evaluate('steady')).toEqual([]);

    await t.parts.metadata.setAlertSettings('off', withDrift(false));
    expect(DEFAULT_ALERT_SETTINGS.rules.model_drift.enabled).toBe(false);
    expect(await evaluator().evaluate('off')).toEqual([]);

    // Settings saved before the rule existed have no model_drift: the default (off) applies.
    const { model_drift: _, ...rules } = withDrift(true).rules;
    await t.parts.metadata.setAlertSettings('old', { ...withDrift(true), rules });
    expect(await evaluator().evaluate('old')).toEqual([]);
    expect(await driftAlerts('off')).toEqual([]);
    expect(await driftAlerts('old')).toEqual([]);
  });
});
