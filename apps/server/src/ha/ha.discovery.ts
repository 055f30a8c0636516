/**
 * Home Assistant MQTT discovery for a building, as pure functions: the retained config message
 * of every entity (one HA device per building) and the JSON state they read. No I/O, so the
 * messages are checked in unit tests and the publisher only sends them.
 *
 * Entities of a building (node id `nilm_<building>`):
 * - `mains_power` (W);
 * - per appliance: `<name>_power` (W, `device_class: power`, `state_class: measurement`),
 *   `<name>_energy` (kWh today in the building's time zone, `device_class: energy`,
 *   `state_class: total_increasing`: it falls to 0 at local midnight, which Home Assistant reads
 *   as a meter reset, so the Energy dashboard can use it as an individual device) and
 *   `<name>_on` (a `binary_sensor`, on when the on-probability reaches the model's threshold);
 * - `other_power` / `other_energy` (what the named appliances do not explain) and
 *   `baseload_power` / `baseload_energy` (the always-on load).
 * Every entity reads one retained JSON state topic per building through a `value_template`,
 * and shares the availability topic (`online` / `offline`).
 */

export interface HaTopics {
  /** Discovery prefix, `homeassistant` unless Home Assistant was set up otherwise. */
  prefix: string;
  /** Root of our own topics; state and availability live under `<base>/<building>/`. */
  base: string;
}

export interface HaBuilding {
  id: string;
  name: string;
}

export interface HaAppliance {
  name: string;
  label: string;
}

/** One MQTT message: topic and payload (an empty payload removes a retained config). */
export interface HaMessage {
  topic: string;
  payload: string;
}

/** What the state topic carries for one building at one time. */
export interface HaState {
  /** Minute the power values belong to, epoch ms. */
  ts: number;
  mainsW: number | null;
  appliances: Record<string, { powerW: number; on: boolean; energyTodayKwh: number }>;
  otherW: number | null;
  otherTodayKwh: number;
  baseloadW: number | null;
  baseloadTodayKwh: number;
}

export const nodeId = (buildingId: string): string => `nilm_${buildingId}`;
export const stateTopic = (t: HaTopics, buildingId: string): string =>
  `${t.base}/${buildingId}/ha/state`;
export const availabilityTopic = (t: HaTopics, buildingId: string): string =>
  `${t.base}/${buildingId}/ha/availability`;

/** The object ids (and components) a building with these appliances has. */
export function entityIds(appliances: readonly HaAppliance[]): Array<[string, string]> {
  return [
    ['sensor', 'mains_power'],
    ...appliances.flatMap((a): Array<[string, string]> => [
      ['sensor', `${a.name}_power`],
      ['sensor', `${a.name}_energy`],
      ['binary_sensor', `${a.name}_on`],
    ]),
    ['sensor', 'other_power'],
    ['sensor', 'other_energy'],
    ['sensor', 'baseload_power'],
    ['sensor', 'baseload_energy'],
  ];
}

/** Topic of an entity's retained config. */
export function configTopic(
  t: HaTopics,
  buildingId: string,
  component: string,
  objectId: string,
): string {
  return `${t.prefix}/${component}/${nodeId(buildingId)}/${objectId}/config`;
}

/** Every retained config message of a building, in a stable order. */
export function discoveryConfigs(
  t: HaTopics,
  building: HaBuilding,
  appliances: readonly HaAppliance[],
  software: string,
): HaMessage[] {
  const device = {
    identifiers: [nodeId(building.id)],
    name: building.name,
    manufacturer: 'NILM Monitor',
    model: 'Per-appliance estimates (non-intrusive load monitoring)',
    sw_version: software,
  };
  const common = (objectId: string, name: string) => ({
    name,
    unique_id: `${nodeId(building.id)}_${objectId}`,
    object_id: `${nodeId(building.id)}_${objectId}`,
    state_topic: stateTopic(t, building.id),
    value_template: `{{ value_json.${objectId} }}`,
    availability_topic: availabilityTopic(t, building.id),
    payload_available: 'online',
    payload_not_available: 'offline',
    device,
  });
  const power = (objectId: string, name: string) => ({
    ...common(objectId, name),
    device_class: 'power',
    state_class: 'measurement',
    unit_of_measurement: 'W',
  });
  const energy = (objectId: string, name: string) => ({
    ...common(objectId, name),
    device_class: 'energy',
    state_class: 'total_increasing',
    unit_of_measurement: 'kWh',
  });
  const configs: Record<string, object> = {
    mains_power: power('mains_power', 'Mains power'),
    other_power: power('other_power', 'Other (untracked) power'),
    other_energy: energy('other_energy', 'Other (untracked) energy today'),
    baseload_power: power('baseload_power', 'Always-on baseload power'),
    baseload_energy: energy('baseload_energy', 'Always-on baseload energy today'),
  };
  for (const a of appliances) {
    configs[`${a.name}_power`] = power(`${a.name}_power`, `${a.label} power`);
    configs[`${a.name}_energy`] = energy(`${a.name}_energy`, `${a.label} energy today`);
    configs[`${a.name}_on`] = {
      ...common(`${a.name}_on`, `${a.label} running`),
      device_class: 'running',
      payload_on: 'ON',
      payload_off: 'OFF',
    };
  }
  return entityIds(appliances).map(([component, objectId]) => ({
    topic: configTopic(t, building.id, component, objectId),
    payload: JSON.stringify(configs[objectId]),
  }));
}

/** The JSON state message every entity of the building reads its value from. */
export function stateMessage(t: HaTopics, buildingId: string, s: HaState): HaMessage {
  const w = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
  const kwh = (v: number): number => Math.round(v * 1000) / 1000;
  const body: Record<string, string | number | null> = {
    time: new Date(s.ts).toISOString(),
    mains_power: w(s.mainsW),
    other_power: w(s.otherW),
    other_energy: kwh(s.otherTodayKwh),
    baseload_power: w(s.baseloadW),
    baseload_energy: kwh(s.baseloadTodayKwh),
  };
  for (const [name, a] of Object.entries(s.appliances)) {
    body[`${name}_power`] = w(a.powerW);
    body[`${name}_energy`] = kwh(a.energyTodayKwh);
    body[`${name}_on`] = a.on ? 'ON' : 'OFF';
  }
  return { topic: stateTopic(t, buildingId), payload: JSON.stringify(body) };
}
