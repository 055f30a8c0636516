/**
 * Import history (owners): upload a CSV recording, in our dataset layout or a generic
 * `time,power`, in W or kW. The readings keep the recording's own timestamps. A progress line
 * follows the upload, then the server's answer: how many readings and the span they cover, or
 * why the file was refused (the line and the reason; nothing of a refused file is stored).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImportFormat, ImportResult } from '../lib/api.client.js';
import { formatCount, formatDateTime, formatNumber, formatPercent } from '../lib/format.js';
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

const FORMATS = [
  { value: 'dataset', label: 'importPanel.dataset' },
  { value: 'time-power', label: 'importPanel.timePower' },
] as const satisfies ReadonlyArray<{ value: ImportFormat; label: string }>;

/** A byte count for people: "812 B", "1.4 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${formatNumber(n / 1024, 1)} KB`;
  return `${formatNumber(n / 1024 / 1024, 1)} MB`;
}

export function ImportPanel({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
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
    <Panel id="import" title={t('importPanel.title')}>
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">{t('importPanel.intro')}</p>
      <form
        onSubmit={(e) => void submit(e)}
        aria-label={t('importPanel.form')}
        noValidate
        className="grid items-end gap-3 sm:grid-cols-2"
      >
        <div className="sm:col-span-2">
          <label htmlFor={fileId} className={labelClass}>
            {t('importPanel.file')}
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
          {t('importPanel.layout')}
          <select
            value={format}
            disabled={busy}
            onChange={(e) => setFormat(e.target.value as ImportFormat)}
            className={inputClass}
          >
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {t(f.label)}
              </option>
            ))}
          </select>
        </label>
        <label className={labelClass}>
          {t('importPanel.unit')}
          <select
            value={unit}
            disabled={busy}
            onChange={(e) => setUnit(e.target.value as Unit)}
            className={inputClass}
          >
            <option value="W">{t('importPanel.watts')}</option>
            <option value="kW">{t('importPanel.kilowatts')}</option>
          </select>
        </label>
        <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
          <button type="submit" disabled={!file || busy} className={primaryButton}>
            {busy ? t('importPanel.importing') : t('importPanel.upload')}
          </button>
          {upload.phase === 'sending' && (
            <button
              type="button"
              onClick={() => abort.current?.abort()}
              className={secondaryButton}
            >
              {t('dialog.cancel')}
            </button>
          )}
        </div>
      </form>
      <div className="mt-3 space-y-2" aria-live="polite">
        {upload.phase === 'sending' && (
          <>
            <progress
              aria-label={t('importPanel.progress')}
              max={upload.total || 1}
              value={upload.loaded}
              className="h-2 w-full accent-emerald-600"
            />
            <p className="text-sm tabular-nums" data-testid="import-progress">
              {t('importPanel.uploading', {
                percent: formatPercent(
                  Math.floor((upload.loaded / (upload.total || 1)) * 100) / 100,
                ),
                loaded: formatBytes(upload.loaded),
                total: formatBytes(upload.total),
              })}
            </p>
          </>
        )}
        {upload.phase === 'importing' && (
          <p className="text-sm" data-testid="import-progress">
            {t('importPanel.serverImporting')}
          </p>
        )}
        {upload.phase === 'done' && (
          <p role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
            {upload.result.start && upload.result.end
              ? t('importPanel.importedSpan', {
                  count: upload.result.imported,
                  n: formatCount(upload.result.imported),
                  from: formatDateTime(upload.result.start, units),
                  to: formatDateTime(upload.result.end, units),
                })
              : t('importPanel.imported', {
                  count: upload.result.imported,
                  n: formatCount(upload.result.imported),
                })}
            {upload.result.skipped_missing > 0
              ? t('importPanel.skipped', {
                  count: upload.result.skipped_missing,
                  n: formatCount(upload.result.skipped_missing),
                })
              : ''}
          </p>
        )}
        {upload.phase === 'cancelled' && (
          <p role="status" className="text-sm">
            {t('importPanel.cancelled')}
          </p>
        )}
        {upload.phase === 'failed' && <ErrorState error={upload.error} />}
      </div>
    </Panel>
  );
}
