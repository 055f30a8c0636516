/**
 * The dashboard's languages (i18next): English, German and Dutch. English is bundled with the
 * app, so the sign-in page never waits for a catalogue; German and Dutch are separate chunks
 * fetched only when chosen (main.tsx waits for the chosen one before the first render, so a
 * German reader never sees English flash by). The choice is kept in this browser; without one
 * the browser's preferred languages decide. `<html lang>` and the locale that numbers and dates
 * are written in follow the language.
 */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.catalogue.js';

/** The languages the dashboard speaks, each named in itself for the picker. */
export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'de', name: 'Deutsch' },
  { code: 'nl', name: 'Nederlands' },
] as const;

export type Language = (typeof LANGUAGES)[number]['code'];

/** Where the chosen language is kept (localStorage). */
export const LANGUAGE_KEY = 'nilm.language';

const isLanguage = (v: unknown): v is Language => LANGUAGES.some((l) => l.code === v);

/**
 * The language to start in: the one chosen before, else the first of the browser's preferred
 * languages (`de-AT` counts as `de`) that the dashboard speaks, else English.
 */
export function initialLanguage(stored: string | null, preferred: readonly string[]): Language {
  if (isLanguage(stored)) return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

/**
 * The locale numbers and dates are written in for a language: the browser's own variant when it
 * prefers one (en-GB writes "2 Jan", nl-BE its own dates), else the language itself.
 */
export function localeFor(language: Language, preferred: readonly string[]): string {
  return preferred.find((tag) => tag.toLowerCase().split('-')[0] === language) ?? language;
}

const preferredLanguages = (): readonly string[] =>
  typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]);

let locale = localeFor('en', preferredLanguages());

/** The locale of the language shown now, for Intl formatters (lib/format.ts). */
export function currentLocale(): string {
  return locale;
}

void i18n.use(initReactI18next).init({
  lng: 'en',
  fallbackLng: 'en',
  resources: { en: { translation: en } },
  partialBundledLanguages: true,
  initAsync: false,
  // React escapes what it renders; escaping here too would show "&amp;".
  interpolation: { escapeValue: false },
  react: { useSuspense: false },
});

i18n.on('languageChanged', (lng) => {
  if (!isLanguage(lng)) return;
  locale = localeFor(lng, preferredLanguages());
  if (typeof document !== 'undefined') document.documentElement.lang = lng;
});

/** German and Dutch are loaded on first use, each a chunk of its own. */
async function catalogueOf(language: Exclude<Language, 'en'>) {
  return language === 'de'
    ? (await import('./de.catalogue.js')).de
    : (await import('./nl.catalogue.js')).nl;
}

/** Show the dashboard in `language` (loading its catalogue first if need be). */
export async function showLanguage(language: Language): Promise<void> {
  if (language !== 'en' && !i18n.hasResourceBundle(language, 'translation'))
    i18n.addResourceBundle(language, 'translation', await catalogueOf(language));
  await i18n.changeLanguage(language);
}

/** The picker's choice: shown now and remembered in this browser. */
export async function chooseLanguage(language: Language): Promise<void> {
  try {
    localStorage.setItem(LANGUAGE_KEY, language);
  } catch {
    // Storage may be full or off (private mode): the choice then lasts until the tab closes.
  }
  await showLanguage(language);
}

/** The language at start-up (stored or preferred), ready to render in. */
export function startLanguage(): Promise<void> {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(LANGUAGE_KEY);
  } catch {
    // No storage: the browser's preference decides.
  }
  return showLanguage(initialLanguage(stored, preferredLanguages()));
}

export { i18n };
