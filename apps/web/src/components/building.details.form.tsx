/**
 * A building's details form (owners and admins): its name and time zone. Only the fields that
 * changed are sent, and the save button stays off until one has.
 */
import type { Building } from '@nilm/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useUpdateBuilding } from '../state/queries.js';
import { inputClass, labelClass, primaryButton } from './form.helpers.js';
import { ErrorState } from './states.js';
import { TimeZoneField } from './time.zone.field.js';

/** The name and time-zone fields of `building`, saved with PATCH. */
export function BuildingDetailsForm({ building }: { building: Building }) {
  const { t } = useTranslation();
  const [name, setName] = useState(building.name);
  const [timezone, setTimezone] = useState(building.timezone);
  const update = useUpdateBuilding(building.id);
  const changed = name.trim() !== building.name || timezone.trim() !== building.timezone;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({
      ...(name.trim() !== building.name ? { name: name.trim() } : {}),
      ...(timezone.trim() !== building.timezone ? { timezone: timezone.trim() } : {}),
    });
  };

  return (
    <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2">
      <label className={labelClass}>
        {t('settings.name')}
        <input
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
          className={inputClass}
        />
      </label>
      <TimeZoneField value={timezone} onChange={setTimezone} />
      <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
        <button type="submit" disabled={!changed || update.isPending} className={primaryButton}>
          {update.isPending ? t('settings.saving') : t('building.save')}
        </button>
        <span role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
          {update.isSuccess && !changed ? t('alerts.saved') : ''}
        </span>
      </div>
      {update.error && (
        <div className="sm:col-span-2">
          <ErrorState error={update.error} />
        </div>
      )}
    </form>
  );
}
