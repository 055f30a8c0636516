// Proves the formatting helpers show power, energy and clock times in each unit a person may choose (W/kW/auto, kWh/Wh, 24/12-hour), with axis ticks without trailing zeros and a dash for missing values; grid power says import or export in words, and status times read as "12 s ago"; in German and Dutch numbers, money and appliance names follow the language.
import { afterEach, describe, expect, it } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import {
  applianceName,
  defaultUnits,
  formatAgo,
  formatGridPower,
  formatDateTime,
  formatKwh,
  formatKwhTick,
  formatMoney,
  formatPercent,
  formatPower,
  formatPowerTick,
  formatTime,
} from './format.js';

const pinned = { locale: 'en-US', timeZone: 'UTC' };
/** ICU versions differ on the space before AM/PM (U+0020 or U+202F). */
const spaced = (s: string) => s.replace(/\s/g, ' ');

describe('formatPower', () => {
  it('picks W or kW by size in auto, the default', () => {
    expect(formatPower(412.4)).toBe('412 W');
    expect(formatPower(2310, defaultUnits)).toBe('2.31 kW');
    expect(formatPower(-1500)).toBe('-1.50 kW');
  });

  it('keeps to the chosen unit: whole watts, or kW with three decimals under 1 kW', () => {
    expect(formatPower(2310, { power: 'W' })).toBe('2310 W');
    expect(formatPower(412, { power: 'kW' })).toBe('0.412 kW');
    expect(formatPower(2310, { power: 'kW' })).toBe('2.31 kW');
  });

  it('shows a dash for missing or non-finite power', () => {
    expect(formatPower(null)).toBe('–');
    expect(formatPower(undefined, { power: 'kW' })).toBe('–');
    expect(formatPower(Number.NaN)).toBe('–');
  });

  it('writes axis ticks without trailing zeros', () => {
    expect(formatPowerTick(1500)).toBe('1.5 kW');
    expect(formatPowerTick(500)).toBe('500 W');
    expect(formatPowerTick(0, { power: 'kW' })).toBe('0 kW');
    expect(formatPowerTick(250, { power: 'kW' })).toBe('0.25 kW');
    expect(formatPowerTick(2500, { power: 'W' })).toBe('2500 W');
  });
});

describe('formatKwh', () => {
  it('shows kWh with three decimals under 1 kWh, two above', () => {
    expect(formatKwh(0.1234)).toBe('0.123 kWh');
    expect(formatKwh(3.4199)).toBe('3.42 kWh');
  });

  it('shows Wh when chosen, with one decimal under 10 Wh', () => {
    expect(formatKwh(3.42, { energy: 'Wh' })).toBe('3420 Wh');
    expect(formatKwh(0.0042, { energy: 'Wh' })).toBe('4.2 Wh');
    expect(formatKwh(null, { energy: 'Wh' })).toBe('–');
  });

  it('writes axis ticks without trailing zeros', () => {
    expect(formatKwhTick(1.5)).toBe('1.5 kWh');
    expect(formatKwhTick(0)).toBe('0 kWh');
    expect(formatKwhTick(1.5, { energy: 'Wh' })).toBe('1500 Wh');
  });
});

describe('formatTime and formatDateTime', () => {
  const t = Date.UTC(2026, 0, 2, 15, 5, 9);
  const midnight = Date.UTC(2026, 0, 2, 0, 30);

  it('uses a 24-hour clock by default, with 00 after midnight', () => {
    expect(formatTime(t, defaultUnits, pinned)).toBe('15:05');
    expect(formatTime(midnight, defaultUnits, pinned)).toBe('00:30');
    expect(formatTime(t, { time: '24h' }, { ...pinned, seconds: true })).toBe('15:05:09');
  });

  it('uses a 12-hour clock when chosen, with 12 after midnight', () => {
    expect(spaced(formatTime(t, { time: '12h' }, pinned))).toBe('3:05 PM');
    expect(spaced(formatTime(midnight, { time: '12h' }, pinned))).toBe('12:30 AM');
  });

  it('uses the chosen clock even where the locale prefers the other one', () => {
    expect(formatTime(t, { time: '12h' }, { locale: 'en-GB', timeZone: 'UTC' })).toMatch(
      /^3:05\s?pm$/i,
    );
    expect(formatTime(t, { time: '24h' }, pinned)).toBe('15:05');
  });

  it('adds the date for date and time', () => {
    expect(formatDateTime(t, { time: '24h' }, pinned)).toBe('Jan 2, 2026, 15:05');
    expect(spaced(formatDateTime(t, { time: '12h' }, pinned))).toBe('Jan 2, 2026, 3:05 PM');
  });
});

describe('formatGridPower and formatAgo', () => {
  it('names the direction of grid power instead of leaning on a minus sign', () => {
    expect(formatGridPower(392.572)).toBe('393 W import');
    expect(formatGridPower(-543)).toBe('543 W export');
    expect(formatGridPower(-2310)).toBe('2.31 kW export');
    expect(formatGridPower(-2310, { power: 'W' })).toBe('2310 W export');
    expect(formatGridPower(0)).toBe('0 W');
    expect(formatGridPower(null)).toBe('–');
  });

  it('says how long ago in seconds, minutes, hours and days', () => {
    const now = Date.UTC(2026, 0, 2, 12, 0, 0);
    expect(formatAgo(new Date(now - 12_400).toISOString(), now)).toBe('12 s ago');
    expect(formatAgo(now - 300, now)).toBe('just now');
    expect(formatAgo(now + 2000, now)).toBe('just now');
    expect(formatAgo(now - 5 * 60_000 - 1, now)).toBe('5 min ago');
    expect(formatAgo(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(formatAgo(now - 2 * 86_400_000, now)).toBe('2 d ago');
    expect(formatAgo(null, now)).toBe('never');
  });
});

describe('in German and Dutch', () => {
  afterEach(async () => {
    await showLanguage('en');
  });

  it('writes decimals with a comma, percentages and money as each language does', async () => {
    await showLanguage('de');
    expect(formatPower(2310)).toBe('2,31 kW');
    expect(formatKwh(0.1234)).toBe('0,123 kWh');
    expect(formatPowerTick(1500)).toBe('1,5 kW');
    expect(spaced(formatPercent(0.35))).toBe('35 %');
    expect(spaced(formatMoney(1.05, 'EUR'))).toBe('1,05 €');
    expect(formatGridPower(-543)).toBe('543 W Einspeisung');
    await showLanguage('nl');
    expect(formatKwh(3.4199)).toBe('3,42 kWh');
    expect(spaced(formatMoney(1.05, 'EUR'))).toBe('€ 1,05');
    expect(formatAgo(Date.now() - 3 * 86_400_000)).toBe('3 dagen geleden');
  });

  it('names appliances in the language, but keeps a name the household gave', async () => {
    await showLanguage('de');
    expect(applianceName('kettle')).toBe('Wasserkocher');
    expect(applianceName('kettle', 'Kettle')).toBe('Wasserkocher');
    expect(applianceName('kettle', 'Teekessel oben')).toBe('Teekessel oben');
    expect(applianceName('sauna_heater')).toBe('Sauna heater');
  });
});
