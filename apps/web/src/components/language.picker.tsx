/**
 * The language picker: English, Deutsch, Nederlands, each named in itself. The choice is shown at
 * once and kept in this browser (i18n/i18n.setup.ts).
 */
import { useTranslation } from 'react-i18next';
import { chooseLanguage, LANGUAGES, type Language } from '../i18n/i18n.setup.js';

export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  return (
    <label className="flex items-center gap-1 text-sm">
      <span aria-hidden="true">🌐</span>
      <span className="sr-only">{t('language.label')}</span>
      <select
        value={i18n.language}
        onChange={(e) => void chooseLanguage(e.target.value as Language)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </label>
  );
}
