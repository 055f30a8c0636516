/**
 * Single-appliance day traces of the tracebase data set, as converted in `../shared/data`
 * (`traces/tracebase/<Appliance>/tracebase_<Appliance>_<source>.csv.gz`, header
 * `Time,<Appliance>`, one-minute means, minutes without samples left out). There is no mains:
 * these traces are material for synthetic mixing (`activations.extractor.ts`,
 * `synthetic.mixer.ts`).
 *
 * Licence: tracebase is under the Open Database License (ODbL) 1.0, its contents under the
 * Database Contents License 1.0. Whatever is derived from a trace carries
 * {@link TRACEBASE_ATTRIBUTION}; a derived database that is published must stay under ODbL.
 */
import { basename, dirname } from 'node:path';
import { DataError } from '../errors.js';
import { findAppliance } from './appliances.js';
import { readCsvHeader, readCsvSeries } from './csv.reader.js';

/** The attribution the ODbL asks for, to keep with anything derived from tracebase. */
export const TRACEBASE_ATTRIBUTION =
  'Contains information from the tracebase data set, which is made available at http://www.tracebase.org under the Open Database License (ODbL). ' +
  'A. Reinhardt et al., "On the Accuracy of Appliance Identification Based on Distributed Load Metering Data", SustainIT 2012.';

/** One appliance's power on a regular grid (NaN where the trace has no sample). */
export interface ApplianceTrace {
  /** Canonical appliance name. */
  appliance: string;
  startMs: number;
  periodS: number;
  power: Float32Array;
  source: string;
  /** Attribution required by the trace's licence. */
  attribution: string;
}

/**
 * Read one tracebase trace file. The appliance is the header's power column (or `appliance`
 * when given, for folders outside the vocabulary such as Iron); times are local Darmstadt time
 * read as naive UTC, like every naive time here. A missing minute is held from the one before;
 * longer holes stay NaN.
 */
export async function readTracebaseTrace(
  file: string,
  appliance?: string,
): Promise<ApplianceTrace> {
  const header = await readCsvHeader(file);
  if (header.length !== 2 || header[0] !== 'Time') {
    throw new DataError(
      'DATA_MISSING_COLUMN',
      `expected the tracebase layout "Time,<Appliance>", found "${header.join(',')}"`,
      { file, line: 1 },
    );
  }
  const column = header[1]!;
  const name = appliance ?? column;
  const spec = findAppliance(name) ?? findAppliance(basename(dirname(file)));
  if (!spec) {
    throw new DataError(
      'APPLIANCE_UNKNOWN',
      `column "${name}" is not a known appliance; pass the appliance name explicitly`,
      { file, line: 1, column: name },
    );
  }
  // The reader wants a mains column: the appliance column plays that part, and a 0 W minute
  // is real (the appliance was off), not missing data.
  const s = await readCsvSeries(file, {
    time: 'Time',
    mains: column,
    timeFormat: 'naive',
    zeroIsMissing: false,
    periodS: 60,
  });
  return {
    appliance: spec.name,
    startMs: s.startMs,
    periodS: s.periodS,
    power: s.mains,
    source: file,
    attribution: TRACEBASE_ATTRIBUTION,
  };
}
