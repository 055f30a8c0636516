// Proves canonical names and aliases resolve, unknown names fail clearly, and on/off states
// follow the threshold and minimum on/off durations.
import { describe, expect, it } from 'vitest';
import { NilmError } from '../errors.js';
import { applianceSpec, canonicalAppliance, findAppliance, onOffStates } from './appliances.js';

describe('appliance names', () => {
  it('maps dataset spellings to canonical names', () => {
    expect(canonicalAppliance('WashingMachine')).toBe('washing_machine');
    expect(canonicalAppliance('washer dryer')).toBe('washer_dryer');
    expect(canonicalAppliance('Kettle')).toBe('kettle');
    expect(canonicalAppliance('Fridge-Freezer')).toBe('fridge_freezer');
    expect(canonicalAppliance('dish_washer')).toBe('dishwasher');
    expect(findAppliance('HiFi')).toBeUndefined();
  });

  it('knows every appliance column of the shared data and the whole-home loads', () => {
    // Headers of ../shared/data (refit, refit-day, ideal, ampds, tracebase folders).
    const columns: Record<string, string> = {
      Kettle: 'kettle',
      Microwave: 'microwave',
      Dishwasher: 'dishwasher',
      WashingMachine: 'washing_machine',
      WasherDryer: 'washer_dryer',
      Fridge: 'fridge',
      Freezer: 'freezer',
      FridgeFreezer: 'fridge_freezer',
      TumbleDryer: 'tumble_dryer',
      ElectricHeater: 'electric_heater',
      TV: 'television',
      Computer: 'computer',
      Toaster: 'toaster',
      Lamp: 'lighting',
      OvenExtractorFan: 'range_hood',
      Shower: 'electric_shower',
      HeatPump: 'heat_pump',
      Cooker: 'cooker',
      // The names issue 10 asks for as CSV columns.
      Furnace: 'furnace',
      AirConditioner: 'air_conditioner',
      EVCharger: 'ev_charger',
      WaterHeater: 'water_heater',
      Lighting: 'lighting',
      StorageHeater: 'storage_heater',
    };
    for (const [column, name] of Object.entries(columns))
      expect([column, canonicalAppliance(column)]).toEqual([column, name]);
    // Mixed or small loads stay outside the vocabulary (a warning in eval, not a head).
    for (const column of ['KettleToaster', 'BasementPlugsLights', 'HiFi', 'Router', 'WaterBoiler'])
      expect(findAppliance(column)).toBeUndefined();
  });

  it('refuses unknown appliances with the list of known ones', () => {
    expect(() => canonicalAppliance('hifi')).toThrow(NilmError);
    expect(() => canonicalAppliance('hifi')).toThrow(
      /unknown appliance "hifi"; known: kettle, microwave/,
    );
  });

  it('has the documented thresholds at 60 s', () => {
    expect(applianceSpec('kettle').onPowerW).toBe(1000);
    expect(applianceSpec('microwave').onPowerW).toBe(200);
    expect(applianceSpec('dishwasher').onPowerW).toBe(10);
    expect(applianceSpec('washing_machine').onPowerW).toBe(20);
    expect(applianceSpec('fridge').onPowerW).toBe(50);
    expect(applianceSpec('water_heater')).toMatchObject({ onPowerW: 1000, minOnS: 60 });
    expect(applianceSpec('air_conditioner')).toMatchObject({ minOnS: 180, minOffS: 180 });
  });
});

describe('onOffStates', () => {
  it('thresholds power', () => {
    expect(
      Array.from(onOffStates([0, 100, 99, 100], 60, { onPowerW: 100, minOnS: 0, minOffS: 0 })),
    ).toEqual([0, 1, 0, 1]);
  });

  it('bridges off gaps shorter than minOff', () => {
    const p = [0, 50, 0, 0, 50, 0, 0, 0, 50];
    // minOff 3 samples: the 2-sample gap is bridged, the 3-sample gap is not.
    expect(Array.from(onOffStates(p, 60, { onPowerW: 20, minOnS: 0, minOffS: 180 }))).toEqual([
      0, 1, 1, 1, 1, 0, 0, 0, 1,
    ]);
  });

  it('drops runs shorter than minOn', () => {
    const p = [50, 0, 50, 50, 50, 0];
    expect(Array.from(onOffStates(p, 60, { onPowerW: 20, minOnS: 180, minOffS: 0 }))).toEqual([
      0, 0, 1, 1, 1, 0,
    ]);
  });

  it('never bridges across missing data', () => {
    const p = [50, NaN, 50];
    expect(Array.from(onOffStates(p, 60, { onPowerW: 20, minOnS: 0, minOffS: 600 }))).toEqual([
      1, 0, 1,
    ]);
  });
});
