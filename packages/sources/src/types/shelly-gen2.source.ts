/**
 * `shelly-gen2`: Shelly Gen2/Gen3/Pro energy meters over MQTT (Pro 3EM, 3EM Gen3, Pro EM, EM
 * Gen3). With "Generic status update over MQTT" on, the device publishes each component's whole
 * status on `<prefix>/status/em:0` (EM) or `<prefix>/status/em1:<n>` (EM1); with "RPC status
 * notifications" on, it publishes NotifyStatus frames on `<prefix>/events/rpc`, whose params
 * carry `ts` (Unix seconds) and only the attributes that changed. The prefix defaults to the
 * device id (e.g. `shellypro3em-c8f09e8a1b2c`). See
 * https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Mqtt and
 * https://shelly-api-docs.shelly.cloud/gen2/General/Notifications.
 */
import { topicMatches } from '../mqtt.topic.js';
import { type Payload, isObject, payloadObject } from '../payload.rules.js';
import { type MessageParts, numberFrom } from '../reading.rules.js';
import { type Outcome, ok, unparseable } from '../source.errors.js';
import type { MqttSourceType, TopicMatch } from '../source.types.js';
import { readSettings } from '../settings.rules.js';
import {
  type ShellyChannels,
  componentKey,
  componentsParts,
  em1Parts,
  em1PhaseCount,
  emParts,
  readShellyChannels,
} from './shelly.rules.js';

export interface ShellyGen2Settings extends ShellyChannels {
  /** e.g. 'shellypro3em-c8f09e8a1b2c/status/em:0', or '<prefix>/#' for status and events. */
  topic: string;
}

function classify(topic: string): TopicMatch {
  const levels = topic.split('/');
  const last = levels[levels.length - 1] ?? '';
  const before = levels[levels.length - 2] ?? '';
  if (before === 'status') {
    const c = componentKey(last);
    if (c) return { part: `${last} status`, power: true };
    return { part: `${last} status`, power: false };
  }
  if (before === 'events' && last === 'rpc') return { part: 'RPC notifications', power: true };
  return { part: last, power: false };
}

export const shellyGen2: MqttSourceType<ShellyGen2Settings> = {
  type: 'shelly-gen2',
  transport: 'mqtt',

  validate(raw) {
    return readSettings(raw, (r) => ({ topic: r.topicFilter('topic'), ...readShellyChannels(r) }));
  },

  matchTopic(settings, topic) {
    return topicMatches(settings.topic, topic) ? classify(topic) : undefined;
  },

  parseMessage(settings, topic, payload: Payload): Outcome<MessageParts> {
    const match = this.matchTopic(settings, topic);
    if (!match) return unparseable(`topic '${topic}' does not match '${settings.topic}'`);
    if (!match.power) return ok({ parts: [], ignored: `${match.part} carries no power` });
    const obj = payloadObject(payload);
    if (!obj.ok) return obj;
    const last = topic.slice(topic.lastIndexOf('/') + 1);
    const component = componentKey(last);
    if (component) {
      if (component.kind === 'em') {
        const parts = emParts(obj.value, true);
        if (parts.length === 0) return unparseable(`${last} status has no total_act_power`);
        return ok({ parts, complete: true, phaseCount: 3 });
      }
      const parts = em1Parts(obj.value, component.id, settings);
      const phaseCount = em1PhaseCount(settings);
      if (parts.length > 0) return ok(phaseCount ? { parts, phaseCount } : { parts });
      return numberFrom(obj.value['act_power']) === undefined
        ? unparseable(`${last} status has no numeric act_power`)
        : ok({ parts, ignored: `${last} is not one of the configured channels` });
    }
    return notification(obj.value, settings);
  },
};

/** A NotifyStatus frame: params.ts and the changed attributes of each component. */
function notification(
  frame: Record<string, unknown>,
  settings: ShellyChannels,
): Outcome<MessageParts> {
  if (frame['method'] !== 'NotifyStatus') {
    return ok({
      parts: [],
      ignored: `${String(frame['method'] ?? 'a frame without method')} carries no status`,
    });
  }
  const params = frame['params'];
  if (!isObject(params)) return unparseable('NotifyStatus frame has no params object');
  const parts = componentsParts(params, settings, false);
  const tsS = params['ts'];
  const message: MessageParts = { parts };
  const phaseCount = Object.keys(params).some((k) => k.startsWith('em:'))
    ? 3
    : em1PhaseCount(settings);
  if (phaseCount) message.phaseCount = phaseCount;
  if (typeof tsS === 'number' && Number.isFinite(tsS) && tsS > 0)
    message.ts = Math.round(tsS * 1000);
  if (parts.length === 0) message.ignored = 'the notification changes no power value';
  return ok(message);
}
