/**
 * `shelly-rpc`: a Shelly Gen2+ energy meter polled over its local HTTP RPC: `GET
 * /rpc/EM.GetStatus?id=0` (Pro 3EM), `GET /rpc/EM1.GetStatus?id=<n>` (Pro EM, EM Gen3) or `GET
 * /rpc/Shelly.GetStatus` (every component at once, with `sys.unixtime`). The answer is the
 * component's status object; a JSON-RPC envelope (`{"id":1,"result":{…}}`) is unwrapped. See
 * https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/EM#emgetstatus.
 */
import { type Payload, isObject, payloadObject } from '../payload.rules.js';
import {
  type MessageParts,
  type PowerPart,
  type SourceReading,
  numberFrom,
  toReading,
} from '../reading.rules.js';
import { type Outcome, unparseable } from '../source.errors.js';
import type { PolledSourceType } from '../source.types.js';
import { type PolledSettings, readPolled, readSettings } from '../settings.rules.js';
import {
  type ShellyChannels,
  componentsParts,
  em1Parts,
  em1PhaseCount,
  emParts,
  readShellyChannels,
} from './shelly.rules.js';

export const SHELLY_RPC_METHODS = ['EM.GetStatus', 'EM1.GetStatus', 'Shelly.GetStatus'] as const;

export interface ShellyRpcSettings extends PolledSettings, ShellyChannels {
  /** Which RPC to call; EM.GetStatus (default) for a Pro 3EM. */
  method: (typeof SHELLY_RPC_METHODS)[number];
  /** The EM component id for EM.GetStatus (default 0). */
  id: number;
}

export const shellyRpc: PolledSourceType<ShellyRpcSettings> = {
  type: 'shelly-rpc',
  transport: 'http',

  validate(raw) {
    return readSettings(raw, (r) => {
      const polled = readPolled(r);
      const method = r.oneOf('method', SHELLY_RPC_METHODS, 'EM.GetStatus');
      const id = r.int('id', { min: 0, max: 9, default: 0 });
      const channels = readShellyChannels(r);
      if (
        method === 'EM1.GetStatus' &&
        (channels.mains_channels.length > 1 || channels.production_channel !== undefined)
      ) {
        r.refuse('method', 'EM1.GetStatus reads one channel; use Shelly.GetStatus for several');
      }
      return { ...polled, method, id, ...channels };
    });
  },

  requestPath(settings) {
    if (settings.method === 'Shelly.GetStatus') return '/rpc/Shelly.GetStatus';
    if (settings.method === 'EM1.GetStatus')
      return `/rpc/EM1.GetStatus?id=${settings.mains_channels[0]}`;
    return `/rpc/EM.GetStatus?id=${settings.id}`;
  },

  parseResponse(settings, body: Payload): Outcome<SourceReading> {
    const obj = payloadObject(body);
    if (!obj.ok) return obj;
    let status = obj.value;
    if (isObject(status['error'])) {
      const e = status['error'];
      return unparseable(`the device answered error ${String(e['code'])}: ${String(e['message'])}`);
    }
    if (isObject(status['result'])) status = status['result'];

    let parts: PowerPart[];
    let ts: number | undefined;
    let phaseCount = em1PhaseCount(settings);
    if (settings.method === 'Shelly.GetStatus') {
      parts = componentsParts(status, settings, true);
      if (Object.keys(status).some((k) => k.startsWith('em:'))) phaseCount = 3;
      const sys = status['sys'];
      const unix = isObject(sys) ? numberFrom(sys['unixtime']) : undefined;
      if (unix !== undefined && unix > 0) ts = unix * 1000;
      if (parts.length === 0)
        return unparseable('the status has no em:N or configured em1:N component');
    } else if (settings.method === 'EM.GetStatus') {
      parts = emParts(status, true);
      phaseCount = 3;
      if (parts.length === 0) return unparseable('EM.GetStatus answer has no total_act_power');
    } else {
      const id = numberFrom(status['id']) ?? settings.mains_channels[0]!;
      parts = em1Parts(status, id, settings);
      if (parts.length === 0) return unparseable('EM1.GetStatus answer has no numeric act_power');
    }
    const message: MessageParts = { parts };
    if (ts !== undefined) message.ts = ts;
    if (phaseCount !== undefined) message.phaseCount = phaseCount;
    return toReading(message);
  },
};
