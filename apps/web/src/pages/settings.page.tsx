/** Settings kept in this browser: tariff (flat and time-of-use bands), currency, units and theme. */
import * as Switch from '@radix-ui/react-switch';
import { useId } from 'react';
import type { Units } from '../lib/format.js';
import { parseClock, type TouBand } from '../lib/tariff.js';
import { useSettings, type Theme } from '../state/settings.js';
import { Panel } from '../components/states.js';

const input =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-900 focus:outline-2 focus:outline-emerald-500';
const CURRENCIES = ['GBP', 'EUR', 'USD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'AUD', 'CAD', 'JPY'];

const UNIT_CHOICES: {
  [K in keyof Units]: { legend: string; options: [Units[K], string][] };
} = {
  power: {
    legend: 'Power',
    options: [
      ['auto', 'Automatic (W below 1 kW, kW above)'],
      ['W', 'Watts (W)'],
      ['kW', 'Kilowatts (kW)'],
    ],
  },
  energy: {
    legend: 'Energy',
    options: [
      ['kWh', 'Kilowatt-hours (kWh)'],
      ['Wh', 'Watt-hours (Wh)'],
    ],
  },
  time: {
    legend: 'Time',
    options: [
      ['24h', '24-hour (15:05)'],
      ['12h', '12-hour (3:05 PM)'],
    ],
  },
};

/** One radio group per unit; the choice applies at once to every page and chart. */
function UnitsPanel({ units, onChange }: { units: Units; onChange: (units: Units) => void }) {
  const group = <K extends keyof Units>(key: K) => (
    <fieldset key={key}>
      <legend className="text-sm font-medium">{UNIT_CHOICES[key].legend}</legend>
      <div className="mt-1 grid gap-1">
        {UNIT_CHOICES[key].options.map(([value, label]) => (
          <label key={value} className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name={`units-${key}`}
              value={value}
              checked={units[key] === value}
              onChange={() => onChange({ ...units, [key]: value })}
              className="accent-emerald-600"
            />
            {label}
          </label>
        ))}
      </div>
    </fieldset>
  );
  return (
    <Panel id="units" title="Units">
      <div className="grid gap-4 sm:grid-cols-3">
        {group('power')}
        {group('energy')}
        {group('time')}
      </div>
      <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
        CSV exports keep fixed units whatever you choose here: kWh and money in plain numbers, with
        the unit in each column heading.
      </p>
    </Panel>
  );
}

export default function SettingsPage() {
  const { settings, update } = useSettings();
  const { tariff } = settings;
  const touId = useId();
  const setBands = (bands: TouBand[]) => update({ tariff: { ...tariff, bands } });
  const setBand = (i: number, patch: Partial<TouBand>) =>
    setBands(tariff.bands.map((b, j) => (j === i ? { ...b, ...patch } : b)));

  return (
    <div className="grid max-w-2xl gap-4">
      <h1 className="text-2xl font-bold">Settings</h1>
      <Panel id="tariff" title="Tariff">
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="block text-sm font-medium">
            Price per kWh {tariff.bands.length > 0 ? '(outside the bands)' : ''}
            <input
              type="number"
              inputMode="decimal"
              min={0}
              step="0.001"
              value={tariff.pricePerKwh}
              onChange={(e) =>
                update({
                  tariff: { ...tariff, pricePerKwh: Math.max(0, Number(e.target.value) || 0) },
                })
              }
              className={input}
            />
          </label>
          <label className="block text-sm font-medium">
            Currency
            <select
              value={settings.currency}
              onChange={(e) => update({ currency: e.target.value })}
              className={input}
            >
              {CURRENCIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        </div>
        <div className="mt-4 flex items-center gap-3">
          <Switch.Root
            id={touId}
            checked={tariff.bands.length > 0}
            onCheckedChange={(on) =>
              setBands(
                on
                  ? [
                      {
                        name: 'Night',
                        start: '00:00',
                        end: '07:00',
                        pricePerKwh: tariff.pricePerKwh / 2,
                      },
                    ]
                  : [],
              )
            }
            className="relative h-6 w-11 rounded-full bg-slate-300 focus-visible:outline-2 focus-visible:outline-emerald-500 data-[state=checked]:bg-emerald-600 dark:bg-slate-700"
          >
            <Switch.Thumb className="block size-5 translate-x-0.5 rounded-full bg-white shadow transition-transform data-[state=checked]:translate-x-[22px]" />
          </Switch.Root>
          <label htmlFor={touId} className="text-sm font-medium">
            Time-of-use bands
          </label>
        </div>
        {tariff.bands.length > 0 && (
          <fieldset className="mt-3 space-y-2">
            <legend className="text-xs text-slate-500 dark:text-slate-400">
              Local times, start included, end excluded; a band may cross midnight. Where bands
              overlap, the first wins.
            </legend>
            {tariff.bands.map((b, i) => {
              const bad = parseClock(b.start) === undefined || parseClock(b.end) === undefined;
              return (
                <div
                  key={i}
                  className="grid grid-cols-2 items-end gap-2 sm:grid-cols-[1fr_6rem_6rem_7rem_auto]"
                >
                  <label className="text-xs">
                    Name
                    <input
                      value={b.name}
                      onChange={(e) => setBand(i, { name: e.target.value })}
                      className={input}
                    />
                  </label>
                  <label className="text-xs">
                    From
                    <input
                      type="time"
                      value={b.start}
                      onChange={(e) => setBand(i, { start: e.target.value })}
                      className={input}
                      aria-invalid={bad}
                    />
                  </label>
                  <label className="text-xs">
                    To
                    <input
                      type="time"
                      value={b.end}
                      onChange={(e) => setBand(i, { end: e.target.value })}
                      className={input}
                      aria-invalid={bad}
                    />
                  </label>
                  <label className="text-xs">
                    Price per kWh
                    <input
                      type="number"
                      inputMode="decimal"
                      min={0}
                      step="0.001"
                      value={b.pricePerKwh}
                      onChange={(e) =>
                        setBand(i, { pricePerKwh: Math.max(0, Number(e.target.value) || 0) })
                      }
                      className={input}
                    />
                  </label>
                  <button
                    type="button"
                    onClick={() => setBands(tariff.bands.filter((_, j) => j !== i))}
                    className="rounded-md border border-slate-300 px-2 py-1.5 text-sm dark:border-slate-700"
                    aria-label={`Remove band ${b.name || i + 1}`}
                  >
                    Remove
                  </button>
                </div>
              );
            })}
            <button
              type="button"
              onClick={() =>
                setBands([
                  ...tariff.bands,
                  { name: 'Peak', start: '16:00', end: '19:00', pricePerKwh: tariff.pricePerKwh },
                ])
              }
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium dark:border-slate-700"
            >
              Add band
            </button>
          </fieldset>
        )}
      </Panel>
      <UnitsPanel units={settings.units} onChange={(units) => update({ units })} />
      <Panel id="appearance" title="Appearance">
        <fieldset>
          <legend className="sr-only">Theme</legend>
          <div className="flex gap-4">
            {(['system', 'light', 'dark'] as Theme[]).map((t) => (
              <label key={t} className="flex items-center gap-2 text-sm capitalize">
                <input
                  type="radio"
                  name="theme"
                  value={t}
                  checked={settings.theme === t}
                  onChange={() => update({ theme: t })}
                  className="accent-emerald-600"
                />
                {t}
              </label>
            ))}
          </div>
        </fieldset>
      </Panel>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        Settings are saved in this browser only.
      </p>
    </div>
  );
}
