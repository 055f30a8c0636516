/**
 * The meter types an owner can add, as the Building page offers them: grouped by how readings
 * arrive, with form fields for the common types and an example settings object (edited as JSON)
 * for the rest. The server (@nilm/sources) is the judge of settings: this only shapes the form,
 * and a test checks every type name and example against that package. Setting names keep the
 * API's snake_case; a nested field (`power.measurement`) writes into an object. Words are read
 * in the language shown (getters over the `sources` catalogue keys); product names stay as they are.
 */
import type { IngestInfo } from '@nilm/contracts';
import { i18n } from '../i18n/i18n.setup.js';

export type SourceGroup = 'mqtt' | 'http' | 'line-protocol' | 'websocket';

export const SOURCE_GROUPS: ReadonlyArray<{ group: SourceGroup; label: string }> = [
  {
    group: 'mqtt',
    get label() {
      return i18n.t('sources.groupMqtt');
    },
  },
  {
    group: 'http',
    get label() {
      return i18n.t('sources.groupHttp');
    },
  },
  {
    group: 'line-protocol',
    get label() {
      return i18n.t('sources.groupLine');
    },
  },
  { group: 'websocket', label: 'Home Assistant' },
];

/** One form field: the setting it writes and how to ask for it. */
export interface SettingField {
  /** The setting, or a dotted path into an object setting ('power.measurement'). */
  setting: string;
  label: string;
  kind: 'text' | 'number' | 'select';
  required?: boolean;
  /** The field's starting value; empty leaves the setting to the server's default. */
  initial?: string;
  placeholder?: string;
  hint?: string;
  options?: readonly string[];
  min?: number;
  max?: number;
}

export interface SourceTypeInfo {
  type: string;
  label: string;
  group: SourceGroup;
  /** Form fields; absent: the settings are edited as JSON, starting from `example`. */
  fields?: readonly SettingField[];
  /** Settings that the server accepts, for the JSON editor to start from. */
  example: Record<string, unknown>;
  /** What to switch on in the device itself (MQTT types), in one sentence. */
  deviceSetup?: string;
}

const topicField = (placeholder: string, hint: () => string, initial?: string): SettingField => ({
  setting: 'topic',
  get label() {
    return i18n.t('sources.topic');
  },
  kind: 'text',
  required: true,
  placeholder,
  get hint() {
    return hint();
  },
  initial,
});

const urlFields: readonly SettingField[] = [
  {
    setting: 'url',
    get label() {
      return i18n.t('sources.address');
    },
    kind: 'text',
    required: true,
    placeholder: 'http://192.168.1.50',
  },
  {
    setting: 'interval_s',
    get label() {
      return i18n.t('sources.interval');
    },
    kind: 'number',
    initial: '10',
    min: 1,
    max: 300,
  },
];

export const SOURCE_TYPES: readonly SourceTypeInfo[] = [
  {
    type: 'shelly-gen2',
    label: 'Shelly Pro 3EM, 3EM Gen3, Pro EM, EM Gen3',
    group: 'mqtt',
    fields: [
      topicField('shellypro3em-c8f09e8a1b2c/status/em:0', () => i18n.t('sources.shellyTopic')),
    ],
    example: { topic: 'shellypro3em-c8f09e8a1b2c/status/em:0' },
    get deviceSetup() {
      return i18n.t('sources.setupShellyGen2');
    },
  },
  {
    type: 'shelly-gen1',
    get label() {
      return i18n.t('sources.labelShellyGen1');
    },
    group: 'mqtt',
    example: { topic: 'shellies/shellyem3-485519C9A1B2/emeter/+/power', mains_channels: [0, 1, 2] },
    get deviceSetup() {
      return i18n.t('sources.setupShellyGen1');
    },
  },
  {
    type: 'tasmota',
    get label() {
      return i18n.t('sources.labelTasmota');
    },
    group: 'mqtt',
    fields: [topicField('tele/tasmota_8C4A1B/SENSOR', () => i18n.t('sources.tasmotaTopic'))],
    example: { topic: 'tele/tasmota_8C4A1B/SENSOR' },
    get deviceSetup() {
      return i18n.t('sources.setupTasmota');
    },
  },
  {
    type: 'esphome',
    get label() {
      return i18n.t('sources.labelEsphome');
    },
    group: 'mqtt',
    example: { topic: 'vue2/sensor/total_power/state', unit: 'W' },
    get deviceSetup() {
      return i18n.t('sources.setupEsphome');
    },
  },
  {
    type: 'dsmr-reader',
    label: 'DSMR-reader (P1 logger)',
    group: 'mqtt',
    example: { topic: 'dsmr/reading/+' },
    get deviceSetup() {
      return i18n.t('sources.setupDsmr');
    },
  },
  {
    type: 'p1-esp',
    label: 'ESP P1 dongle (esp8266_p1meter)',
    group: 'mqtt',
    fields: [
      topicField(
        'sensors/power/p1meter/+',
        () => i18n.t('sources.p1Topic'),
        'sensors/power/p1meter/+',
      ),
    ],
    example: { topic: 'sensors/power/p1meter/+' },
    get deviceSetup() {
      return i18n.t('sources.setupP1');
    },
  },
  {
    type: 'glow',
    label: 'Hildebrand Glow IHD / CAD',
    group: 'mqtt',
    example: { topic: 'glow/E8DB84D1A2B3/SENSOR/electricitymeter' },
    get deviceSetup() {
      return i18n.t('sources.setupGlow');
    },
  },
  {
    type: 'emonhub',
    label: 'OpenEnergyMonitor emonPi / emonTx',
    group: 'mqtt',
    example: { topic: 'emon/emonpi/power1' },
    get deviceSetup() {
      return i18n.t('sources.setupEmon');
    },
  },
  {
    type: 'json',
    get label() {
      return i18n.t('sources.labelJson');
    },
    group: 'mqtt',
    example: { topic: 'SML/SENSOR', pointer: '/grid/power', unit: 'W' },
    get deviceSetup() {
      return i18n.t('sources.setupJson');
    },
  },
  {
    type: 'shelly-rpc',
    get label() {
      return i18n.t('sources.labelShellyHttp');
    },
    group: 'http',
    example: { url: 'http://192.168.1.60', interval_s: 10 },
  },
  {
    type: 'homewizard-p1',
    label: 'HomeWizard Wi-Fi P1 Meter',
    group: 'http',
    fields: urlFields,
    example: { url: 'http://192.168.1.50', interval_s: 10 },
  },
  {
    type: 'iotawatt',
    get label() {
      return i18n.t('sources.labelIotawatt');
    },
    group: 'http',
    example: { url: 'http://iotawatt.local', series: ['Mains'] },
  },
  {
    type: 'line-protocol',
    get label() {
      return i18n.t('sources.labelLine');
    },
    group: 'line-protocol',
    fields: [
      {
        setting: 'power.measurement',
        get label() {
          return i18n.t('sources.measurement');
        },
        kind: 'text',
        required: true,
        placeholder: 'Mains',
        get hint() {
          return i18n.t('sources.measurementHint');
        },
      },
      {
        setting: 'power.field',
        get label() {
          return i18n.t('sources.field');
        },
        kind: 'text',
        initial: 'value',
      },
      {
        setting: 'precision',
        get label() {
          return i18n.t('sources.precision');
        },
        kind: 'select',
        initial: 'ns',
        options: ['ns', 'us', 'ms', 's'],
        get hint() {
          return i18n.t('sources.precisionHint');
        },
      },
    ],
    example: { power: { measurement: 'Mains', field: 'value' }, precision: 's' },
  },
  {
    type: 'home-assistant',
    get label() {
      return i18n.t('sources.labelHa');
    },
    group: 'websocket',
    fields: [
      {
        setting: 'url',
        get label() {
          return i18n.t('sources.haAddress');
        },
        kind: 'text',
        required: true,
        placeholder: 'http://homeassistant.local:8123',
      },
      {
        setting: 'entity_id',
        get label() {
          return i18n.t('sources.entity');
        },
        kind: 'text',
        required: true,
        placeholder: 'sensor.grid_power',
        get hint() {
          return i18n.t('sources.entityHint');
        },
      },
      {
        setting: 'token',
        get label() {
          return i18n.t('sources.token');
        },
        kind: 'text',
        required: true,
        get hint() {
          return i18n.t('sources.tokenHint');
        },
      },
    ],
    example: {
      url: 'http://homeassistant.local:8123',
      entity_id: 'sensor.grid_power',
      token: 'your-long-lived-access-token',
    },
  },
];

export function sourceTypeInfo(type: string): SourceTypeInfo | undefined {
  return SOURCE_TYPES.find((t) => t.type === type);
}

/** The starting value of each field of a type, by setting. */
export function initialValues(info: SourceTypeInfo): Record<string, string> {
  return Object.fromEntries((info.fields ?? []).map((f) => [f.setting, f.initial ?? '']));
}

/**
 * The settings object from form values: empty optional fields are left out (the server fills in
 * its defaults), numbers are sent as numbers, dotted settings become nested objects.
 */
export function settingsFromFields(
  fields: readonly SettingField[],
  values: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = (values[f.setting] ?? '').trim();
    if (raw === '') continue;
    const value = f.kind === 'number' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    const path = f.setting.split('.');
    let into = out;
    for (const key of path.slice(0, -1)) {
      const next = (into[key] ??= {}) as Record<string, unknown>;
      into = next;
    }
    into[path[path.length - 1]!] = value;
  }
  return out;
}

/**
 * Which field shows an error naming `setting`: the field of that setting, or else the first field
 * inside it ('power' is shown at 'power.measurement'); undefined when no field holds it.
 */
export function fieldForSetting(
  fields: readonly SettingField[],
  setting: string | undefined,
): string | undefined {
  if (setting === undefined) return undefined;
  return (
    fields.find((f) => f.setting === setting)?.setting ??
    fields.find((f) => f.setting.startsWith(`${setting}.`))?.setting
  );
}

/**
 * What to set on an MQTT device so that its messages reach this building, from the server's
 * ingest details: on the built-in broker the device signs in as the building with a device token;
 * an external broker is trusted by topic. One line, with the loopback warning where it applies.
 */
export function mqttDeviceLine(args: {
  info: IngestInfo;
  buildingId: string;
  topic: string;
  fallbackHost?: string;
}): string {
  const m = args.info.mqtt;
  const topic = args.topic.trim() || 'the topic above';
  if (!m.enabled)
    return 'MQTT is off on this server, so the device cannot be heard yet: an administrator can turn on the built-in broker (it runs by default with nilm start) or connect an external one (MQTT_URL).';
  if (m.broker === 'external')
    return `Point the device at ${m.url ?? 'the broker this server reads'}, the broker this server reads; whatever is published there on ${topic} counts as this building’s meter.`;
  const host = m.host ?? args.fallbackHost ?? 'localhost';
  const line = `On the device, set MQTT server ${host}, port ${m.port ?? 1883}${m.tls ? ' (TLS)' : ''}, user name ${args.buildingId} (this building’s id), password a device token of this building (create one under Device tokens); it publishes on ${topic}.`;
  return m.loopback_only
    ? `${line} The broker listens on ${host} only: start the server with HOST=0.0.0.0 so that a device on your network can reach it.`
    : line;
}
