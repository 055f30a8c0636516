/**
 * Import history (owners): upload a CSV recording, in our dataset layout or a generic
 * `time,power`, in W or kW. The readings keep the recording's own timestamps. A progress line
 * follows the upload, then the server's answer: how many readings and the span they cover, or
 * why the file was refused (the line and the reason; nothing of a refused file is stored).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import type { ImportFormat, ImportResult } from '../lib/api.client.js';
import { formatDateTime } from '../lib/format.js';
import { useSession } from '../state/session.js';
import { useSettings } from '../state/settings.js';
import { inputClass, labelClass, primaryButton, secondaryButton } from './form.helpers.js';
import { ErrorState, Panel } from './states.js';

type Unit = 'W' | 'kW';
type Upload =
  | { phase: 'idle' }
  | { phase: 'sending'; loaded: number; total: number }
  | { phase: 'importing' }
  | { phase: 'done'; result: ImportResult }
  | { phase: 'failed'; error: unknown }
  | { phase: 'cancelled' };

const FORMATS: Array<{ value: ImportFormat; label: string }> = [
  { value: 'dataset', label: 'Our dataset layout (Time,Aggregate,<appliance>…)' },
  { value: 'time-power', label: 'Generic time,power' },
];

/** A byte count for people: "812 B", "1.4 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function ImportPanel({ buildingId }: { buildingId: string }) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const { units } = useSettings().settings;
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<ImportFormat>('dataset');
  const [unit, setUnit] = useState<Unit>('W');
  const [upload, setUpload] = useState<Upload>({ phase: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const fileId = useId();
  const busy = upload.phase === 'sending' || upload.phase === 'importing';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || busy) return;
    const ctrl = new AbortController();
    abort.current = ctrl;
    setUpload({ phase: 'sending', loaded: 0, total: file.size });
    try {
      const result = await api.importCsv(
        buildingId,
        file,
        { format, unit },
        ({ loaded, total }) =>
          // Once every byte is sent the server is reading the file: say so, not "100%".
          setUpload(loaded >= total ? { phase: 'importing' } : { phase: 'sending', loaded, total }),
        ctrl.signal,
      );
      setUpload({ phase: 'done', result });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['readings', buildingId] }),
        queryClient.invalidateQueries({ queryKey: ['energy', buildingId] }),
      ]);
    } catch (err) {
      setUpload(
        (err as { name?: unknown } | null)?.name === 'AbortError'
          ? { phase: 'cancelled' }
          : { phase: 'failed', error: err },
      );
    } finally {
      abort.current = null;
    }
  };

  return (
    <Panel id="import" title="Import history">
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">
        Load a recording from a CSV file. Its readings keep their own dates; a file with a bad line
        is refused whole, naming the line, and nothing of it is stored.
      </p>
      <form
        onSubmit={(e) => void submit(e)}
        aria-label="Import a CSV recording"
        noValidate
        className="grid items-end gap-3 sm:grid-cols-2"
      >
        <div className="sm:col-span-2">
          <label htmlFor={fileId} className={labelClass}>
            CSV file
          </label>
          <input
            id={fileId}
            type="file"
            accept=".csv,text/csv"
            required
            disabled={busy}
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setUpload({ phase: 'idle' });
            }}
            className="mt-1 block w-full text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm dark:file:border-slate-700 dark:file:bg-slate-900 dark:file:text-slate-100"
          />
        </div>
        <label className={labelClass}>
          Layout
          <select
            value={format}
            disabled={busy}
            onChange={(e) => setFormat(e.target.value as ImportFormat)}
            className={inputClass}
          >
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <label className={labelClass}>
          Power unit in the file
          <select
            value={unit}
            disabled={busy}
            onChange={(e) => setUnit(e.target.value as Unit)}
            className={inputClass}
          >
            <option value="W">W (watts)</option>
            <option value="kW">kW (kilowatts)</option>
          </select>
        </label>
        <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
          <button type="submit" disabled={!file || busy} className={primaryButton}>
            {busy ? 'Importing…' : 'Upload and import'}
          </button>
          {upload.phase === 'sending' && (
            <button
              type="button"
              onClick={() => abort.current?.abort()}
              className={secondaryButton}
            >
              Cancel
            </button>
          )}
        </div>
      </form>
      <div className="mt-3 space-y-2" aria-live="polite">
        {upload.phase === 'sending' && (
          <>
            <progress
              aria-label="Upload progress"
              max={upload.total || 1}
              value={upload.loaded}
              className="h-2 w-full accent-emerald-600"
            />
            <p className="text-sm tabular-nums" data-testid="import-progress">
              Uploading {Math.floor((upload.loaded / (upload.total || 1)) * 100)}% (
              {formatBytes(upload.loaded)} of {formatBytes(upload.total)})
            </p>
          </>
        )}
        {upload.phase === 'importing' && (
          <p className="text-sm" data-testid="import-progress">
            Uploaded; the server is importing the readings…
          </p>
        )}
        {upload.phase === 'done' && (
          <p role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
            Imported {upload.result.imported.toLocaleString()} readings
            {upload.result.start && upload.result.end
              ? `, from ${formatDateTime(upload.result.start, units)} to ${formatDateTime(upload.result.end, units)}`
              : ''}
            .
            {upload.result.skipped_missing > 0
              ? ` ${upload.result.skipped_missing.toLocaleString()} rows without a power value were skipped.`
              : ''}
          </p>
        )}
        {upload.phase === 'cancelled' && (
          <p role="status" className="text-sm">
            Upload cancelled.
          </p>
        )}
        {upload.phase === 'failed' && <ErrorState error={upload.error} />}
      </div>
    </Panel>
  );
}
