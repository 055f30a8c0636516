/** A building's time zone: a text field suggesting the IANA zones the browser knows. */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { inputClass, labelClass, timeZones } from './form.helpers.js';

export function TimeZoneField({
  value,
  onChange,
}: {
  value: string;
  onChange: (zone: string) => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div>
      <label className={labelClass}>
        {t('zone.label')}
        <input
          required
          list={`${id}-zones`}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={`${id}-help`}
          className={inputClass}
        />
      </label>
      <datalist id={`${id}-zones`}>
        {timeZones().map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <p id={`${id}-help`} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
        An IANA zone such as Europe/London: days, weeks and months in reports start at local
        midnight.
      </p>
    </div>
  );
}
