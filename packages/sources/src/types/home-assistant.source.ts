/**
 * `home-assistant`: a power sensor Home Assistant already has (any meter integrated there), read
 * over Home Assistant's WebSocket API: connect to `<url>/api/websocket`, answer `auth_required`
 * with `{"type": "auth", "access_token": <long-lived token>}`, and after `auth_ok` send
 * `subscribe_entities` for the entity; each event carries the entity's state (a number as a
 * string) and, in its attributes, `unit_of_measurement` (W or kW). See
 * https://developers.home-assistant.io/docs/api/websocket.
 *
 * Pure: the server owns the socket; this reads the settings and turns one state into a reading.
 */
import { numberFrom, type PowerPart, toReading, toWatts } from '../reading.rules.js';
import type { SourceReading } from '../reading.rules.js';
import { type Outcome, unparseable } from '../source.errors.js';
import { SIGN_CONVENTIONS, type SignConvention, readSettings } from '../settings.rules.js';

export interface HomeAssistantSettings {
  /** Home Assistant's base URL, e.g. 'http://homeassistant.local:8123'. */
  url: string;
  /** The power sensor, e.g. 'sensor.grid_power'. */
  entity_id: string;
  /** A long-lived access token (the server keeps it encrypted). */
  token: string;
  sign: SignConvention;
}

const ENTITY_ID = /^[a-z_]+\.[a-z0-9_]+$/;

export function validateHomeAssistant(raw: unknown): Outcome<HomeAssistantSettings> {
  return readSettings(raw, (r) => {
    const url = r.url('url');
    const entity = r.string('entity_id', { maxLength: 255 });
    if (!ENTITY_ID.test(entity))
      r.refuse('entity_id', "must be a Home Assistant entity id such as 'sensor.grid_power'");
    return {
      url,
      entity_id: entity,
      token: r.string('token', { maxLength: 4096 }),
      sign: r.oneOf('sign', SIGN_CONVENTIONS, 'import-positive'),
    };
  });
}

/** The WebSocket address of a Home Assistant base URL. */
export function homeAssistantSocketUrl(s: HomeAssistantSettings): string {
  const u = new URL(s.url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/websocket`;
  return u.toString();
}

/** One state of the sensor (as Home Assistant sends it) as a reading. */
export function homeAssistantReading(
  s: HomeAssistantSettings,
  state: unknown,
  unit: unknown,
): Outcome<SourceReading> {
  if (state === 'unavailable' || state === 'unknown')
    return unparseable(`${s.entity_id} is ${String(state)} in Home Assistant`);
  const value = numberFrom(state);
  if (value === undefined)
    return unparseable(`${s.entity_id} state ${JSON.stringify(state)} is not a number`);
  if (unit !== undefined && unit !== null && unit !== 'W' && unit !== 'kW')
    return unparseable(
      `${s.entity_id} is in ${JSON.stringify(unit)}; choose a power sensor in W or kW`,
    );
  const watts = toWatts(value, unit === 'kW' ? 'kW' : 'W');
  const part: PowerPart = {
    quantity: 'net',
    watts: s.sign === 'export-positive' ? -watts : watts,
  };
  return toReading({ parts: [part], complete: true });
}
