/**
 * "Teach the model your home" (issue 13.4, 13.5), on the Model page: pick the appliances to
 * teach (those with a sub-meter or labels first; any of the vocabulary) and found devices the
 * owner named (each gets a head of its own, learnt from its runs), start a fine-tune, follow
 * its progress (read again every 2 s while it is queued or running), then the building's own
 * models, each with its scorecard beside its base's on the held-out minutes, to activate or
 * discard. Owners act; everyone else reads.
 */
import {
  FINETUNE_EPOCHS,
  type FinetuneJob,
  type FoundDevice,
  type PinnedModel,
} from '@nilm/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  applianceName,
  formatDateTime,
  formatKwh,
  formatNumber,
  formatPercent,
} from '../lib/format.js';
import {
  useBuildingModelAction,
  useBuildingModels,
  useCancelFinetune,
  useDevices,
  useFinetuneJobs,
  useLabels,
  useStartFinetune,
} from '../state/learn.queries.js';
import { useSources } from '../state/queries.js';
import { useSettings } from '../state/settings.js';
import { AppliancePicker } from './appliance.picker.js';
import { primaryButton, secondaryButton } from './form.helpers.js';
import { ResponsiveTable } from './responsive.table.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';

/** The most heads one fine-tune teaches, appliances and devices together (the API's limit). */
const MAX_APPLIANCES = 4;

const hours = (minutes: number) => formatNumber(minutes / 60, minutes < 600 ? 1 : 0);

/**
 * The appliances worth teaching: those a sub-meter measures (`metered`, chosen to start with),
 * then those with labels (offered; "nothing of it here" alone never shows the appliance on).
 */
function useTeachable(
  buildingId: string,
  canEdit: boolean,
): { metered: string[]; offered: string[] } {
  const sources = useSources(buildingId, canEdit ? 60_000 : 0);
  const labels = useLabels(buildingId);
  const metered = canEdit
    ? (sources.data?.sources ?? []).flatMap((s) =>
        s.role === 'submeter' && s.appliance ? [s.appliance] : [],
      )
    : [];
  return {
    metered,
    offered: [...new Set([...metered, ...(labels.data?.labels ?? []).map((l) => l.appliance)])],
  };
}

/**
 * The found devices a head can be taught for: those the owner named, shown by the name their
 * estimates carry (the name given, else the appliance type).
 */
function useNamedDevices(buildingId: string, canEdit: boolean): FoundDevice[] {
  const devices = useDevices(buildingId);
  if (!canEdit) return [];
  return (devices.data?.devices ?? []).filter(
    (d) => d.status === 'named' && (d.name !== null || d.appliance !== null),
  );
}

const deviceName = (d: FoundDevice): string => d.name ?? applianceName(d.appliance!);

/** Whether the epochs field holds what the API takes: empty (its default), or a whole number in bounds. */
function epochsOk(text: string): boolean {
  if (text.trim() === '') return true;
  const n = Number(text);
  return Number.isInteger(n) && n >= FINETUNE_EPOCHS.min && n <= FINETUNE_EPOCHS.max;
}

function JobStatus({
  job,
  buildingId,
  canEdit,
}: {
  job: FinetuneJob;
  buildingId: string;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const cancel = useCancelFinetune(buildingId);
  const { units } = useSettings().settings;
  const names = job.appliances.map((a) => applianceName(a)).join(', ');
  const p = job.progress;
  const share = p && p.epochs > 0 ? (p.epoch - 1 + (p.steps ? p.step / p.steps : 0)) / p.epochs : 0;
  return (
    <div className="mt-3 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700">
      <p role="status">
        {t(`learn.finetune.status.${job.status}`, { names })}{' '}
        <span className="text-slate-500 dark:text-slate-400">
          {t('learn.finetune.since', { when: formatDateTime(job.created_at, units) })}
        </span>
      </p>
      {job.status === 'running' && p && (
        <>
          <progress
            className="mt-2 h-2 w-full accent-emerald-600"
            max={1}
            value={Math.max(0, Math.min(1, share))}
            aria-label={t('learn.finetune.progressLabel')}
          />
          <p className="mt-1 text-slate-600 dark:text-slate-300">
            {t('learn.finetune.epoch', { epoch: p.epoch, epochs: p.epochs })}
            {p.loss !== null && t('learn.finetune.loss', { loss: formatNumber(p.loss, 4) })}
          </p>
        </>
      )}
      {job.status === 'failed' && job.error && (
        <p className="mt-1 text-red-700 dark:text-red-300">{job.error}</p>
      )}
      {canEdit && (job.status === 'queued' || job.status === 'running') && (
        <button
          type="button"
          disabled={cancel.isPending}
          onClick={() => cancel.mutate(job.id)}
          className={`mt-2 ${secondaryButton}`}
        >
          {t('learn.finetune.cancel')}
        </button>
      )}
      {cancel.error && <ErrorState error={cancel.error} />}
    </div>
  );
}

function ScoreTable({ model }: { model: PinnedModel }) {
  const { t } = useTranslation();
  const rows = Object.entries(model.scorecard.appliances);
  const f1 = (v: number | null) => formatNumber(v, 2);
  const mae = (v: number | null) => (v === null ? '–' : `${formatNumber(v, 1)} W`);
  const err = (v: number | null) => (v === null ? '–' : formatPercent(v));
  const base = t('learn.models.base');
  const tuned = t('learn.models.tuned');
  return (
    <ResponsiveTable
      label={t('learn.models.scorecardOf', { ref: model.ref })}
      caption={t('learn.models.scorecard', {
        hours: hours(model.scorecard.held_out.minutes),
      })}
      captionClass="mb-1 text-left text-sm font-medium"
      tableClass="w-full text-sm"
      headCellClass="px-2 py-1 font-medium whitespace-nowrap"
      cellClass="px-2 py-1 text-right tabular-nums"
      columns={[
        t('compareSection.appliance'),
        `F1 (${base})`,
        `F1 (${tuned})`,
        `MAE (${base})`,
        `MAE (${tuned})`,
        t('learn.models.metered'),
        `${t('learn.models.energy')} (${base})`,
        `${t('learn.models.energy')} (${tuned})`,
      ].map((c) => ({ key: c, label: c, name: c }))}
      rows={rows.map(([name, s]) => ({
        key: name,
        label: applianceName(name),
        cells: [
          f1(s.base.f1),
          f1(s.tuned.f1),
          mae(s.base.mae_w),
          mae(s.tuned.mae_w),
          formatKwh(s.tuned.energy_true_kwh),
          `${formatKwh(s.base.energy_pred_kwh)} (${err(s.base.energy_error)})`,
          `${formatKwh(s.tuned.energy_pred_kwh)} (${err(s.tuned.energy_error)})`,
        ],
      }))}
    />
  );
}

function ModelItem({
  buildingId,
  model,
  canEdit,
}: {
  buildingId: string;
  model: PinnedModel;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  const activate = useBuildingModelAction(buildingId, 'activate');
  const discard = useBuildingModelAction(buildingId, 'discard');
  const busy = activate.isPending || discard.isPending;
  return (
    <li className="py-3" aria-label={model.ref}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm">
          <span className="font-semibold">{model.ref}</span>{' '}
          <span
            className={
              model.status === 'active'
                ? 'rounded bg-emerald-50 px-2 py-0.5 text-xs font-semibold text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200'
                : 'text-xs text-slate-500 dark:text-slate-400'
            }
          >
            {t(`learn.models.status.${model.status}`)}
          </span>
        </p>
        {canEdit && model.status !== 'active' && (
          <div className="flex gap-2">
            <button
              type="button"
              disabled={busy}
              onClick={() => activate.mutate(model.ref)}
              aria-label={t('learn.models.activateLabel', { ref: model.ref })}
              className={primaryButton}
            >
              {t('learn.models.activate')}
            </button>
            {model.status === 'candidate' && (
              <button
                type="button"
                disabled={busy}
                onClick={() => discard.mutate(model.ref)}
                aria-label={t('learn.models.discardLabel', { ref: model.ref })}
                className={secondaryButton}
              >
                {t('learn.models.discard')}
              </button>
            )}
          </div>
        )}
      </div>
      <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
        {t('learn.models.made', {
          when: formatDateTime(model.created_at, units),
          base: model.base,
          trained: hours(model.scorecard.trained_on.minutes),
          seconds: formatNumber(model.training_seconds, 0),
        })}
        {model.added.length > 0 &&
          t('learn.models.added', { names: model.added.map((a) => applianceName(a)).join(', ') })}
      </p>
      {(activate.error ?? discard.error) && <ErrorState error={activate.error ?? discard.error} />}
      <div className="mt-2">
        <ScoreTable model={model} />
      </div>
    </li>
  );
}

export function FinetunePanel({ buildingId, canEdit }: { buildingId: string; canEdit: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const queryClient = useQueryClient();
  const teachable = useTeachable(buildingId, canEdit);
  const jobs = useFinetuneJobs(buildingId);
  const models = useBuildingModels(buildingId);
  const start = useStartFinetune(buildingId);
  const named = useNamedDevices(buildingId, canEdit);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [devices, setDevices] = useState<string[]>([]);
  const [extra, setExtra] = useState('');
  const [epochs, setEpochs] = useState('');
  const epochsBad = !epochsOk(epochs);
  const picked = chosen ?? [...new Set(teachable.metered)].slice(0, MAX_APPLIANCES);
  const full = picked.length + devices.length >= MAX_APPLIANCES;
  const offered = [...new Set([...teachable.offered, ...picked])];
  const latest = jobs.data?.jobs[0];
  const busy = latest?.status === 'queued' || latest?.status === 'running';
  // A job that ends makes (or not) a model: read the models again.
  const latestKey = latest && `${latest.id}:${latest.status}`;
  useEffect(() => {
    if (latestKey?.endsWith(':done'))
      void queryClient.invalidateQueries({ queryKey: ['building-models', buildingId] });
  }, [latestKey, buildingId, queryClient]);
  const toggle = (name: string, on: boolean) =>
    setChosen(on ? [...picked, name] : picked.filter((n) => n !== name));
  return (
    <Panel id="model-teach" title={t('learn.finetune.title')}>
      <p className="text-sm text-slate-600 dark:text-slate-300">{t('learn.finetune.intro')}</p>
      {canEdit && (
        <form
          className="mt-3 space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (epochsBad) return;
            start.mutate({
              ...(picked.length === 0 ? {} : { appliances: picked }),
              ...(devices.length === 0 ? {} : { devices }),
              ...(epochs.trim() === '' ? {} : { epochs: Number(epochs) }),
            });
          }}
        >
          <fieldset>
            <legend className="text-sm font-medium">{t('learn.finetune.which')}</legend>
            {offered.length === 0 ? (
              <p className="text-sm text-slate-500 dark:text-slate-400">
                {t('learn.finetune.noneYet')}
              </p>
            ) : (
              <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
                {offered.map((n) => (
                  <li key={n}>
                    <label className="flex items-center gap-1.5 text-sm">
                      <input
                        type="checkbox"
                        checked={picked.includes(n)}
                        disabled={!picked.includes(n) && full}
                        onChange={(e) => toggle(n, e.target.checked)}
                      />
                      {applianceName(n)}
                    </label>
                  </li>
                ))}
              </ul>
            )}
          </fieldset>
          {named.length > 0 && (
            <fieldset>
              <legend className="text-sm font-medium">{t('learn.finetune.devices')}</legend>
              <p className="text-xs text-slate-500 dark:text-slate-400">
                {t('learn.finetune.devicesHint')}
              </p>
              <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
                {named.map((d) => (
                  <li key={d.id}>
                    <label className="flex items-center gap-1.5 text-sm">
                      <input
                        type="checkbox"
                        checked={devices.includes(d.id)}
                        disabled={!devices.includes(d.id) && full}
                        onChange={(e) =>
                          setDevices(
                            e.target.checked
                              ? [...devices, d.id]
                              : devices.filter((x) => x !== d.id),
                          )
                        }
                      />
                      {t('learn.finetune.device', {
                        name: deviceName(d),
                        label: d.label,
                        runs: formatNumber(d.runs, 0),
                      })}
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
          )}
          <div className="flex flex-wrap items-end gap-2">
            <div>
              <label className="block text-sm font-medium" htmlFor={`${id}-extra`}>
                {t('learn.finetune.another')}
              </label>
              <AppliancePicker
                id={`${id}-extra`}
                value={extra}
                onChange={setExtra}
                empty={t('learn.labels.choose')}
                className="mt-1 block rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
              />
            </div>
            <button
              type="button"
              disabled={!extra || picked.includes(extra) || full}
              onClick={() => {
                setChosen([...picked, extra]);
                setExtra('');
              }}
              className={secondaryButton}
            >
              {t('learn.finetune.add')}
            </button>
          </div>
          <div>
            <label className="block text-sm font-medium" htmlFor={`${id}-epochs`}>
              {t('learn.finetune.epochs')}
            </label>
            <input
              id={`${id}-epochs`}
              type="number"
              inputMode="numeric"
              min={FINETUNE_EPOCHS.min}
              max={FINETUNE_EPOCHS.max}
              step={1}
              value={epochs}
              onChange={(e) => setEpochs(e.target.value)}
              aria-describedby={`${id}-epochs-hint`}
              aria-invalid={epochsBad}
              className="mt-1 block w-24 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
            />
            <p id={`${id}-epochs-hint`} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
              {t('learn.finetune.epochsHint', FINETUNE_EPOCHS)}
            </p>
            {epochsBad && (
              <p role="alert" className="mt-1 text-sm text-red-700 dark:text-red-300">
                {t('learn.finetune.epochsBad', FINETUNE_EPOCHS)}
              </p>
            )}
          </div>
          <button
            type="submit"
            disabled={picked.length + devices.length === 0 || start.isPending || busy || epochsBad}
            className={primaryButton}
          >
            {t('learn.finetune.start')}
          </button>
          {start.error && <ErrorState error={start.error} />}
        </form>
      )}
      {jobs.error ? (
        <ErrorState error={jobs.error} onRetry={() => void jobs.refetch()} />
      ) : latest ? (
        <JobStatus job={latest} buildingId={buildingId} canEdit={canEdit} />
      ) : null}
      <h3 className="mt-4 text-sm font-semibold">{t('learn.models.title')}</h3>
      {models.error ? (
        <ErrorState error={models.error} onRetry={() => void models.refetch()} />
      ) : models.isPending ? (
        <Loading />
      ) : models.data.models.length === 0 ? (
        <Empty>{t('learn.models.none')}</Empty>
      ) : (
        <ul
          aria-label={t('learn.models.title')}
          className="divide-y divide-slate-100 dark:divide-slate-800"
        >
          {models.data.models.map((m) => (
            <ModelItem key={m.ref} buildingId={buildingId} model={m} canEdit={canEdit} />
          ))}
        </ul>
      )}
    </Panel>
  );
}
