/**
 * The model card in plain words for a household: per appliance the model estimates, how often
 * it finds a use, how far its power is off, how many of its reported uses did not happen; and
 * what it cannot see in this home. Every figure is one of the card's held-out test scores, the
 * numbers `nilm eval` prints for the same data (docs/model.md).
 */
import type { ApplianceScores, ModelCard } from './api.client.js';
import { i18n } from '../i18n/i18n.setup.js';
import { applianceName } from './format.js';

/** The card fields the plain view reads beyond `ModelCard`'s (all optional: older cards lack them). */
export interface PlainScores extends ApplianceScores {
  /** Share of true uses (runs of the sub-meter) that the model found: one-to-one run matching. */
  event_recall?: number | null;
  /** Share of the uses the model reported that were real. */
  event_precision?: number | null;
}
export type PlainCard = Omit<ModelCard, 'test'> & {
  appliances?: Array<{ name: string; label?: string }>;
  test?: Omit<NonNullable<ModelCard['test']>, 'appliances'> & {
    appliances?: Record<string, PlainScores>;
    /** The training config the baselines were fitted with: `nilm eval --config <it>`. */
    baselines_config?: string;
  };
};

/** Below this held-out F1 an appliance is listed as one the model "often gets wrong". */
export const LOW_F1 = 0.5;

/**
 * Tenths that never flatter: uses found are rounded down (0.97 is "9 in 10", not 10; below one
 * tenth is "fewer than 1"), false reports rounded up.
 */
const foundTenths = (share: number): string => {
  const n = Math.floor(share * 10 + 1e-9);
  return n === 0 && share > 0 ? i18n.t('model.fewer') : String(n);
};
const falseTenths = (share: number): number => Math.ceil(share * 10 - 1e-9);
const finite = (v: number | null | undefined): v is number =>
  typeof v === 'number' && Number.isFinite(v);

/** One appliance's plain sentence, and whether its F1 is low. */
export interface PlainLine {
  name: string;
  label: string;
  sentence: string;
  /** Set when F1 is below LOW_F1: what goes wrong, in words ("often misses it"). */
  weak?: string;
}

/**
 * The sentence for one appliance. Uses are runs (event recall) when the card has them; older
 * cards only score minutes, and then the sentence says minutes. Power error is the mean absolute
 * error over every scored minute (on and off), so it is said as an average, not a bound.
 */
export function plainLine(name: string, label: string, s: PlainScores): PlainLine {
  // "Washing machine" -> "washing machine"; "EV charger" keeps its capitals; German nouns keep
  // theirs always.
  const lower =
    /^.[A-Z]/.test(label) || i18n.language === 'de'
      ? label
      : label.charAt(0).toLowerCase() + label.slice(1);
  const parts: string[] = [];
  if (finite(s.event_recall))
    parts.push(i18n.t('model.finds', { n: foundTenths(s.event_recall), name: lower }));
  else if (finite(s.recall))
    parts.push(i18n.t('model.spots', { n: foundTenths(s.recall), name: lower }));
  if (finite(s.mae_w)) parts.push(i18n.t('model.powerOff', { w: Math.round(s.mae_w) }));
  const precision = finite(s.event_precision) ? s.event_precision : undefined;
  if (precision !== undefined)
    parts.push(i18n.t('model.falseUses', { n: falseTenths(1 - precision) }));
  const sentence = parts.length
    ? `${parts.join('; ')}.`.replace(/^./, (c) => c.toUpperCase())
    : i18n.t('model.noScores');
  let weak: string | undefined;
  if (finite(s.f1) && s.f1 < LOW_F1) {
    const recall = finite(s.event_recall) ? s.event_recall : s.recall;
    const falseShare = precision !== undefined ? 1 - precision : 1 - (s.precision ?? 1);
    weak =
      finite(recall) && 1 - recall >= falseShare
        ? i18n.t('model.misses', { n: foundTenths(recall) })
        : i18n.t('model.falseAlarms');
  }
  return { name, label, sentence, ...(weak ? { weak } : {}) };
}

/** Heads of the card in its order, with the label the card (or the building) gives them. */
export function cardHeads(
  card: PlainCard,
  labels: ReadonlyMap<string, string> = new Map(),
): Array<{ name: string; label: string }> {
  const names = card.appliances?.map((a) => a.name) ?? Object.keys(card.test?.appliances ?? {});
  return names.map((name) => ({
    name,
    label: applianceName(
      name,
      labels.get(name) ?? card.appliances?.find((a) => a.name === name)?.label,
    ),
  }));
}

/** What the household view shows: a line per appliance the home has, and what it cannot see. */
export interface HouseholdView {
  lines: PlainLine[];
  /** Appliances the building says it has that no head of this model estimates (part of Other). */
  unseen: string[];
  /** Appliances the home has whose F1 is low, with what goes wrong. */
  weak: Array<{ label: string; weak: string }>;
  /** Heads the building says it does not have: hidden, their estimated power counts as Other. */
  hidden: string[];
}

/**
 * The household view of `card` for a building's appliance list (`present`: each appliance with
 * whether the building has it; null: not known, every head counts as present).
 */
export function householdView(
  card: PlainCard,
  present: ReadonlyArray<{ name: string; label: string; present: boolean }> | null,
): HouseholdView {
  const labels = new Map((present ?? []).map((a) => [a.name, a.label]));
  const heads = cardHeads(card, labels);
  const headNames = new Set(heads.map((h) => h.name));
  const has = (name: string): boolean =>
    present === null || present.some((a) => a.name === name && a.present);
  const lines = heads
    .filter((h) => has(h.name))
    .map((h) => plainLine(h.name, h.label, card.test?.appliances?.[h.name] ?? {}));
  return {
    lines,
    unseen: (present ?? []).filter((a) => a.present && !headNames.has(a.name)).map((a) => a.label),
    weak: lines.flatMap((l) => (l.weak ? [{ label: l.label, weak: l.weak }] : [])),
    hidden: heads.filter((h) => !has(h.name)).map((h) => h.label),
  };
}
