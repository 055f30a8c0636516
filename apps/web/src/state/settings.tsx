/**
 * Personal settings kept in this browser (localStorage): theme and display units. The tariff is
 * not here: it belongs to the building and lives on the server (useTariff). A value stored by
 * an older version, with `tariff` and `currency`, still loads; those fields are dropped.
 * The theme is applied as the `dark` class on <html> (Tailwind's class strategy).
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

export type Theme = 'system' | 'light' | 'dark';

export interface Settings {
  theme: Theme;
  /** How power, energy and clock times are shown (not how CSV exports are written). */
  units: Units;
}

export const SETTINGS_KEY = 'nilm.settings';

export const defaultSettings: Settings = {
  theme: 'system',
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
      theme: s.theme === 'light' || s.theme === 'dark' || s.theme === 'system' ? s.theme : 'system',
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
