/**
 * `nilm import`: send a recording's history to a running server with its own timestamps
 * (`POST /api/v1/buildings/{id}/import`), as one CSV file. The file is checked here first with
 * the server's own rules (`checkImportCsv` from @nilm/contracts), so a bad file stops before
 * anything is sent, naming the line and why; then it is uploaded in one request, with a progress
 * bar of the bytes sent. `nilm replay` is the live simulator; this keeps the recording's dates.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { Option, type Command } from 'commander';
import { SUMMARIES } from './command.summaries.js';
import {
  checkImportCsv,
  Id,
  IMPORT_FORMATS,
  IMPORT_UNITS,
  type ImportFormat,
  type ImportResponse,
  type ImportUnit,
} from '@nilm/contracts';
import { NilmError } from '@nilm/ml';
import { formatDuration, progressBar } from '../progress.js';

interface ImportOptions {
  data: string;
  building: string;
  url: string;
  token: string;
  format: ImportFormat;
  unit: ImportUnit;
}

/** Bytes handed to the socket at a time; the progress bar moves once per chunk. */
const CHUNK_BYTES = 256 * 1024;
/** How long the server may stay silent (storing a large file) before we give up. */
const SILENCE_MS = 10 * 60_000;
/** The API's own building id rule (the contract's JSON Schema pattern). */
const BUILDING_ID = new RegExp((Id as unknown as { pattern: string }).pattern);

function note(line: string): void {
  process.stderr.write(`${progressBar.clear()}import: ${line}\n`);
}

function invalid(message: string): NilmError {
  return new NilmError('CONFIG_INVALID', message);
}

/** "14.0 days" for long spans, else as formatDuration ("3h20m"). */
const spanOf = (ms: number): string =>
  ms >= 86_400_000 ? `${(ms / 86_400_000).toFixed(1)} days` : formatDuration(ms / 1000);

const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1);

/** The import endpoint under an API base URL (a base with a path, behind a proxy, is kept). */
export function importUrl(base: string, building: string, format: string, unit: string): URL {
  let url: URL;
  try {
    url = new URL(base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw invalid(`--url "${base}" is not a URL; example: --url http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`--url "${base}" must start with http:// or https://`);
  const endpoint = new URL(`api/v1/buildings/${encodeURIComponent(building)}/import`, url);
  endpoint.searchParams.set('format', format);
  endpoint.searchParams.set('unit', unit);
  return endpoint;
}

/** The file's bytes, gunzipped when it is gzip (by its magic number, whatever its name). */
function readData(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT')
      throw new NilmError('DATA_NOT_FOUND', `${file}: file not found`, { file });
    throw new NilmError('DATA_MALFORMED', `${file}: cannot read the file: ${err.message}`, {
      file,
    });
  }
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw new NilmError(
      'DATA_MALFORMED',
      `${file}: starts like gzip but does not decompress (${(e as Error).message}); is it truncated?`,
      { file },
    );
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * POST `body` in one request, calling `progress` with the bytes the socket has taken. Stops
 * sending when the server answers early (a refusal before the body is read).
 */
function upload(
  url: URL,
  token: string,
  body: Buffer,
  progress: (sent: number) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-length': String(body.length),
        // The server takes a device token here as well as a user's JWT.
        authorization: `Bearer ${token}`,
      },
    });
    let answered = false;
    req.setTimeout(SILENCE_MS, () =>
      req.destroy(
        new Error(
          `no answer for ${formatDuration(SILENCE_MS / 1000)}; the server may be overloaded`,
        ),
      ),
    );
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
        req.destroy();
      });
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    let offset = 0;
    const writeMore = (): void => {
      while (offset < body.length && !answered) {
        const chunk = body.subarray(offset, offset + CHUNK_BYTES);
        offset += chunk.length;
        const sent = offset;
        if (!req.write(chunk, () => progress(sent))) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!answered) req.end();
    };
    writeMore();
  });
}

function errorOf(text: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return {
      code: typeof parsed.error?.code === 'string' ? parsed.error.code : undefined,
      message: typeof parsed.error?.message === 'string' ? parsed.error.message : undefined,
    };
  } catch {
    return { message: text.slice(0, 200) || undefined };
  }
}

function hintFor(status: number): string {
  if (status === 401)
    return '; check --token: a device token of the building or a signed-in user token';
  if (status === 403) return '; the token may read this building but not write to it';
  if (status === 404) return '; check --building and that --token belongs to it';
  if (status === 503 || status === 429)
    return '; nothing is doubled by sending the same file again: run the same command later';
  return '';
}

async function runImport(o: ImportOptions): Promise<void> {
  if (!BUILDING_ID.test(o.building))
    throw invalid(
      `--building "${o.building}" is not a building id (1 to 64 of a-z, A-Z, 0-9, _ and -)`,
    );
  const endpoint = importUrl(o.url, o.building, o.format, o.unit);
  const body = readData(o.data);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new NilmError('DATA_UNSUPPORTED', `${o.data}: is not UTF-8 text; save it as UTF-8 CSV`, {
      file: o.data,
    });
  }
  const checked = checkImportCsv(text, { format: o.format, unit: o.unit, nowMs: Date.now() });
  if (!checked.ok) {
    const first = checked.problems[0]!;
    throw new NilmError(
      'DATA_MALFORMED',
      `${o.data}: ${checked.message} (checked here; nothing was sent)`,
      { file: o.data, line: first.line, problems: checked.problems, bad_lines: checked.badLines },
    );
  }
  const { timesMs } = checked.value;
  const first = timesMs[0]!;
  const last = timesMs[timesMs.length - 1]!;
  note(
    `${o.data}: ${timesMs.length} readings, ${new Date(first).toISOString()} to ${new Date(last).toISOString()} (${spanOf(last - first)}), checked; sending ${megabytes(body.length)} MB to ${endpoint.origin}`,
  );

  const started = Date.now();
  let answer: Answer;
  try {
    answer = await upload(endpoint, o.token, body, (sent) => {
      progressBar.draw(
        'upload',
        sent / body.length,
        `${megabytes(sent)}/${megabytes(body.length)} MB`,
      );
      if (sent === body.length) note('sent; the server is storing the readings');
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw invalid(
      `cannot send to ${endpoint.origin}: ${err.code ?? ''}${err.code ? ' ' : ''}${err.message}; is the server running at --url? Nothing is doubled by sending the same file again`,
    );
  }
  const seconds = (Date.now() - started) / 1000;
  if (answer.status !== 200) {
    const { code, message } = errorOf(answer.text);
    throw invalid(
      `the server refused the import (HTTP ${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''})${hintFor(answer.status)}`,
    );
  }
  const result = JSON.parse(answer.text) as ImportResponse;
  const span = Date.parse(result.end) - Date.parse(result.start);
  process.stdout.write(
    `imported ${result.imported} readings into building ${o.building}: ${result.start} to ${result.end} (${spanOf(span)})${
      result.skipped_missing > 0
        ? `; ${result.skipped_missing} rows with Aggregate 0 (missing data) left out`
        : ''
    }\n`,
  );
  note(
    `took ${seconds.toFixed(1)} s (${Math.round(result.imported / Math.max(seconds, 1e-3))} readings/s); the worker now estimates the appliances of this history`,
  );
}

/** Register `nilm import`. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description(SUMMARIES.import)
    .requiredOption('-d, --data <file>', 'CSV file (plain or gzip) to import')
    .requiredOption('-b, --building <id>', 'building the readings belong to')
    .requiredOption('--url <base>', 'API base URL, e.g. http://127.0.0.1:8080')
    .requiredOption(
      '--token <token>',
      "a device token of the building (nilm_dev_...) or a user's token (JWT) of an owner or member",
    )
    .addOption(
      new Option('--format <format>', 'layout of the file')
        .choices([...IMPORT_FORMATS])
        .default('dataset'),
    )
    .addOption(
      new Option('--unit <unit>', 'unit of the power column')
        .choices([...IMPORT_UNITS])
        .default('W'),
    )
    .addHelpText(
      'after',
      `
Formats:
  dataset     Time,Aggregate,<Appliance>... (the files under data/); only Time and Aggregate
              are imported; times without a zone are UTC; Aggregate 0 is missing data, skipped
  time-power  a header line (any two names), then time,power rows

Times: ISO-8601 with a zone (2024-05-01T12:00:00Z, 2024-05-01 13:00:00+01:00), or a plain
number: epoch seconds below 10^11, epoch milliseconds from 10^11 on.

Every line is checked before anything is sent (time parses, lies between 2000 and now, later
than the line before; power a number within 0..100 kW): a bad file stops with exit code 2,
naming the line and why. The server checks again and stores all readings or none; after a
503 (a store failed part-way) run the same command again: nothing is doubled.

Examples:
  nilm import --data data/REFIT_House20_2014-09-03_14d.csv.gz --building home \\
    --url http://127.0.0.1:8080 --token nilm_dev_...
  nilm import --data meter-export.csv --format time-power --unit kW --building home \\
    --url http://127.0.0.1:8080 --token nilm_dev_...`,
    )
    .action(async (opts: ImportOptions) => {
      await runImport(opts);
    });
}
