/**
 * Labels (issue 13.2): an owner marks a span of a building's time as "this was the <appliance>"
 * (kind `on`) or "nothing of <appliance> here" (kind `off`). Every check runs before anything is
 * stored, and a refused label changes nothing: the appliance must be one the building can name,
 * the span must end after it starts, last at most MAX_LABEL_SPAN_MS, not end in the future, and
 * hold mains readings; a span that contradicts a label already there (an `on` overlapping an
 * `off` of the same appliance) is a 409 naming that label (the store decides it atomically).
 */
import { MAX_LABEL_SPAN_MS } from '@nilm/contracts';
import type { LabelKind, LabelRecord, MetadataStore, TimeSeriesStore } from '@nilm/stores';
import { ApiError } from '../errors.js';
import { buildingApplianceNames, checkedAppliance } from './appliance.names.js';

/** A label may end this far after the server's clock (a browser's clock runs a little ahead). */
const FUTURE_SKEW_MS = 60_000;

/** A label to add, its times already parsed. */
export interface LabelInput {
  appliance: string;
  kind: LabelKind;
  startMs: number;
  endMs: number;
  note: string | null;
  createdBy: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class LabelService {
  private readonly ownNames;

  constructor(
    private readonly deps: {
      metadata: MetadataStore;
      timeseries: TimeSeriesStore;
      now?: () => number;
    },
  ) {
    this.ownNames = buildingApplianceNames(deps.metadata);
  }

  /** Check a label and store it; a coded ApiError (422 or 409) when refused, nothing stored. */
  async add(buildingId: string, input: LabelInput): Promise<LabelRecord> {
    const appliance = await checkedAppliance(
      input.appliance,
      buildingId,
      'appliance',
      this.ownNames,
    );
    const { startMs, endMs } = input;
    if (!(endMs > startMs))
      throw new ApiError(
        'VALIDATION_TIME',
        `end (${iso(endMs)}) must be after start (${iso(startMs)})`,
        { setting: 'end' },
      );
    if (endMs - startMs > MAX_LABEL_SPAN_MS)
      throw new ApiError(
        'VALIDATION_WINDOW',
        `a label spans at most ${MAX_LABEL_SPAN_MS / 86_400_000} days; this one spans ${((endMs - startMs) / 86_400_000).toFixed(1)}: split it`,
        { setting: 'end', max_ms: MAX_LABEL_SPAN_MS },
      );
    const now = (this.deps.now ?? Date.now)();
    if (endMs > now + FUTURE_SKEW_MS)
      throw new ApiError(
        'VALIDATION_TIME',
        `end (${iso(endMs)}) is in the future; label only what has happened`,
        { setting: 'end' },
      );
    if (!(await this.hasReadings(buildingId, startMs, endMs)))
      throw new ApiError(
        'VALIDATION_FAILED',
        `the building has no readings from ${iso(startMs)} to ${iso(endMs)}; label a span with readings`,
        { reason: 'no_readings' },
      );
    const result = await this.deps.metadata.addLabel({
      buildingId,
      appliance,
      kind: input.kind,
      startMs,
      endMs,
      note: input.note,
      createdBy: input.createdBy,
    });
    if ('conflict' in result) {
      const other = result.conflict;
      throw new ApiError(
        'CONFLICT',
        `this contradicts label ${other.id} ("${other.kind}" for ${other.appliance} from ${iso(other.startMs)} to ${iso(other.endMs)}); delete it or change the span`,
        { label_id: other.id, kind: other.kind, start: iso(other.startMs), end: iso(other.endMs) },
      );
    }
    return result.added;
  }

  /** Whether the building has a mains reading in [startMs, endMs): hourly means, at most 170. */
  private async hasReadings(buildingId: string, startMs: number, endMs: number): Promise<boolean> {
    const buckets = await this.deps.timeseries.readBuckets(buildingId, startMs, endMs, 3600);
    return buckets.some((b) => b.powerW !== null);
  }
}

/** The building's labels as CSV (one row per label, times in ISO-8601 UTC), for its export. */
export function labelsCsv(labels: readonly LabelRecord[]): string {
  const cell = (raw: string | null): string => {
    if (raw === null) return '';
    // A note a spreadsheet would run as a formula is kept as text.
    const v = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
    return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const rows = labels.map((l) =>
    [l.id, l.appliance, l.kind, iso(l.startMs), iso(l.endMs), l.note, l.createdBy, iso(l.createdAt)]
      .map(cell)
      .join(','),
  );
  return ['id,appliance,kind,start,end,note,created_by,created_at', ...rows].join('\n') + '\n';
}
