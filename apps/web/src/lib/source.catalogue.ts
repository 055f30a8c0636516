/**
 * The meter types an owner can add, as the Building page offers them: grouped by how readings
 * arrive, with form fields for the common types and an example settings object (edited as JSON)
 * for the rest. The server (@nilm/sources) is the judge of settings: this only shapes the form,
 * and a test checks every type name and example against that package. Setting names keep the
 * API's snake_case; a nested field (`power.measurement`) writes into an object.
 */
import type { IngestInfo } from '@nilm/contracts';

export type SourceGroup = 'mqtt' | 'http' | 'line-protocol' | 'websocket';

export const SOURCE_GROUPS: ReadonlyArray<{ group: SourceGroup; label: string }> = [
  { group: 'mqtt', label: 'MQTT devices' },
  { group: 'http', label: 'Polled on the local network' },
  { group: 'line-protocol', label: 'Line protocol' },
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

const topicField = (placeholder: string, hint: string, initial?: string): SettingField => ({
  setting: 'topic',
  label: 'Topic',
  kind: 'text',
  required: true,
  placeholder,
  hint,
  initial,
});

const urlFields: readonly SettingField[] = [
  {
    setting: 'url',
    label: 'Address on your network',
    kind: 'text',
    required: true,
    placeholder: 'http://192.168.1.50',
  },
  {
    setting: 'interval_s',
    label: 'Read every (seconds)',
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
      topicField(
        'shellypro3em-c8f09e8a1b2c/status/em:0',
        'The device id (MQTT prefix) then /status/em:0, or <prefix>/# for status and notifications. + and # are wildcards.',
      ),
    ],
    example: { topic: 'shellypro3em-c8f09e8a1b2c/status/em:0' },
    deviceSetup:
      'In the Shelly’s web page, Settings → MQTT: enable it, enter the server, user and password below, and turn on “Generic status update over MQTT”.',
  },
  {
    type: 'shelly-gen1',
    label: 'Shelly EM, Shelly 3EM (first generation)',
    group: 'mqtt',
    example: { topic: 'shellies/shellyem3-485519C9A1B2/emeter/+/power', mains_channels: [0, 1, 2] },
    deviceSetup:
      'In the Shelly’s web page, Internet & Security → Advanced – Developer Settings: enable MQTT and enter the server, user and password below.',
  },
  {
    type: 'tasmota',
    label: 'Tasmota with an energy sensor',
    group: 'mqtt',
    fields: [
      topicField(
        'tele/tasmota_8C4A1B/SENSOR',
        'Where the device sends its SENSOR telemetry (follows its FullTopic).',
      ),
    ],
    example: { topic: 'tele/tasmota_8C4A1B/SENSOR' },
    deviceSetup:
      'In Tasmota, Configuration → MQTT: enter the host, port, user and password below; TelePeriod 10 sends a reading every 10 s.',
  },
  {
    type: 'esphome',
    label: 'ESPHome (Emporia Vue, CT clamp boards)',
    group: 'mqtt',
    example: { topic: 'vue2/sensor/total_power/state', unit: 'W' },
    deviceSetup: 'Add an mqtt: section with the broker, username and password below to the YAML.',
  },
  {
    type: 'dsmr-reader',
    label: 'DSMR-reader (P1 logger)',
    group: 'mqtt',
    example: { topic: 'dsmr/reading/+' },
    deviceSetup:
      'In DSMR-reader’s admin, set the MQTT broker below and enable the split-topic telegram.',
  },
  {
    type: 'p1-esp',
    label: 'ESP P1 dongle (esp8266_p1meter)',
    group: 'mqtt',
    fields: [
      topicField(
        'sensors/power/p1meter/+',
        'The firmware publishes under sensors/power/p1meter/.',
        'sensors/power/p1meter/+',
      ),
    ],
    example: { topic: 'sensors/power/p1meter/+' },
    deviceSetup: 'In the dongle’s Wi-Fi portal, enter the MQTT server, user and password below.',
  },
  {
    type: 'glow',
    label: 'Hildebrand Glow IHD / CAD',
    group: 'mqtt',
    example: { topic: 'glow/E8DB84D1A2B3/SENSOR/electricitymeter' },
    deviceSetup: 'In the Glow’s local MQTT setting, enter the broker, user and password below.',
  },
  {
    type: 'emonhub',
    label: 'OpenEnergyMonitor emonPi / emonTx',
    group: 'mqtt',
    example: { topic: 'emon/emonpi/power1' },
    deviceSetup:
      'Point emonhub’s [[MQTT]] interfacer at the broker below (or bridge emon/# to it).',
  },
  {
    type: 'json',
    label: 'Any device that publishes JSON',
    group: 'mqtt',
    example: { topic: 'SML/SENSOR', pointer: '/grid/power', unit: 'W' },
    deviceSetup: 'Point the device’s MQTT client at the broker below.',
  },
  {
    type: 'shelly-rpc',
    label: 'Shelly Gen2+ meter (read over its local API)',
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
    label: 'IoTaWatt (read over its query API)',
    group: 'http',
    example: { url: 'http://iotawatt.local', series: ['Mains'] },
  },
  {
    type: 'line-protocol',
    label: 'InfluxDB line protocol (IoTaWatt uploader, Telegraf)',
    group: 'line-protocol',
    fields: [
      {
        setting: 'power.measurement',
        label: 'Measurement',
        kind: 'text',
        required: true,
        placeholder: 'Mains',
        hint: 'The measurement that carries the mains power.',
      },
      { setting: 'power.field', label: 'Field', kind: 'text', initial: 'value' },
      {
        setting: 'precision',
        label: 'Timestamp precision',
        kind: 'select',
        initial: 'ns',
        options: ['ns', 'us', 'ms', 's'],
        hint: 'IoTaWatt sends seconds (s); Telegraf nanoseconds (ns).',
      },
    ],
    example: { power: { measurement: 'Mains', field: 'value' }, precision: 's' },
  },
  {
    type: 'home-assistant',
    label: 'A power sensor in Home Assistant',
    group: 'websocket',
    fields: [
      {
        setting: 'url',
        label: 'Home Assistant address',
        kind: 'text',
        required: true,
        placeholder: 'http://homeassistant.local:8123',
      },
      {
        setting: 'entity_id',
        label: 'Power sensor',
        kind: 'text',
        required: true,
        placeholder: 'sensor.grid_power',
        hint: 'A sensor in W or kW; import positive (or choose the sign in JSON).',
      },
      {
        setting: 'token',
        label: 'Long-lived access token',
        kind: 'text',
        required: true,
        hint: 'From your Home Assistant profile (Security). Kept encrypted on the server.',
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
