/**
 * The dashboard's "Cheapest hours tomorrow": the cheapest 3-hour block of the building's next day
 * and its cheapest hours, priced from stored dynamic prices (bands or the flat price where there
 * are none, and it says so). Shown for tariffs whose price changes during the day.
 */
import type { CheapestResponse } from '@nilm/contracts';
import { useTranslation } from 'react-i18next';
import { i18n } from '../i18n/i18n.setup.js';
import { useCheapestHours } from '../state/prices.js';
import { formatMoney, formatNumber } from '../lib/format.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';

/** 'HH:MM' of an instant in the building's zone. */
function clock(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

/** How many of the day's hours still lack a dynamic price, as a sentence (empty when none). */
export function missingPricesNote(
  r: Pick<CheapestResponse, 'dynamic_minutes' | 'minutes'>,
): string {
  const missing = r.minutes - r.dynamic_minutes;
  if (r.dynamic_minutes === 0 || missing <= 0) return '';
  const hours = Math.round((missing / 60) * 10) / 10;
  return i18n.t('cheapest.missing', {
    hours: formatNumber(hours, Number.isInteger(hours) ? 0 : 1),
  });
}

export function CheapestHoursView({ data }: { data: CheapestResponse }) {
  const { t } = useTranslation();
  const tz = data.timezone;
  const price = (v: number) => t('cheapest.perKwh', { price: formatMoney(v, data.currency) });
  const note = missingPricesNote(data);
  // Without dynamic prices for the day and without bands, every hour costs the same: there is
  // no cheapest block to point at (naming 00:00-03:00 would mislead).
  const first = data.hours[0]?.price_per_kwh;
  if (data.dynamic_minutes === 0 && data.hours.every((h) => h.price_per_kwh === first))
    return (
      <Empty>
        {first === undefined
          ? t('cheapest.noPrices', { date: data.date })
          : t('cheapest.noPricesFlat', { date: data.date, price: price(first) })}
      </Empty>
    );
  return (
    <div className="space-y-2 text-sm">
      {data.block ? (
        <p>
          {t('cheapest.block', { date: data.date })}{' '}
          <strong>
            {clock(data.block.start, tz)}–{clock(data.block.end, tz)}
          </strong>{' '}
          {t('cheapest.blockPrice', { price: price(data.block.price_per_kwh) })}
        </p>
      ) : (
        <Empty>{t('cheapest.noBlock')}</Empty>
      )}
      <ol aria-label={t('cheapest.hours')} className="grid grid-cols-2 gap-x-4 tabular-nums">
        {data.hours.slice(0, 6).map((h) => (
          <li key={h.start}>
            {clock(h.start, tz)} · {price(h.price_per_kwh)}
          </li>
        ))}
      </ol>
      {data.dynamic_minutes === 0 ? (
        <p className="text-xs text-slate-500 dark:text-slate-400">{t('cheapest.noDynamic')}</p>
      ) : (
        note && <p className="text-xs text-slate-500 dark:text-slate-400">{note}</p>
      )}
    </div>
  );
}

export function CheapestHoursPanel({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const q = useCheapestHours(buildingId);
  return (
    <Panel id="cheapest-hours" title={t('cheapest.title')}>
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isPending ? (
        <Loading />
      ) : (
        <CheapestHoursView data={q.data} />
      )}
    </Panel>
  );
}
