/**
 * Reading Shelly Gen2+ (Gen2, Gen3, Pro) energy-meter status objects, shared by the MQTT type
 * (`shelly-gen2`) and the polled one (`shelly-rpc`). The EM component (Pro 3EM, 3EM Gen3 in
 * triphase profile) reports `total_act_power` and `a_act_power`, `b_act_power`, `c_act_power`;
 * the EM1 component (Pro EM, EM Gen3, 3EM in monophase profile) reports `act_power` per channel.
 * Active power is signed: export is negative. See
 * https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/EM and .../EM1.
 */
import { isObject } from '../payload.rules.js';
import { type Phase, type PowerPart, numberFrom } from '../reading.rules.js';
import type { SettingsReader } from '../settings.rules.js';

/** Which EM1 channels measure the mains and which one (if any) measures production. */
export interface ShellyChannels {
  /** EM1 channel ids of the mains: one id is the net, two or three are phases L1..L3 in order. */
  mains_channels: number[];
  /** EM1 channel id of a production CT (a Pro EM's second clamp on the solar inverter). */
  production_channel?: number;
}

/** Reads `mains_channels` (default [0]) and `production_channel`, which must not overlap. */
export function readShellyChannels(r: SettingsReader): ShellyChannels {
  const mains_channels = r.intList('mains_channels', {
    min: 0,
    max: 9,
    maxLength: 3,
    default: [0],
  });
  const production_channel = r.optionalInt('production_channel', { min: 0, max: 9 });
  if (production_channel !== undefined && mains_channels.includes(production_channel)) {
    r.refuse('production_channel', 'must not also be one of mains_channels');
  }
  return production_channel === undefined
    ? { mains_channels }
    : { mains_channels, production_channel };
}

/**
 * Parts of an EM status: the total as net and the phases. A whole status (a status topic, an
 * EM.GetStatus answer) gives phases only when all three are there, since a 3-phase meter with
 * a phase missing is no phase list; a NotifyStatus carries only changed attributes, so each
 * phase present is a part of its own, to overlay on what was known.
 */
export function emParts(status: Record<string, unknown>, whole: boolean): PowerPart[] {
  const parts: PowerPart[] = [];
  const total = numberFrom(status['total_act_power']);
  if (total !== undefined) parts.push({ quantity: 'net', watts: total });
  const phases: PowerPart[] = [];
  (['a', 'b', 'c'] as const).forEach((letter, i) => {
    const w = numberFrom(status[`${letter}_act_power`]);
    if (w !== undefined) phases.push({ quantity: 'net', phase: (i + 1) as Phase, watts: w });
  });
  if (!whole || phases.length === 3) parts.push(...phases);
  return parts;
}

/** Parts of one EM1 channel's status, placed by the channel settings. */
export function em1Parts(
  status: Record<string, unknown>,
  id: number,
  channels: ShellyChannels,
): PowerPart[] {
  const w = numberFrom(status['act_power']);
  if (w === undefined) return [];
  if (id === channels.production_channel) return [{ quantity: 'production', watts: w }];
  const index = channels.mains_channels.indexOf(id);
  if (index < 0) return [];
  if (channels.mains_channels.length === 1) return [{ quantity: 'net', watts: w }];
  return [{ quantity: 'net', phase: (index + 1) as Phase, watts: w }];
}

/** How many phases the configured EM1 channels make (undefined for a single net channel). */
export function em1PhaseCount(channels: ShellyChannels): number | undefined {
  return channels.mains_channels.length > 1 ? channels.mains_channels.length : undefined;
}

/** The component key ('em:0', 'em1:1') split into kind and id; undefined for other keys. */
export function componentKey(key: string): { kind: 'em' | 'em1'; id: number } | undefined {
  const m = /^(em1?):(\d+)$/.exec(key);
  return m ? { kind: m[1] as 'em' | 'em1', id: Number(m[2]) } : undefined;
}

/**
 * Parts of an object keyed by component ('em:0', 'em1:0', …), as Shelly.GetStatus answers and
 * NotifyStatus params carry; other components (sys, wifi, emdata) are skipped.
 */
export function componentsParts(
  obj: Record<string, unknown>,
  channels: ShellyChannels,
  whole: boolean,
): PowerPart[] {
  const parts: PowerPart[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const c = componentKey(key);
    if (!c || !isObject(value)) continue;
    parts.push(...(c.kind === 'em' ? emParts(value, whole) : em1Parts(value, c.id, channels)));
  }
  return parts;
}
