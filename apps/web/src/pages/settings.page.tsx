/**
 * Settings: the tariff of the building chosen in the header (flat price and time-of-use bands,
 * saved on the server for everyone in the building), and units and theme, kept in this browser.
 */
import { tariffBandsProblem } from '@nilm/contracts';
import * as Switch from '@radix-ui/react-switch';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useOutletContext } from 'react-router';
import type { LayoutContext } from '../components/layout.js';
import type { Units } from '../lib/format.js';
import {
  parseClock,
  toTariffBody,
  type BuildingTariff,
  type Tariff,
  type TouBand,
} from '../lib/tariff.js';
import { useBuildings, useSetTariff, useTariff } from '../state/queries.js';
import { DynamicPricesPanel, TariffExtrasFields } from '../components/tariff.extras.js';
import { useSettings, type Theme } from '../state/settings.js';
import { ErrorState, Loading, Panel } from '../components/states.js';

const input =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-900 focus:outline-2 focus:outline-emerald-500';
const CURRENCIES = ['GBP', 'EUR', 'USD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'AUD', 'CAD', 'JPY'];

/** The catalogue keys of the units' legends and choices. */
type UnitKey =
  | 'settings.power'
  | 'settings.powerAuto'
  | 'settings.watts'
  | 'settings.kilowatts'
  | 'settings.energy'
  | 'settings.kwh'
  | 'settings.wh'
  | 'settings.time'
  | 'settings.clock24'
  | 'settings.clock12';

const UNIT_CHOICES: {
  [K in keyof Units]: { legend: UnitKey; options: [Units[K], UnitKey][] };
} = {
  power: {
    legend: 'settings.power',
    options: [
      ['auto', 'settings.powerAuto'],
      ['W', 'settings.watts'],
      ['kW', 'settings.kilowatts'],
    ],
  },
  energy: {
    legend: 'settings.energy',
    options: [
      ['kWh', 'settings.kwh'],
      ['Wh', 'settings.wh'],
    ],
  },
  time: {
    legend: 'settings.time',
    options: [
      ['24h', 'settings.clock24'],
      ['12h', 'settings.clock12'],
    ],
  },
};

const THEME_KEYS = {
  system: 'layout.themeSystem',
  light: 'layout.themeLight',
  dark: 'layout.themeDark',
} as const satisfies Record<Theme, string>;

/** One radio group per unit; the choice applies at once to every page and chart. */
function UnitsPanel({ units, onChange }: { units: Units; onChange: (units: Units) => void }) {
  const { t } = useTranslation();
  const group = <K extends keyof Units>(key: K) => (
    <fieldset key={key}>
      <legend className="text-sm font-medium">{t(UNIT_CHOICES[key].legend)}</legend>
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
            {t(label)}
          </label>
        ))}
      </div>
    </fieldset>
  );
  return (
    <Panel id="units" title={t('settings.units')}>
      <div className="grid gap-4 sm:grid-cols-3">
        {group('power')}
        {group('energy')}
        {group('time')}
      </div>
      <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">{t('settings.csvUnits')}</p>
    </Panel>
  );
}

/**
 * The tariff editor: a draft of the building's tariff, saved with PUT. People who may not change
 * the building (members, viewers) see it read-only.
 */
function TariffEditor({
  buildingId,
  saved,
  canEdit,
}: {
  buildingId: string;
  saved: BuildingTariff;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const [tariff, setTariff] = useState<Tariff>(saved.tariff);
  const [currency, setCurrency] = useState(saved.currency);
  const save = useSetTariff(buildingId);
  const touId = useId();
  const setBands = (bands: TouBand[]) => {
    save.reset();
    setTariff({ ...tariff, bands });
  };
  const setBand = (i: number, patch: Partial<TouBand>) =>
    setBands(tariff.bands.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  const body = toTariffBody(currency, tariff);
  const problem =
    body.bands.find((b) => b.name.trim() === '') !== undefined
      ? t('settings.bandName')
      : tariffBandsProblem(body.bands);

  return (
    // A div, not a form: Radix's switch inside a form adds a hidden input that measures itself
    // with ResizeObserver, for a native submit this editor does not use.
    <div onChange={() => save.reset()}>
      {saved.isDefault && (
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">
          {t('settings.defaultTariff')}
        </p>
      )}
      {!canEdit && (
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">{t('settings.readOnly')}</p>
      )}
      <fieldset disabled={!canEdit} className="min-w-0">
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="block text-sm font-medium">
            {tariff.bands.length > 0 ? t('settings.priceOutside') : t('settings.price')}
            <input
              type="number"
              inputMode="decimal"
              min={0}
              step="0.001"
              value={tariff.pricePerKwh}
              onChange={(e) =>
                setTariff({ ...tariff, pricePerKwh: Math.max(0, Number(e.target.value) || 0) })
              }
              className={input}
            />
          </label>
          <label className="block text-sm font-medium">
            {t('settings.currency')}
            <select
              value={currency}
              onChange={(e) => setCurrency(e.target.value)}
              className={input}
            >
              {(CURRENCIES.includes(saved.currency)
                ? CURRENCIES
                : [saved.currency, ...CURRENCIES]
              ).map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        </div>
        <TariffExtrasFields
          tariff={tariff}
          onChange={(t) => {
            save.reset();
            setTariff(t);
          }}
        />
        <div className="mt-4 flex items-center gap-3">
          <Switch.Root
            id={touId}
            checked={tariff.bands.length > 0}
            onCheckedChange={(on) =>
              setBands(
                on
                  ? [
                      {
                        name: t('settings.night'),
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
            {t('settings.bands')}
          </label>
        </div>
        {tariff.bands.length > 0 && (
          <fieldset className="mt-3 space-y-2">
            <legend className="text-xs text-slate-500 dark:text-slate-400">
              {t('settings.bandsNote')}
            </legend>
            {tariff.bands.map((b, i) => {
              const bad = parseClock(b.start) === undefined || parseClock(b.end) === undefined;
              return (
                <div
                  key={i}
                  className="grid grid-cols-2 items-end gap-2 sm:grid-cols-[1fr_6rem_6rem_7rem_auto]"
                >
                  <label className="text-xs">
                    {t('settings.name')}
                    <input
                      value={b.name}
                      onChange={(e) => setBand(i, { name: e.target.value })}
                      className={input}
                    />
                  </label>
                  <label className="text-xs">
                    {t('settings.from')}
                    <input
                      type="time"
                      value={b.start}
                      onChange={(e) => setBand(i, { start: e.target.value })}
                      className={input}
                      aria-invalid={bad}
                    />
                  </label>
                  <label className="text-xs">
                    {t('settings.to')}
                    <input
                      type="time"
                      value={b.end}
                      onChange={(e) => setBand(i, { end: e.target.value })}
                      className={input}
                      aria-invalid={bad}
                    />
                  </label>
                  <label className="text-xs">
                    {t('settings.price')}
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
                    aria-label={t('settings.removeBand', { band: b.name || i + 1 })}
                  >
                    {t('settings.remove')}
                  </button>
                </div>
              );
            })}
            <button
              type="button"
              onClick={() =>
                setBands([
                  ...tariff.bands,
                  {
                    name: t('settings.peak'),
                    start: '16:00',
                    end: '19:00',
                    pricePerKwh: tariff.pricePerKwh,
                  },
                ])
              }
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium dark:border-slate-700"
            >
              {t('settings.addBand')}
            </button>
          </fieldset>
        )}
      </fieldset>
      {canEdit && (
        <div className="mt-4 flex flex-wrap items-center gap-3">
          <button
            type="button"
            onClick={() => {
              if (!problem) save.mutate(body);
            }}
            disabled={save.isPending || problem !== null}
            className="rounded-md bg-emerald-700 px-4 py-1.5 text-sm font-medium text-white hover:bg-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-500 disabled:opacity-50"
          >
            {save.isPending ? t('settings.saving') : t('settings.save')}
          </button>
          <p role="status" className="text-sm">
            {problem ? (
              <span className="text-red-700 dark:text-red-400">
                {t('settings.cannotSave', { problem })}
              </span>
            ) : save.isSuccess ? (
              <span className="text-emerald-700 dark:text-emerald-400">{t('settings.saved')}</span>
            ) : save.isError ? (
              <span className="text-red-700 dark:text-red-400">
                {t('settings.notSaved', { error: save.error.message })}
              </span>
            ) : null}
          </p>
        </div>
      )}
      {saved.tariff.dynamic && (
        <DynamicPricesPanel
          buildingId={buildingId}
          source={saved.tariff.dynamic.source}
          canEdit={canEdit}
        />
      )}
    </div>
  );
}

/** The tariff panel for the building picked in the header. */
function TariffPanel({ buildingId }: { buildingId?: string }) {
  const { t } = useTranslation();
  const buildings = useBuildings();
  const tariff = useTariff(buildingId ?? '');
  const building = buildings.data?.buildings.find((b) => b.id === buildingId);
  const canEdit = building?.my_role === 'owner' || building?.my_role === 'admin';
  return (
    <Panel id="tariff" title={t('settings.tariff')}>
      {!buildingId ? (
        <p className="text-sm text-slate-600 dark:text-slate-300">{t('settings.chooseBuilding')}</p>
      ) : (
        <>
          <p className="mb-3 text-sm">
            {t('settings.tariffOf')} <strong>{building?.name ?? buildingId}</strong>
            {t('settings.tariffShared')}
          </p>
          {tariff.error ? (
            <ErrorState error={tariff.error} onRetry={() => void tariff.refetch()} />
          ) : !tariff.data || buildings.isPending ? (
            <Loading />
          ) : (
            <TariffEditor
              key={buildingId}
              buildingId={buildingId}
              saved={tariff.data}
              canEdit={canEdit}
            />
          )}
        </>
      )}
    </Panel>
  );
}

export default function SettingsPage() {
  const { t } = useTranslation();
  const { settings, update } = useSettings();
  // Outside the signed-in layout (tests) there is no outlet context.
  const currentBuilding = useOutletContext<LayoutContext | undefined>()?.currentBuilding;

  return (
    <div className="grid max-w-2xl gap-4">
      <h1 className="text-2xl font-bold">{t('layout.settings')}</h1>
      <TariffPanel buildingId={currentBuilding} />
      <UnitsPanel units={settings.units} onChange={(units) => update({ units })} />
      <Panel id="appearance" title={t('settings.appearance')}>
        <fieldset>
          <legend className="sr-only">{t('settings.theme')}</legend>
          <div className="flex gap-4">
            {(['system', 'light', 'dark'] as Theme[]).map((theme) => (
              <label key={theme} className="flex items-center gap-2 text-sm capitalize">
                <input
                  type="radio"
                  name="theme"
                  value={theme}
                  checked={settings.theme === theme}
                  onChange={() => update({ theme })}
                  className="accent-emerald-600"
                />
                {t(THEME_KEYS[theme])}
              </label>
            ))}
          </div>
        </fieldset>
      </Panel>
      <p className="text-xs text-slate-500 dark:text-slate-400">{t('settings.savedWhere')}</p>
    </div>
  );
}
