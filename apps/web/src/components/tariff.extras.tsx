/**
 * The tariff editor's parts beyond flat price and bands: the standing charge per day, the export
 * price, where dynamic prices come from (a CSV upload, or Octopus Energy's products API with a
 * product and tariff code), and the stored prices' status with the upload and fetch actions.
 */
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Tariff } from '../lib/tariff.js';
import { formatDateTime } from '../lib/format.js';
import { usePriceActions, usePriceStatus } from '../state/prices.js';

const input =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900';

const money = (v: string) => Math.max(0, Number(v) || 0);

/** Standing charge, export price and dynamic source fields of a tariff draft. */
export function TariffExtrasFields({
  tariff,
  onChange,
}: {
  tariff: Tariff;
  onChange: (t: Tariff) => void;
}) {
  const { t } = useTranslation();
  const dyn = tariff.dynamic ?? null;
  const octopus = dyn?.source === 'octopus' ? dyn : null;
  return (
    <div className="mt-4 grid gap-3 sm:grid-cols-2">
      <label className="block text-sm font-medium">
        {t('tariff.standing')}
        <input
          type="number"
          inputMode="decimal"
          min={0}
          step="0.01"
          value={tariff.standingChargePerDay ?? 0}
          onChange={(e) => onChange({ ...tariff, standingChargePerDay: money(e.target.value) })}
          className={input}
        />
      </label>
      <label className="block text-sm font-medium">
        {t('tariff.exportPrice')}
        <input
          type="number"
          inputMode="decimal"
          min={0}
          step="0.001"
          value={tariff.exportPricePerKwh ?? 0}
          onChange={(e) => onChange({ ...tariff, exportPricePerKwh: money(e.target.value) })}
          className={input}
        />
      </label>
      <label className="block text-sm font-medium">
        {t('tariff.dynamic')}
        <select
          value={dyn?.source ?? 'none'}
          onChange={(e) => {
            const v = e.target.value;
            onChange({
              ...tariff,
              dynamic:
                v === 'csv'
                  ? { source: 'csv' }
                  : v === 'octopus'
                    ? {
                        source: 'octopus',
                        product: 'AGILE-24-10-01',
                        tariff: 'E-1R-AGILE-24-10-01-C',
                      }
                    : null,
            });
          }}
          className={input}
        >
          <option value="none">{t('tariff.none')}</option>
          <option value="csv">{t('tariff.csv')}</option>
          <option value="octopus">{t('tariff.octopus')}</option>
        </select>
      </label>
      {octopus && (
        <>
          <label className="block text-sm font-medium">
            {t('tariff.product')}
            <input
              value={octopus.product}
              onChange={(e) =>
                onChange({
                  ...tariff,
                  dynamic: { ...octopus, product: e.target.value.trim().toUpperCase() },
                })
              }
              className={input}
            />
          </label>
          <label className="block text-sm font-medium">
            {t('tariff.code')}
            <input
              value={octopus.tariff}
              onChange={(e) =>
                onChange({
                  ...tariff,
                  dynamic: { ...octopus, tariff: e.target.value.trim().toUpperCase() },
                })
              }
              className={input}
            />
          </label>
        </>
      )}
    </div>
  );
}

/** Stored dynamic prices (last and next two days), the last fetch, and upload / fetch now. */
export function DynamicPricesPanel({
  buildingId,
  source,
  canEdit,
}: {
  buildingId: string;
  source: 'csv' | 'octopus';
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const status = usePriceStatus(buildingId, true);
  const { upload, refresh } = usePriceActions(buildingId);
  const file = useRef<HTMLInputElement>(null);
  const slots = status.data?.slots ?? [];
  const fetch = status.data?.fetch ?? null;
  return (
    <section aria-label={t('tariff.dynamicPrices')} className="mt-4 space-y-2 text-sm">
      <p>
        {slots.length > 0
          ? t('tariff.stored', {
              count: slots.length,
              from: formatDateTime(slots[0]!.start),
              to: formatDateTime(slots.at(-1)!.end),
            })
          : t('tariff.noneStored')}
      </p>
      {fetch && (
        <p role={fetch.error ? 'alert' : undefined}>
          {t('tariff.lastFetch', { at: formatDateTime(fetch.attempted_at) })}{' '}
          {fetch.error ? (
            <span className="text-red-700 dark:text-red-400">{fetch.error}</span>
          ) : (
            t(fetch.gaps > 0 ? 'tariff.fetchedGaps' : 'tariff.fetched', {
              count: fetch.slots,
              gaps: fetch.gaps,
            })
          )}
          {fetch.error &&
            fetch.succeeded_at &&
            t('tariff.lastSuccess', { at: formatDateTime(fetch.succeeded_at) })}
        </p>
      )}
      {canEdit && (
        <div className="flex flex-wrap items-center gap-3">
          {source === 'csv' ? (
            <label className="block font-medium">
              {t('tariff.upload')}
              <input
                ref={file}
                type="file"
                accept=".csv,text/csv"
                className="mt-1 block"
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  if (f) upload.mutate(f);
                }}
              />
            </label>
          ) : (
            <button
              type="button"
              onClick={() => refresh.mutate()}
              disabled={refresh.isPending}
              className="rounded-md border border-slate-300 px-3 py-1.5 dark:border-slate-600"
            >
              {refresh.isPending ? t('tariff.fetching') : t('tariff.fetchNow')}
            </button>
          )}
          <p role="status">
            {upload.isSuccess &&
              t('tariff.uploaded', {
                count: upload.data.imported,
                minutes: upload.data.slot_minutes,
              })}
            {upload.isError && (
              <span className="text-red-700 dark:text-red-400">
                {t('tariff.notStored', { error: upload.error.message })}
              </span>
            )}
            {refresh.isSuccess && t('tariff.fetchedNow', { count: refresh.data.slots })}
            {refresh.isError && (
              <span className="text-red-700 dark:text-red-400">
                {t('tariff.fetchFailed', { error: refresh.error.message })}
              </span>
            )}
          </p>
        </div>
      )}
    </section>
  );
}
