/**
 * Reading REDD and UK-DALE houses as published: a folder with `labels.dat` (`<channel> <label>`)
 * and one `channel_N.dat` per meter (`<unix seconds> <watts> ...`), each meter with its own
 * timestamps. Channels are streamed line by line (UK-DALE files run to gigabytes), binned onto one
 * grid that spans the mains, and channels that measure the same thing are summed: REDD's two
 * `mains` channels are the two split phases of one supply, and an appliance on two circuits
 * (REDD's 240 V washer_dryer) is metered twice.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DataError, NilmError } from '../errors.js';
import { canonicalAppliance, findAppliance } from './appliances.js';
import { toGrid } from './resample.js';
import type { SampledChannel } from './resample.js';
import type { Series } from './series.js';

/** Options of {@link readReddHouse}. */
export interface ReddHouseOptions {
  /** Grid period in seconds (default 6, the UK-DALE appliance rate; the product uses 60). */
  periodS?: number;
  /** Passed to `toGrid`: how long a value is held across a gap (default three intervals). */
  fillLimitS?: number;
  /** Read only these appliances (names or aliases); default every channel with a known label. */
  appliances?: readonly string[];
  /**
   * Where whole-house power comes from: the channels labelled `mains`/`aggregate` (default), or
   * UK-DALE's `mains.dat` (1 s; its second field is active power, whereas UK-DALE's channel 1
   * is apparent power).
   */
  mains?: 'channels' | 'mains.dat';
  /** Description for `Series.source` (default: the folder). */
  source?: string;
}

/** One line of `labels.dat`. */
export interface ChannelLabel {
  channel: number;
  label: string;
}

/** A channel left out of the series, and why. */
export interface SkippedChannel extends ChannelLabel {
  reason: string;
}

/** The series, and the channels left out of it. */
export interface ReddHouseResult {
  series: Series;
  skipped: SkippedChannel[];
}

/** Raw samples of one `.dat` file. */
export interface DatChannel extends SampledChannel {
  timesMs: Float64Array;
  values: Float32Array;
}

async function mustExist(file: string, what: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new DataError('DATA_NOT_FOUND', `${what} not found`, { file });
  }
}

/**
 * Call `visit` with each line of a file and its 1-based number, streaming. A callback rather
 * than an async generator: a promise per line would cost more than the parsing.
 */
async function forEachLine(
  file: string,
  visit: (line: string, lineNo: number) => void,
): Promise<void> {
  const input = createReadStream(file);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of rl) visit(line, ++lineNo);
  } finally {
    // Closing readline only pauses the stream; destroy it so an early error frees the file.
    rl.close();
    input.destroy();
  }
}

/** Parse `labels.dat`: one `<channel> <label>` per line; the label is the rest of the line. */
export async function readLabels(file: string): Promise<ChannelLabel[]> {
  await mustExist(file, 'labels.dat');
  const out: ChannelLabel[] = [];
  const seen = new Set<number>();
  await forEachLine(file, (raw, line) => {
    const text = raw.trim();
    if (text === '') return;
    const m = /^(\d+)\s+(\S.*)$/.exec(text);
    if (!m) {
      throw new DataError('DATA_MALFORMED', `expected "<channel number> <label>", got "${text}"`, {
        file,
        line,
      });
    }
    const channel = Number(m[1]);
    if (seen.has(channel)) {
      throw new DataError('DATA_MALFORMED', `channel ${channel} is labelled twice`, { file, line });
    }
    seen.add(channel);
    out.push({ channel, label: m[2]!.trim() });
  });
  return out;
}

/**
 * The first `count` whitespace-separated fields of a line (fewer when it has fewer). Scans
 * only as far as needed: faster than split on lines with trailing fields (UK-DALE mains.dat).
 */
function leadingFields(line: string, count: number): string[] {
  const out: string[] = [];
  const n = line.length;
  let from = 0;
  while (from < n && line.charCodeAt(from) <= 32) from++;
  while (out.length < count && from < n) {
    let end = from;
    while (end < n && line.charCodeAt(end) > 32) end++;
    out.push(line.slice(from, end));
    from = end;
    while (from < n && line.charCodeAt(from) <= 32) from++;
  }
  return out;
}

/**
 * Stream one `.dat` file of `<unix seconds> <value> [more fields]` lines into typed arrays,
 * taking the value from field `valueField` (0 is the time). Times may repeat but not go back.
 */
export async function readDatChannel(file: string, valueField = 1): Promise<DatChannel> {
  await mustExist(file, 'channel file');
  let times = new Float64Array(1 << 16);
  let values = new Float32Array(1 << 16);
  let n = 0;
  let prev = -Infinity;
  await forEachLine(file, (raw, line) => {
    const fields = leadingFields(raw, valueField + 1);
    if (fields.length === 0) return;
    const t = Number(fields[0]);
    const v = Number(fields[valueField]);
    if (fields.length <= valueField || !Number.isFinite(t) || !Number.isFinite(v)) {
      throw new DataError(
        'DATA_MALFORMED',
        `expected "<unix seconds> <watts>" with ${valueField + 1} or more numbers, got "${raw.trim()}"`,
        { file, line },
      );
    }
    if (t < prev) {
      throw new DataError(
        'DATA_TIME_ORDER',
        `time ${t} goes back from ${prev} on the line before; the file must be in time order`,
        { file, line },
      );
    }
    prev = t;
    if (n === times.length) {
      const t2 = new Float64Array(n * 2);
      t2.set(times);
      times = t2;
      const v2 = new Float32Array(n * 2);
      v2.set(values);
      values = v2;
    }
    times[n] = t * 1000;
    values[n] = v;
    n++;
  });
  return { timesMs: times.subarray(0, n), values: values.subarray(0, n) };
}

/** Elementwise sum of grid channels; a NaN in any one leaves the sum missing. */
function sumChannels(parts: readonly Float32Array[]): Float32Array {
  const out = Float32Array.from(parts[0]!);
  for (let p = 1; p < parts.length; p++) {
    const src = parts[p]!;
    for (let i = 0; i < out.length; i++) out[i]! += src[i]!;
  }
  return out;
}

const MAINS_LABEL = /^(mains|aggregate)$/i;

/**
 * Read one REDD or UK-DALE house folder into a {@link Series}: mains channels summed, appliance
 * channels canonicalised (several of one appliance summed), unknown labels skipped and listed.
 */
export async function readReddHouse(
  dir: string,
  opts: ReddHouseOptions = {},
): Promise<ReddHouseResult> {
  const periodS = opts.periodS ?? 6;
  if (!(periodS > 0)) throw new NilmError('CONFIG_INVALID', `periodS must be > 0, got ${periodS}`);
  const wanted = opts.appliances ? new Set(opts.appliances.map(canonicalAppliance)) : undefined;
  const mainsFromFile = opts.mains === 'mains.dat';
  const labelsFile = join(dir, 'labels.dat');
  const labels = await readLabels(labelsFile);

  // Decide every channel's role before reading any data, so a bad folder fails fast.
  const mainsFiles: string[] = [];
  const applianceFiles = new Map<string, string[]>();
  const skipped: SkippedChannel[] = [];
  for (const { channel, label } of labels) {
    const file = join(dir, `channel_${channel}.dat`);
    if (MAINS_LABEL.test(label)) {
      if (mainsFromFile) skipped.push({ channel, label, reason: 'mains read from mains.dat' });
      else mainsFiles.push(file);
      continue;
    }
    const spec = findAppliance(label);
    if (!spec) {
      skipped.push({ channel, label, reason: 'not a known appliance label' });
    } else if (wanted && !wanted.has(spec.name)) {
      skipped.push({ channel, label, reason: 'not requested' });
    } else {
      applianceFiles.set(spec.name, [...(applianceFiles.get(spec.name) ?? []), file]);
    }
  }
  const labelList = labels.map((l) => `${l.channel} ${l.label}`).join(', ');
  const absent = [...(wanted ?? [])].filter((name) => !applianceFiles.has(name));
  if (absent.length > 0) {
    throw new DataError(
      'DATA_MISSING_COLUMN',
      `no channel is labelled ${absent.join(', ')}; labels are [${labelList}]`,
      { file: labelsFile },
    );
  }
  if (mainsFromFile) mainsFiles.push(join(dir, 'mains.dat'));
  if (mainsFiles.length === 0) {
    throw new DataError(
      'DATA_MISSING_COLUMN',
      `no channel is labelled mains or aggregate; labels are [${labelList}]`,
      { file: labelsFile },
    );
  }
  await Promise.all(
    [...mainsFiles, ...[...applianceFiles.values()].flat()].map((f) =>
      mustExist(f, 'channel file'),
    ),
  );

  // One file at a time, each binned onto the grid as soon as it is read: a UK-DALE house holds
  // dozens of channels of tens of millions of samples, too many to keep raw all at once. In
  // order, too, so that an error names the first bad file.
  const mainsRaw: SampledChannel[] = [];
  for (const file of mainsFiles) {
    const ch = await readDatChannel(file);
    if (ch.timesMs.length === 0) {
      throw new DataError('DATA_EMPTY', 'the mains file holds no samples', { file });
    }
    mainsRaw.push(ch);
  }
  // The grid spans all mains channels together; split phases need not start on the same second.
  const span: SampledChannel = {
    timesMs: [
      Math.min(...mainsRaw.map((c) => c.timesMs[0]!)),
      Math.max(...mainsRaw.map((c) => c.timesMs[c.timesMs.length - 1]!)),
    ],
    values: [NaN, NaN],
  };
  const gridOpts = { periodS, fillLimitS: opts.fillLimitS, spanChannel: 'span' };
  const onGrid = (ch: SampledChannel) => toGrid({ span, ch }, gridOpts);
  const startMs = onGrid(span).startMs;
  // splice empties mainsRaw so that the raw mains can be freed while appliances are read.
  const mains = sumChannels(mainsRaw.splice(0).map((c) => onGrid(c).channels.ch!));
  const appliances: Record<string, Float32Array> = {};
  for (const [name, files] of applianceFiles) {
    const grids: Float32Array[] = [];
    for (const file of files) grids.push(onGrid(await readDatChannel(file)).channels.ch!);
    appliances[name] = sumChannels(grids);
  }
  return {
    series: { startMs, periodS, mains, appliances, source: opts.source ?? dir },
    skipped,
  };
}
