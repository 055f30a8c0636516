// Proves series colours depend on the appliance alone: the same colour on every chart, whatever else is shown.
import { describe, expect, it } from 'vitest';
import { OTHER_COLOR, seriesColor } from './colors.js';

describe('seriesColor', () => {
  it('gives known appliances fixed, distinct colours and other its grey', () => {
    const names = ['kettle', 'microwave', 'dishwasher', 'washing_machine', 'fridge'];
    const colours = names.map(seriesColor);
    expect(new Set(colours).size).toBe(names.length);
    expect(colours).not.toContain(OTHER_COLOR);
    expect(seriesColor('other')).toBe(OTHER_COLOR);
  });

  it('gives an unknown appliance the same colour every time', () => {
    expect(seriesColor('tv.lounge')).toBe(seriesColor('tv.lounge'));
    expect(seriesColor('tv.lounge')).toMatch(/^#[0-9a-f]{6}$/);
  });
});
