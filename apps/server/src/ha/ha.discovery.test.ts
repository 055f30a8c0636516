// Proves the Home Assistant discovery messages: one device per building, the topics HA expects
// (homeassistant/<component>/<node_id>/<object_id>/config), the classes the Energy dashboard
// needs (power: measurement in W; energy: total_increasing in kWh), a shared availability topic,
// and a state message whose keys are exactly the entities' value_template keys.
import { describe, expect, it } from 'vitest';
import {
  availabilityTopic,
  discoveryConfigs,
  entityIds,
  stateMessage,
  stateTopic,
} from './ha.discovery.js';

const T = { prefix: 'homeassistant', base: 'nilm' };
const building = { id: 'home-1', name: 'Our house' };
const appliances = [
  { name: 'kettle', label: 'Kettle' },
  { name: 'washing_machine', label: 'Washing machine' },
];

describe('discoveryConfigs', () => {
  const messages = discoveryConfigs(T, building, appliances, 'nilm-monitor');
  const byTopic = new Map(messages.map((m) => [m.topic, JSON.parse(m.payload)]));

  it('publishes mains, three entities per appliance, other and baseload, at HA topics', () => {
    expect(messages.map((m) => m.topic)).toEqual([
      'homeassistant/sensor/nilm_home-1/mains_power/config',
      'homeassistant/sensor/nilm_home-1/kettle_power/config',
      'homeassistant/sensor/nilm_home-1/kettle_energy/config',
      'homeassistant/binary_sensor/nilm_home-1/kettle_on/config',
      'homeassistant/sensor/nilm_home-1/washing_machine_power/config',
      'homeassistant/sensor/nilm_home-1/washing_machine_energy/config',
      'homeassistant/binary_sensor/nilm_home-1/washing_machine_on/config',
      'homeassistant/sensor/nilm_home-1/other_power/config',
      'homeassistant/sensor/nilm_home-1/other_energy/config',
      'homeassistant/sensor/nilm_home-1/baseload_power/config',
      'homeassistant/sensor/nilm_home-1/baseload_energy/config',
    ]);
    expect(entityIds(appliances)).toHaveLength(messages.length);
  });

  it('gives power and energy sensors the classes the Energy dashboard needs', () => {
    const power = byTopic.get('homeassistant/sensor/nilm_home-1/kettle_power/config');
    expect(power).toMatchObject({
      name: 'Kettle power',
      unique_id: 'nilm_home-1_kettle_power',
      device_class: 'power',
      state_class: 'measurement',
      unit_of_measurement: 'W',
      state_topic: 'nilm/home-1/ha/state',
      value_template: '{{ value_json.kettle_power }}',
      availability_topic: 'nilm/home-1/ha/availability',
      payload_available: 'online',
      payload_not_available: 'offline',
    });
    expect(power.device).toEqual({
      identifiers: ['nilm_home-1'],
      name: 'Our house',
      manufacturer: 'NILM Monitor',
      model: 'Per-appliance estimates (non-intrusive load monitoring)',
      sw_version: 'nilm-monitor',
    });
    expect(byTopic.get('homeassistant/sensor/nilm_home-1/kettle_energy/config')).toMatchObject({
      device_class: 'energy',
      state_class: 'total_increasing',
      unit_of_measurement: 'kWh',
    });
    expect(byTopic.get('homeassistant/binary_sensor/nilm_home-1/kettle_on/config')).toMatchObject({
      payload_on: 'ON',
      payload_off: 'OFF',
      device_class: 'running',
    });
    // Every entity of the building has its own unique id.
    const ids = [...byTopic.values()].map((c) => c.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('stateMessage', () => {
  it('carries one value per entity, rounded, on the building state topic', () => {
    const m = stateMessage(T, 'home-1', {
      ts: Date.UTC(2024, 0, 1, 12, 0),
      mainsW: 2512.345,
      appliances: {
        kettle: { powerW: 2301.26, on: true, energyTodayKwh: 0.41234 },
        washing_machine: { powerW: 0, on: false, energyTodayKwh: 0 },
      },
      otherW: 211.085,
      otherTodayKwh: 3.21,
      baseloadW: 95.5,
      baseloadTodayKwh: 1.1,
    });
    expect(m.topic).toBe(stateTopic(T, 'home-1'));
    const body = JSON.parse(m.payload);
    expect(body).toEqual({
      time: '2024-01-01T12:00:00.000Z',
      mains_power: 2512.3,
      kettle_power: 2301.3,
      kettle_energy: 0.412,
      kettle_on: 'ON',
      washing_machine_power: 0,
      washing_machine_energy: 0,
      washing_machine_on: 'OFF',
      other_power: 211.1,
      other_energy: 3.21,
      baseload_power: 95.5,
      baseload_energy: 1.1,
    });
    // Every value_template names a key of the state.
    for (const [, objectId] of entityIds([
      { name: 'kettle', label: 'Kettle' },
      { name: 'washing_machine', label: 'Washing machine' },
    ]))
      expect(Object.keys(body)).toContain(objectId);
    expect(availabilityTopic(T, 'home-1')).toBe('nilm/home-1/ha/availability');
  });
});
