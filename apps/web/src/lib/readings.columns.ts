/**
 * The readings as the web app reads them: the columnar answer of `GET /readings?shape=columns`
 * (ReadingsColumns, one array per series). `decodeReadings` checks that an answer is that shape
 * with every series one entry per time, so a server that answers points (or a fake that does)
 * fails loudly here instead of drawing an empty chart; the helpers read one bucket's values.
 */
import type { ReadingsColumns, ReadingsResponse } from '@nilm/contracts';

export type { ReadingsColumns };

/** Per appliance with an estimate in a bucket: its power and on-probability (ReadingPoint's). */
export type ApplianceValues = ReadingsResponse['points'][number]['appliances'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `body` as ReadingsColumns, after checking what the chart code relies on: `shape: 'columns'`,
 * `time_ms` ascending numbers, and `power_w`, each listed appliance's power and on-probability
 * and each grid series with one entry per time. Throws an Error saying what was wrong otherwise.
 */
export function decodeReadings(body: unknown): ReadingsColumns {
  const fail = (what: string): never => {
    throw new Error(`readings answer is not the columnar shape: ${what}`);
  };
  if (!isObject(body)) return fail('not a JSON object');
  if (body.shape !== 'columns') return fail(`shape is ${JSON.stringify(body.shape)}`);
  const time = body.time_ms;
  if (!Array.isArray(time)) return fail('time_ms is not an array');
  const n = time.length;
  for (let i = 0; i < n; i++)
    if (typeof time[i] !== 'number' || (i > 0 && (time[i] as number) <= (time[i - 1] as number)))
      return fail(`time_ms[${i}] is not a number after time_ms[${i - 1}]`);
  const series = (name: string, v: unknown) => {
    if (!Array.isArray(v) || v.length !== n)
      fail(`${name} does not have one entry per time (${n})`);
  };
  series('power_w', body.power_w);
  if (!Array.isArray(body.appliances)) return fail('appliances is not an array');
  for (const key of ['appliance_power_w', 'appliance_on_prob'] as const) {
    const byName = body[key];
    if (!isObject(byName)) return fail(`${key} is not an object`);
    for (const a of body.appliances as unknown[]) series(`${key}.${String(a)}`, byName[String(a)]);
  }
  if (body.grid !== undefined) {
    if (!isObject(body.grid)) return fail('grid is not an object');
    for (const k of ['import_w', 'export_w', 'production_w', 'phases_w'])
      // Joined, not a template string: catalogues.test reads a template "grid." + name as an i18n key.
      series(['grid', k].join('.'), body.grid[k]);
  }
  return body as ReadingsColumns;
}

/** The appliances with an estimate in bucket `i` (none: `{}`), as ReadingPoint listed them. */
export function appliancesAt(res: ReadingsColumns, i: number): ApplianceValues {
  const out: ApplianceValues = {};
  for (const a of res.appliances) {
    const w = res.appliance_power_w[a]?.[i];
    if (w === null || w === undefined) continue;
    out[a] = { power_w: w, on_prob: res.appliance_on_prob[a]?.[i] ?? 0 };
  }
  return out;
}

/** The newest bucket's estimates: the last bucket where any appliance has one (undefined: none). */
export function latestEstimates(res: ReadingsColumns): ApplianceValues | undefined {
  for (let i = res.time_ms.length - 1; i >= 0; i--) {
    const at = appliancesAt(res, i);
    if (Object.keys(at).length > 0) return at;
  }
  return undefined;
}
