/** Class names and small helpers shared by the management forms (building, admin). */
import { currentLocale, i18n } from '../i18n/i18n.setup.js';

export const inputClass =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:outline-2 focus:outline-emerald-500 dark:border-slate-700 dark:bg-slate-900';

export const labelClass = 'block text-sm font-medium';

export const primaryButton =
  'rounded-md bg-emerald-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-emerald-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 disabled:opacity-50';

export const secondaryButton =
  'rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800';

export const th = 'px-3 py-2 text-left font-medium whitespace-nowrap';
export const td = 'px-3 py-2';

/** A date and time in the browser's locale, or "never" for null. */
export function when(iso: string | null): string {
  if (iso === null) return i18n.t('format.never');
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(currentLocale(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** IANA time zones the browser knows (for a datalist), or a short list on old browsers. */
export function timeZones(): string[] {
  try {
    const zones = Intl.supportedValuesOf('timeZone');
    return zones.includes('UTC') ? zones : ['UTC', ...zones];
  } catch {
    return ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
  }
}

/** A building id from its name: lower case, words joined by "-", at most 64 characters. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}
