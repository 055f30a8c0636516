/**
 * The labels part of the metadata store: spans of a building's time that its owner marked as
 * "this was the <appliance>" (kind `on`) or "nothing of <appliance> here" (kind `off`), the
 * ground truth a fine-tune and a scorecard learn from. The store keeps labels as given (the API
 * checks the appliance, the span's length and that it holds readings) and enforces the one rule
 * that needs every label of the building at once: an `on` and an `off` of the same appliance
 * never overlap, also when two are added at the same time. Every implementation passes
 * `label.conformance.ts`.
 */

/** `on`: the appliance ran for the whole span; `off`: it did not run at all in the span. */
export type LabelKind = 'on' | 'off';

/** A label to add; the span is [startMs, endMs), epoch ms. */
export interface NewLabel {
  buildingId: string;
  /** The appliance's name (canonical, or a device the building named). */
  appliance: string;
  kind: LabelKind;
  startMs: number;
  endMs: number;
  note: string | null;
  /** The user who added it; null when not known (an import). */
  createdBy: string | null;
}

export interface LabelRecord extends NewLabel {
  id: string;
  createdAt: number;
}

/** Which labels to list: those overlapping [fromMs, toMs), of one appliance when given. */
export interface LabelFilter {
  fromMs?: number;
  toMs?: number;
  appliance?: string;
}

/** Added, or refused because it contradicts `conflict` (the other kind, same appliance, overlapping). */
export type AddLabelResult = { added: LabelRecord } | { conflict: LabelRecord };

export interface LabelStore {
  /**
   * Add a label unless a label of the other kind for the same appliance overlaps its span: then
   * nothing is stored and the first such label (by start) comes back as `conflict`. The store
   * gives the id. Rejects when the building does not exist.
   */
  addLabel(label: NewLabel): Promise<AddLabelResult>;
  /** The building's labels matching the filter, by start time (then id). */
  listLabels(buildingId: string, filter?: LabelFilter): Promise<LabelRecord[]>;
  /** Remove one label of the building; false when it has none with this id. */
  deleteLabel(buildingId: string, labelId: string): Promise<boolean>;
}
