/**
 * Labels (issue 13.2): what an owner knows of a span of the building's time, "this was the
 * <appliance>" or "nothing of <appliance> here". The form (start, end, appliance, and one button
 * per kind) serves both the dialog that follows a drag across the power chart and the keyboard;
 * the panel lists the labels with delete and the CSV export.
 */
import type { Label, LabelBody } from '@nilm/contracts';
import * as Dialog from '@radix-ui/react-dialog';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { applianceName, formatDateTime } from '../lib/format.js';
import { useCreateLabel, useDeleteLabel, useLabels } from '../state/learn.queries.js';
import { useSession } from '../state/session.js';
import { useSettings } from '../state/settings.js';
import { AppliancePicker } from './appliance.picker.js';
import { ConfirmButton, dialogContent, dialogOverlay } from './confirm.dialog.js';
import { inputClass, labelClass, primaryButton, secondaryButton } from './form.helpers.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';

/** Epoch ms as a datetime-local value in the browser's time ("2026-01-02T15:05"). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** A datetime-local value (the browser's time) as ISO-8601 with a zone, or null when blank. */
export function fromLocalInput(value: string): string | null {
  const ms = new Date(value).getTime();
  return value && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Start, end, appliance, and "This was it" / "Nothing of it here" (each sends the label). */
export function LabelForm({
  buildingId,
  from,
  to,
  onSaved,
}: {
  buildingId: string;
  /** The span to start with (a drag on the chart), epoch ms. */
  from?: number;
  to?: number;
  onSaved?: (label: Label) => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const create = useCreateLabel(buildingId);
  const [start, setStart] = useState(from === undefined ? '' : toLocalInput(from));
  const [end, setEnd] = useState(to === undefined ? '' : toLocalInput(to));
  const [appliance, setAppliance] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const send = (kind: LabelBody['kind']) => (e: FormEvent) => {
    e.preventDefault();
    const s = fromLocalInput(start);
    const en = fromLocalInput(end);
    if (!s || !en) return setInvalid(t('learn.labels.needSpan'));
    if (!appliance) return setInvalid(t('learn.labels.needAppliance'));
    setInvalid(null);
    create.mutate({ appliance, kind, start: s, end: en }, { onSuccess: onSaved });
  };
  return (
    <form
      aria-label={t('learn.labels.form')}
      onSubmit={send('on')}
      className="grid gap-3 sm:grid-cols-3"
    >
      <label className={labelClass}>
        {t('learn.labels.start')}
        <input
          type="datetime-local"
          value={start}
          onChange={(e) => setStart(e.target.value)}
          className={inputClass}
        />
      </label>
      <label className={labelClass}>
        {t('learn.labels.end')}
        <input
          type="datetime-local"
          value={end}
          onChange={(e) => setEnd(e.target.value)}
          className={inputClass}
        />
      </label>
      <div>
        <label className={labelClass} htmlFor={`${id}-appliance`}>
          {t('learn.appliance')}
        </label>
        <AppliancePicker
          id={`${id}-appliance`}
          value={appliance}
          onChange={setAppliance}
          empty={t('learn.labels.choose')}
          className={inputClass}
        />
      </div>
      <div className="flex flex-wrap gap-2 sm:col-span-3">
        <button type="submit" disabled={create.isPending} className={primaryButton}>
          {t('learn.labels.on')}
        </button>
        <button
          type="button"
          disabled={create.isPending}
          onClick={send('off')}
          className={secondaryButton}
        >
          {t('learn.labels.off')}
        </button>
      </div>
      {invalid !== null && (
        <p role="alert" className="text-sm text-red-700 sm:col-span-3 dark:text-red-300">
          {invalid}
        </p>
      )}
      {invalid === null && create.error && (
        <div className="sm:col-span-3">
          <ErrorState error={create.error} />
        </div>
      )}
    </form>
  );
}

/** The dialog a drag across the power chart opens: the span chosen, then the form. */
export function LabelDialog({
  buildingId,
  span,
  onClose,
}: {
  buildingId: string;
  span: { from: number; to: number } | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Dialog.Root open={span !== null} onOpenChange={(o) => !o && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className={dialogOverlay} />
        <Dialog.Content className={`${dialogContent} max-w-xl`}>
          <Dialog.Title className="text-lg font-semibold">{t('learn.labels.dialog')}</Dialog.Title>
          <Dialog.Description className="mt-1 mb-3 text-sm text-slate-600 dark:text-slate-300">
            {t('learn.labels.dialogText')}
          </Dialog.Description>
          {span && (
            <LabelForm buildingId={buildingId} from={span.from} to={span.to} onSaved={onClose} />
          )}
          <div className="mt-3 flex justify-end">
            <Dialog.Close className={secondaryButton}>{t('dialog.cancel')}</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** Offers text as a file download (browser only). */
function download(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}

/** The building's labels with delete (owners), the keyboard form, and the CSV export. */
export function LabelsPanel({ buildingId, canEdit }: { buildingId: string; canEdit: boolean }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const { units } = useSettings().settings;
  const labels = useLabels(buildingId);
  const remove = useDeleteLabel(buildingId);
  const [exportError, setExportError] = useState<unknown>(null);
  const exportCsv = async () => {
    setExportError(null);
    try {
      download(`labels-${buildingId}.csv`, await api.labelsCsv(buildingId));
    } catch (e) {
      setExportError(e);
    }
  };
  const list = labels.data?.labels ?? [];
  return (
    <Panel
      id="labels"
      title={t('learn.labels.title')}
      actions={
        <button type="button" onClick={() => void exportCsv()} className={secondaryButton}>
          {t('learn.labels.export')}
        </button>
      }
    >
      <p className="text-sm text-slate-600 dark:text-slate-300">
        {canEdit ? t('learn.labels.intro') : t('learn.labels.readOnly')}
      </p>
      {exportError !== null && <ErrorState error={exportError} />}
      {labels.error ? (
        <ErrorState error={labels.error} onRetry={() => void labels.refetch()} />
      ) : labels.isPending ? (
        <Loading />
      ) : list.length === 0 ? (
        <Empty>{t('learn.labels.none')}</Empty>
      ) : (
        <ul
          aria-label={t('learn.labels.title')}
          className="mt-2 divide-y divide-slate-100 text-sm dark:divide-slate-800"
        >
          {list.map((l) => {
            const what = t(l.kind === 'on' ? 'learn.labels.wasIt' : 'learn.labels.wasNot', {
              appliance: applianceName(l.appliance),
            });
            const span = t('learn.labels.span', {
              from: formatDateTime(l.start, units),
              to: formatDateTime(l.end, units),
            });
            return (
              <li key={l.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <span>
                  <span className="font-medium">{what}</span>{' '}
                  <span className="text-slate-500 dark:text-slate-400">{span}</span>
                </span>
                {canEdit && (
                  <ConfirmButton
                    label={t('learn.labels.deleteLabel', { what, span })}
                    title={t('learn.labels.deleteTitle')}
                    description={`${what} ${span}`}
                    confirmLabel={t('learn.labels.delete')}
                    onConfirm={() => remove.mutateAsync(l.id)}
                  >
                    {t('learn.labels.delete')}
                  </ConfirmButton>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {canEdit && (
        <details className="mt-3">
          <summary className="cursor-pointer text-sm font-medium">{t('learn.labels.add')}</summary>
          <div className="mt-2">
            <LabelForm buildingId={buildingId} />
          </div>
        </details>
      )}
    </Panel>
  );
}
