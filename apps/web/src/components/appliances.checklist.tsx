/**
 * The Building page's appliance checklist: every appliance the model can recognise, ticked
 * where the building has it. Owners and admins change it; everyone else sees it read-only.
 * Unticked appliances disappear from the dashboard, reports and exports (history too) and
 * their estimated power counts as "Other".
 */
import type { AppliancesPresentResponse } from '@nilm/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { primaryButton } from './form.helpers.js';
import { ErrorState, Loading, Panel } from './states.js';
import { useAppliancesPresent, useSetAppliancesPresent } from '../state/queries.js';
import { applianceName } from '../lib/format.js';

function ChecklistForm({
  buildingId,
  saved,
  canEdit,
}: {
  buildingId: string;
  saved: AppliancesPresentResponse;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const initial = (): Set<string> =>
    new Set(saved.appliances.filter((a) => a.present).map((a) => a.name));
  const [ticked, setTicked] = useState(initial);
  const save = useSetAppliancesPresent(buildingId);
  const savedNames = initial();
  const changed =
    ticked.size !== savedNames.size || [...ticked].some((name) => !savedNames.has(name));

  const toggle = (name: string, on: boolean) =>
    setTicked((prev) => {
      const next = new Set(prev);
      if (on) next.add(name);
      else next.delete(name);
      return next;
    });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // In the model's order, so the saved list reads like the checklist.
    save.mutate(saved.appliances.filter((a) => ticked.has(a.name)).map((a) => a.name));
  };

  return (
    <form onSubmit={submit} aria-label={t('checklist.title')}>
      <fieldset disabled={!canEdit || save.isPending}>
        <legend className="mb-2 text-sm text-slate-600 dark:text-slate-300">
          {canEdit ? t('checklist.tick') : t('checklist.readOnly')}
          {saved.is_default && t('checklist.default')}
        </legend>
        <ul className="grid gap-x-4 gap-y-1 sm:grid-cols-2 md:grid-cols-3">
          {saved.appliances.map((a) => (
            <li key={a.name}>
              <label className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={ticked.has(a.name)}
                  onChange={(e) => toggle(a.name, e.target.checked)}
                  className="h-4 w-4 accent-emerald-700"
                />
                {applianceName(a.name, a.label)}
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      {canEdit && (
        <div className="mt-3 flex flex-wrap items-center gap-3">
          <button type="submit" disabled={!changed || save.isPending} className={primaryButton}>
            {save.isPending ? t('settings.saving') : t('checklist.save')}
          </button>
          <span role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
            {save.isSuccess && !changed ? t('alerts.saved') : ''}
          </span>
        </div>
      )}
      {save.error && (
        <div className="mt-2">
          <ErrorState error={save.error} />
        </div>
      )}
    </form>
  );
}

/** The checklist panel; `canEdit` for owners and admins. */
export function AppliancesChecklist({
  buildingId,
  canEdit,
}: {
  buildingId: string;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const present = useAppliancesPresent(buildingId);
  return (
    <Panel id="appliances-present" title={t('checklist.title')}>
      {present.error ? (
        <ErrorState error={present.error} onRetry={() => void present.refetch()} />
      ) : present.isPending ? (
        <Loading />
      ) : present.data.appliances.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-300">{t('checklist.noModel')}</p>
      ) : (
        <ChecklistForm
          // A new model (other heads) starts a fresh form; a save keeps this one and its "Saved".
          key={present.data.appliances.map((a) => a.name).join()}
          buildingId={buildingId}
          saved={present.data}
          canEdit={canEdit}
        />
      )}
    </Panel>
  );
}
