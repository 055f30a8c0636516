// Proves the plain sentences: uses from run-level recall, the average power error, false alarms,
// which kind of weakness a low F1 is named as, capitals kept in labels like "EV charger", and
// the household view's split into shown, hidden and unseen appliances; and the same in German
// and Dutch.
import { expect, it } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import { householdView, plainLine } from './model.plain.js';

it('names a low-F1 appliance by what goes wrong: misses or false alarms', () => {
  const misses = plainLine('washing_machine', 'Washing machine', {
    f1: 0.15,
    mae_w: 22.2,
    event_recall: 0.08,
    event_precision: 0.4,
  });
  expect(misses.sentence).toBe(
    'Finds fewer than 1 in 10 washing machine uses; its power is off by 22 W on average (over every minute); 6 in 10 uses it reports did not happen.',
  );
  expect(misses.weak).toBe('often misses it (finds fewer than 1 in 10)');
  const alarms = plainLine('dishwasher', 'Dishwasher', {
    f1: 0.06,
    event_recall: 0.92,
    event_precision: 0.2,
  });
  expect(alarms.weak).toBe('often reports it when it is not on');
  expect(plainLine('kettle', 'Kettle', { f1: 0.86, event_recall: 0.9 }).weak).toBeUndefined();
  // Never flattering: 97 % found is 9 in 10, 18 % false reports are 2 in 10.
  expect(
    plainLine('kettle', 'Kettle', { event_recall: 0.974, event_precision: 0.82 }).sentence,
  ).toBe('Finds 9 in 10 kettle uses; 2 in 10 uses it reports did not happen.');
});

it('keeps capitals in a label like "EV charger" and says so when there are no scores', () => {
  expect(plainLine('ev_charger', 'EV charger', { event_recall: 1 }).sentence).toBe(
    'Finds 10 in 10 EV charger uses.',
  );
  expect(plainLine('cooker', 'Cooker', {}).sentence).toBe('The card has no test scores for it.');
});

it('shows the heads the building has, hides the others, lists what no head estimates', () => {
  const view = householdView(
    {
      id: 'm',
      version: '1',
      created: '2026-01-01',
      appliances: [{ name: 'kettle', label: 'Kettle' }, { name: 'microwave' }],
      test: { appliances: { kettle: { f1: 0.9, event_recall: 0.9 }, microwave: { f1: 0.2 } } },
    },
    [
      { name: 'kettle', label: 'Our kettle', present: true },
      { name: 'microwave', label: 'Microwave', present: false },
      { name: 'electric_shower', label: 'Electric shower', present: true },
    ],
  );
  expect(view.lines.map((l) => l.label)).toEqual(['Our kettle']);
  expect(view.hidden).toEqual(['Microwave']);
  expect(view.unseen).toEqual(['Electric shower']);
  expect(view.weak).toEqual([]);
  // Not known which appliances the building has: every head is shown.
  const all = householdView(
    { id: 'm', version: '1', created: '', appliances: [{ name: 'kettle' }] },
    null,
  );
  expect(all.lines.map((l) => l.label)).toEqual(['Kettle']);
});

it('speaks German and Dutch, keeping German nouns capitalised', async () => {
  const scores = { f1: 0.3, mae_w: 12.4, event_recall: 0.9, event_precision: 0.2 };
  try {
    await showLanguage('de');
    const de = householdView(
      {
        id: 'm',
        version: '1',
        created: '2026-01-01',
        appliances: [{ name: 'kettle', label: 'Kettle' }],
        test: { appliances: { kettle: scores } },
      },
      null,
    ).lines[0]!;
    expect(de.label).toBe('Wasserkocher');
    expect(de.sentence).toBe(
      'Erkennt 9 von 10 Einsätzen von „Wasserkocher“; die geschätzte Leistung weicht im Schnitt um 12 W ab (über jede Minute); 8 von 10 gemeldeten Einsätzen gab es gar nicht.',
    );
    expect(de.weak).toBe('meldet es oft, obwohl es nicht läuft');
    await showLanguage('nl');
    expect(plainLine('kettle', 'Waterkoker', scores).sentence).toMatch(
      /^Vindt 9 van de 10 keer dat de waterkoker gebruikt wordt; /,
    );
  } finally {
    await showLanguage('en');
  }
});
