/**
 * Alert rules the schema cannot say, shared so the server refuses and the web app warns about
 * exactly the same settings: the defaults a building starts with (every rule off, thresholds
 * set to sensible values), and the allowed range of every threshold. Pure; no I/O.
 */
import type { AlertChannels, AlertRules, AlertSettingsBody } from './alert.contracts.js';

/** What a building has until an owner saves its alert settings: everything off. */
export const DEFAULT_ALERT_SETTINGS: { rules: AlertRules; channels: AlertChannels } = {
  rules: {
    appliance_finished: {
      enabled: false,
      appliances: ['washing_machine', 'dishwasher', 'tumble_dryer'],
      min_run_minutes: 10,
    },
    left_on: {
      enabled: false,
      limits: [
        { appliance: 'oven', hours: 3 },
        { appliance: 'electric_heater', hours: 8 },
      ],
    },
    baseload_rise: {
      enabled: false,
      recent_days: 3,
      baseline_days: 21,
      rise_percent: 25,
      min_rise_w: 20,
    },
    unusual_day: { enabled: false, weeks: 4, percent: 50, min_hours: 12 },
    meter_silent: { enabled: false, minutes: 30 },
    model_drift: { enabled: false },
  },
  channels: {
    webhook: { enabled: false, url: null },
    ntfy: { enabled: false, server: 'https://ntfy.sh', topic: null, priority: 3 },
    mqtt: { enabled: false },
    push: { enabled: false },
  },
};

/** The allowed range of each numeric threshold, by its path in the settings. */
export const ALERT_LIMITS = {
  'rules.appliance_finished.min_run_minutes': [1, 600],
  'rules.left_on.limits[].hours': [0.25, 72],
  'rules.baseload_rise.recent_days': [1, 14],
  'rules.baseload_rise.baseline_days': [7, 90],
  'rules.baseload_rise.rise_percent': [5, 1000],
  'rules.baseload_rise.min_rise_w': [0, 10_000],
  'rules.unusual_day.weeks': [2, 12],
  'rules.unusual_day.percent': [10, 1000],
  'rules.unusual_day.min_hours': [1, 24],
  'rules.meter_silent.minutes': [5, 10_080],
  'channels.ntfy.priority': [1, 5],
} as const satisfies Record<string, readonly [number, number]>;

/** A day count or similar that must be whole. */
const WHOLE = new Set<string>([
  'rules.baseload_rise.recent_days',
  'rules.baseload_rise.baseline_days',
  'rules.unusual_day.weeks',
  'channels.ntfy.priority',
]);

/** ntfy's topic rule: letters, digits, _ and -, 1 to 64 characters. */
const NTFY_TOPIC = /^[A-Za-z0-9_-]{1,64}$/;

function httpUrlProblem(path: string, value: string): string | null {
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return null;
  } catch {
    // falls through to the message below
  }
  return `${path} must be an http:// or https:// URL (got ${JSON.stringify(value.slice(0, 80))})`;
}

/**
 * Every problem with a building's alert settings, each a sentence naming the setting, its
 * allowed range and what was given; empty when they can be saved.
 */
export function alertSettingsProblems(s: AlertSettingsBody): string[] {
  const problems: string[] = [];
  const check = (path: keyof typeof ALERT_LIMITS, shown: string, v: number): void => {
    const [lo, hi] = ALERT_LIMITS[path];
    if (!Number.isFinite(v) || v < lo || v > hi || (WHOLE.has(path) && !Number.isInteger(v)))
      problems.push(
        `${shown} must be ${WHOLE.has(path) ? 'a whole number ' : ''}between ${lo} and ${hi} (got ${v})`,
      );
  };
  const r = s.rules;
  check(
    'rules.appliance_finished.min_run_minutes',
    'rules.appliance_finished.min_run_minutes',
    r.appliance_finished.min_run_minutes,
  );
  r.left_on.limits.forEach((l, i) =>
    check('rules.left_on.limits[].hours', `rules.left_on.limits[${i}].hours`, l.hours),
  );
  const seen = new Set<string>();
  for (const l of r.left_on.limits) {
    if (seen.has(l.appliance))
      problems.push(`rules.left_on.limits names "${l.appliance}" twice; keep one limit for it`);
    seen.add(l.appliance);
  }
  for (const k of ['recent_days', 'baseline_days', 'rise_percent', 'min_rise_w'] as const)
    check(`rules.baseload_rise.${k}`, `rules.baseload_rise.${k}`, r.baseload_rise[k]);
  for (const k of ['weeks', 'percent', 'min_hours'] as const)
    check(`rules.unusual_day.${k}`, `rules.unusual_day.${k}`, r.unusual_day[k]);
  check('rules.meter_silent.minutes', 'rules.meter_silent.minutes', r.meter_silent.minutes);

  const c = s.channels;
  check('channels.ntfy.priority', 'channels.ntfy.priority', c.ntfy.priority);
  if (c.webhook.url !== null) {
    const p = httpUrlProblem('channels.webhook.url', c.webhook.url);
    if (p) problems.push(p);
  } else if (c.webhook.enabled) problems.push('channels.webhook.url is needed to switch it on');
  if (typeof c.webhook.secret === 'string' && c.webhook.secret.length < 16)
    problems.push('channels.webhook.secret must be at least 16 characters (or leave it out)');
  const ntfyServer = httpUrlProblem('channels.ntfy.server', c.ntfy.server);
  if (ntfyServer) problems.push(ntfyServer);
  if (c.ntfy.topic !== null && !NTFY_TOPIC.test(c.ntfy.topic))
    problems.push(
      `channels.ntfy.topic must be 1 to 64 letters, digits, _ or - (got ${JSON.stringify(c.ntfy.topic)})`,
    );
  else if (c.ntfy.topic === null && c.ntfy.enabled)
    problems.push('channels.ntfy.topic is needed to switch it on');
  return problems;
}
