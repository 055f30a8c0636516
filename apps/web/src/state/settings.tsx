/**
 * Personal settings kept in this browser (localStorage): tariff, currency, theme and display
 * units. The theme is applied as the `dark` class on <html> (Tailwind's class strategy).
 */
import {
  createContext,
  use,
  useCallback,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { defaultUnits, type Units } from '../lib/format.js';
import type { Tariff } from '../lib/tariff.js';

export type Theme = 'system' | 'light' | 'dark';

export interface Settings {
  currency: string;
  theme: Theme;
  tariff: Tariff;
  /** How power, energy and clock times are shown (not how CSV exports are written). */
  units: Units;
}

export const SETTINGS_KEY = 'nilm.settings';

export const defaultSettings: Settings = {
  currency: 'GBP',
  theme: 'system',
  tariff: { pricePerKwh: 0.25, bands: [] },
  units: defaultUnits,
};

/** Stored units, each field checked on its own so one bad value does not reset the others. */
function loadUnits(u: Partial<Units> | undefined): Units {
  return {
    power: u?.power === 'W' || u?.power === 'kW' || u?.power === 'auto' ? u.power : 'auto',
    energy: u?.energy === 'Wh' || u?.energy === 'kWh' ? u.energy : 'kWh',
    time: u?.time === '12h' || u?.time === '24h' ? u.time : '24h',
  };
}

function load(): Settings {
  try {
    const raw = localStorage.getItem(SETTINGS_KEY);
    if (!raw) return defaultSettings;
    const s = JSON.parse(raw) as Partial<Settings>;
    return {
      currency: typeof s.currency === 'string' ? s.currency : defaultSettings.currency,
      theme: s.theme === 'light' || s.theme === 'dark' || s.theme === 'system' ? s.theme : 'system',
      tariff:
        s.tariff && typeof s.tariff.pricePerKwh === 'number' && Array.isArray(s.tariff.bands)
          ? s.tariff
          : defaultSettings.tariff,
      units: loadUnits(s.units),
    };
  } catch {
    return defaultSettings;
  }
}

function applyTheme(theme: Theme) {
  const dark =
    theme === 'dark' ||
    (theme === 'system' &&
      typeof matchMedia === 'function' &&
      matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
}

interface SettingsValue {
  settings: Settings;
  update: (patch: Partial<Settings>) => void;
}

const SettingsContext = createContext<SettingsValue>({
  settings: defaultSettings,
  update: () => {},
});

export function SettingsProvider({
  children,
  initial,
}: {
  children: ReactNode;
  initial?: Settings;
}) {
  const [settings, setSettings] = useState<Settings>(() => initial ?? load());

  useEffect(() => applyTheme(settings.theme), [settings.theme]);

  const update = useCallback((patch: Partial<Settings>) => {
    setSettings((prev) => {
      const next = { ...prev, ...patch };
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(next));
      return next;
    });
  }, []);

  const value = useMemo(() => ({ settings, update }), [settings, update]);
  return <SettingsContext value={value}>{children}</SettingsContext>;
}

export function useSettings(): SettingsValue {
  return use(SettingsContext);
}
