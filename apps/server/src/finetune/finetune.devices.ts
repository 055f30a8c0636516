/**
 * A head for a found device the owner named (issue 13.4): which devices a fine-tune may teach,
 * what their head is called and from what power it counts as on, and the runs it learns from.
 * The head's name is the name the device's estimates are written under (`estimateName`, as its
 * canonical vocabulary name when it is one, so a device named "Kettle" trains the kettle head);
 * a head outside the vocabulary is described to the fine-tune by its label and on threshold.
 */
import { findAppliance, type FinetuneHead, type OnOffRule } from '@nilm/ml';
import type { DeviceStore, FoundDeviceRecord } from '@nilm/stores';
import { ApiError } from '../errors.js';
import { estimateName, headName } from '../services/discovery.service.js';

/**
 * Runs a device needs to get a head. The data are split in time 70/10/20 (finetune.data.ts), so
 * with five runs spread over its span about three or four teach the head, and the held-out fifth
 * the scorecard scores likely holds one; with fewer the head would learn from one or two examples
 * and the scorecard would say nothing of its runs.
 */
export const MIN_DEVICE_RUNS = 5;

/**
 * The head's on threshold as a share of the device's typical (median) step power. Its training
 * channel is the step power over each run's minutes, so any share below 1 marks those minutes on;
 * 30 % keeps a minute in which it ran for about a third or more (a run starting or ending
 * mid-minute) on, and the few tens of watts by which other loads move the mains off, as the
 * vocabulary's thresholds sit well below their appliances' typical power.
 */
export const DEVICE_ON_SHARE = 0.3;

/** A named device's head and the runs it learns from. */
export interface DeviceHead {
  id: string;
  /** The head's name: the device's estimate name (canonical when it is a vocabulary name). */
  name: string;
  /** Whether the head is of the vocabulary (then no label or threshold is given to the fine-tune). */
  vocabulary: boolean;
  label: string;
  onThresholdW: number;
  /** The span its runs were looked for in (the discovery passes' days, and its runs' span). */
  fromMs: number;
  toMs: number;
  runs: readonly { startMs: number; endMs: number; powerW: number }[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The head of one stored device; a VALIDATION_FAILED refusal when it cannot have one. */
export function deviceHead(d: FoundDeviceRecord | null, id: string): DeviceHead {
  const refuse = (reason: string, message: string): never => {
    throw new ApiError('VALIDATION_FAILED', message, { device: id, reason });
  };
  if (!d)
    return refuse(
      'not_found',
      `no found device "${id}" in this building; pick one of its found devices`,
    );
  if (d.status === 'dismissed' || d.status === 'merged')
    return refuse(
      d.status,
      `${d.label} is ${d.status}; only a device that is named can get a head of its own`,
    );
  const estimate = estimateName(d);
  if (estimate === null)
    return refuse(
      'not_named',
      `${d.label} has no name yet; name it (or give its appliance type) first, then teach the model it`,
    );
  const runs = (d.stats.runList ?? []).filter((r) => r.endMs > r.startMs && r.powerW > 0);
  if (runs.length < MIN_DEVICE_RUNS)
    return refuse(
      'too_few_runs',
      `${estimate} has ${runs.length} stored run${runs.length === 1 ? '' : 's'}; a head of its own needs ${MIN_DEVICE_RUNS} at least: let discovery find more of its runs (or attach a sub-meter to it), then try again`,
    );
  const name = headName(estimate);
  return {
    id: d.id,
    name,
    vocabulary: findAppliance(estimate) !== undefined,
    label: estimate,
    onThresholdW: Math.max(1, Math.round(DEVICE_ON_SHARE * median(runs.map((r) => r.powerW)))),
    fromMs: Math.min(d.stats.fromMs, ...runs.map((r) => r.startMs)),
    toMs: Math.max(d.stats.toMs, ...runs.map((r) => r.endMs)),
    runs,
  };
}

/** The heads of the building's devices `ids`, refused (422, nothing queued) as `deviceHead` says. */
export async function readDeviceHeads(
  metadata: Pick<DeviceStore, 'getFoundDevice'>,
  buildingId: string,
  ids: readonly string[],
): Promise<DeviceHead[]> {
  const out: DeviceHead[] = [];
  for (const id of new Set(ids))
    out.push(deviceHead(await metadata.getFoundDevice(buildingId, id), id));
  return out;
}

/**
 * The devices' heads, checked against the heads a job was queued with: a device renamed since
 * would teach a head the job does not name (VALIDATION_FAILED, saying to start again).
 */
export function queuedHeads(heads: DeviceHead[], appliances: readonly string[]): DeviceHead[] {
  for (const h of heads)
    if (!appliances.includes(h.name))
      throw new ApiError(
        'VALIDATION_FAILED',
        `the device queued for this fine-tune is now called "${h.label}"; start the fine-tune again`,
        { device: h.id, reason: 'renamed' },
      );
  return heads;
}

/** What the fine-tune is told of the heads outside the vocabulary. */
export function finetuneHeads(heads: readonly DeviceHead[]): FinetuneHead[] {
  return heads
    .filter((h) => !h.vocabulary)
    .map((h) => ({ name: h.name, label: h.label, onThresholdW: h.onThresholdW }));
}

/** The on/off rules the scorecard scores those heads by (the same as the fine-tune's). */
export function scoringRules(heads: readonly DeviceHead[]): Record<string, OnOffRule> {
  return Object.fromEntries(
    heads
      .filter((h) => !h.vocabulary)
      .map((h) => [h.name, { onPowerW: h.onThresholdW, minOnS: 0, minOffS: 0 }]),
  );
}
