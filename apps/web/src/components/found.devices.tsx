/**
 * Found devices (issue 13.1): repeated loads in the building's mains that the model does not
 * explain, each in a sentence ("Device A: about 1.8 kW for 20 min, 3 runs a day, 11 kWh a
 * month"), with example runs drawn on a small mains chart. Owners name one (an appliance type or
 * a typed name), merge two, dismiss one, or look for devices now; everyone else reads.
 */
import type { FoundDevice } from '@nilm/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Area, AreaChart, ReferenceArea, Tooltip, XAxis, YAxis } from 'recharts';
import { i18n } from '../i18n/i18n.setup.js';
import {
  applianceName,
  formatDateTime,
  formatKwh,
  formatNumber,
  formatPower,
  formatPowerTick,
  formatTime,
} from '../lib/format.js';
import { useDeviceActions, useDevices } from '../state/learn.queries.js';
import { useReadings } from '../state/queries.js';
import { useSettings } from '../state/settings.js';
import { AppliancePicker } from './appliance.picker.js';
import { ConfirmButton } from './confirm.dialog.js';
import { inputClass, labelClass, primaryButton, secondaryButton } from './form.helpers.js';
import { useWidth } from './power.chart.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';

const MINUTE = 60_000;

/** "about 1.8 kW for 20 min, 3 runs a day, 11 kWh a month" (and "every 40 min" when periodic). */
export function deviceSentence(d: FoundDevice): string {
  const line = i18n.t('learn.devices.line', {
    power: formatPower(d.power_w),
    minutes: formatNumber(d.run_minutes, 0),
    runs: formatNumber(d.runs_per_day, d.runs_per_day < 10 ? 1 : 0),
    kwh: formatKwh(d.energy_per_month_kwh),
  });
  return d.period_minutes === null
    ? line
    : `${line}${i18n.t('learn.devices.period', { minutes: formatNumber(d.period_minutes, 0) })}`;
}

/** What a device is called: its name, else its type, else its label ("Device A"). */
export function deviceName(d: FoundDevice): string {
  return d.name ?? (d.appliance ? applianceName(d.appliance) : d.label);
}

/** The mains around one example run (a run's length either side), the run itself shaded. */
function ExampleChart({
  buildingId,
  run,
}: {
  buildingId: string;
  run: FoundDevice['examples'][number];
}) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  const { ref, width } = useWidth<HTMLDivElement>();
  const from = Date.parse(run.start);
  const to = Date.parse(run.end);
  const pad = Math.max(15 * MINUTE, to - from);
  const readings = useReadings(
    buildingId,
    {
      start: new Date(from - pad).toISOString(),
      end: new Date(to + pad).toISOString(),
      resolution: '1m',
    },
    0,
  );
  const data = readings.data;
  const rows = (data?.time_ms ?? []).map((t, i) => ({ t, w: data?.power_w[i] ?? null }));
  return (
    <div ref={ref} className="mt-2 min-h-[140px] w-full">
      {readings.error ? (
        <ErrorState error={readings.error} />
      ) : readings.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty>{t('learn.devices.noReadings')}</Empty>
      ) : width > 0 ? (
        <figure
          aria-label={t('learn.devices.exampleChart', { when: formatDateTime(from, units) })}
          className="text-slate-600 dark:text-slate-300"
        >
          <AreaChart width={width} height={140} data={rows} margin={{ top: 4, right: 8 }}>
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              tickFormatter={(v: number) => formatTime(v, units)}
              tick={{ fill: 'currentColor' }}
              fontSize={11}
              minTickGap={40}
            />
            <YAxis
              tickFormatter={(w: number) => formatPowerTick(w, units)}
              tick={{ fill: 'currentColor' }}
              width={56}
              fontSize={11}
            />
            <Tooltip
              labelFormatter={(v) => formatDateTime(Number(v), units)}
              formatter={(v) => [
                formatPower(typeof v === 'number' ? v : null, units),
                t('learn.mains'),
              ]}
              contentStyle={{ fontSize: 12, backgroundColor: '#fff', color: '#0f172a' }}
            />
            <ReferenceArea
              x1={from}
              x2={to}
              fill="#f59e0b"
              fillOpacity={0.25}
              ifOverflow="hidden"
            />
            <Area
              dataKey="w"
              type="stepAfter"
              stroke="#0f766e"
              fill="#14b8a6"
              fillOpacity={0.3}
              isAnimationActive={false}
              dot={false}
            />
          </AreaChart>
        </figure>
      ) : null}
    </div>
  );
}

function Examples({ buildingId, device }: { buildingId: string; device: FoundDevice }) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  const [shown, setShown] = useState<number | null>(null);
  if (device.examples.length === 0) return null;
  return (
    <div className="mt-2">
      <p className="text-xs font-medium text-slate-600 dark:text-slate-300">
        {t('learn.devices.examples')}
      </p>
      <ul className="mt-1 flex flex-wrap gap-2">
        {device.examples.map((run, i) => (
          <li key={run.start}>
            <button
              type="button"
              aria-pressed={shown === i}
              onClick={() => setShown(shown === i ? null : i)}
              className={`${secondaryButton} text-xs`}
            >
              {t('learn.devices.run', {
                from: formatDateTime(run.start, units),
                to: formatTime(run.end, units),
                power: formatPower(run.mean_w, units),
              })}
            </button>
          </li>
        ))}
      </ul>
      {shown !== null && device.examples[shown] && (
        <ExampleChart buildingId={buildingId} run={device.examples[shown]} />
      )}
    </div>
  );
}

/** Owner's form: an appliance type and/or a name typed in. */
function NameForm({
  buildingId,
  device,
  onDone,
}: {
  buildingId: string;
  device: FoundDevice;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const { update } = useDeviceActions(buildingId);
  const [appliance, setAppliance] = useState(device.appliance ?? '');
  const [name, setName] = useState(device.name ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate(
      {
        id: device.id,
        body: { appliance: appliance || null, name: name.trim() || null },
      },
      { onSuccess: onDone },
    );
  };
  return (
    <form
      onSubmit={submit}
      aria-label={t('learn.devices.nameForm', { label: device.label })}
      className="mt-2 grid gap-2 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
    >
      <div>
        <label className={labelClass} htmlFor={`${id}-type`}>
          {t('learn.devices.type')}
        </label>
        <AppliancePicker
          id={`${id}-type`}
          value={appliance}
          onChange={setAppliance}
          empty={t('learn.devices.noType')}
          className={inputClass}
        />
      </div>
      <label className={labelClass}>
        {t('learn.devices.name')}
        <input
          value={name}
          maxLength={80}
          onChange={(e) => setName(e.target.value)}
          placeholder={t('learn.devices.namePlaceholder')}
          className={inputClass}
        />
      </label>
      <button
        type="submit"
        disabled={update.isPending || (!appliance && !name.trim() && device.status === 'found')}
        className={primaryButton}
      >
        {t('learn.save')}
      </button>
      {update.error && (
        <div className="sm:col-span-3">
          <ErrorState error={update.error} />
        </div>
      )}
    </form>
  );
}

function MergeForm({
  buildingId,
  device,
  others,
}: {
  buildingId: string;
  device: FoundDevice;
  others: FoundDevice[];
}) {
  const { t } = useTranslation();
  const id = useId();
  const { merge } = useDeviceActions(buildingId);
  const [into, setInto] = useState(others[0]?.id ?? '');
  if (others.length === 0) return null;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (into) merge.mutate({ id: device.id, into });
      }}
      className="mt-2 flex flex-wrap items-end gap-2"
    >
      <div>
        <label className={labelClass} htmlFor={`${id}-into`}>
          {t('learn.devices.mergeInto', { label: device.label })}
        </label>
        <select
          id={`${id}-into`}
          value={into}
          onChange={(e) => setInto(e.target.value)}
          className={inputClass}
        >
          {others.map((o) => (
            <option key={o.id} value={o.id}>
              {deviceName(o)}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" disabled={merge.isPending} className={secondaryButton}>
        {t('learn.devices.merge')}
      </button>
      {merge.error && <ErrorState error={merge.error} />}
    </form>
  );
}

function DeviceItem({
  buildingId,
  device,
  others,
  canEdit,
}: {
  buildingId: string;
  device: FoundDevice;
  others: FoundDevice[];
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const { dismiss } = useDeviceActions(buildingId);
  const [editing, setEditing] = useState(false);
  const title = deviceName(device);
  return (
    <li className="py-3" aria-label={title}>
      <p className="text-sm">
        <span className="font-semibold">{title}</span>
        {title !== device.label && (
          <span className="text-slate-500 dark:text-slate-400"> ({device.label})</span>
        )}
        : {deviceSentence(device)}
      </p>
      <Examples buildingId={buildingId} device={device} />
      {canEdit && (
        <div className="mt-2 flex flex-wrap gap-2">
          <button
            type="button"
            aria-expanded={editing}
            onClick={() => setEditing((e) => !e)}
            className={`${secondaryButton} text-xs`}
          >
            {t('learn.devices.nameLabel', { label: device.label })}
          </button>
          <ConfirmButton
            label={t('learn.devices.dismissLabel', { label: device.label })}
            title={t('learn.devices.dismissTitle', { label: device.label })}
            description={t('learn.devices.dismissText')}
            confirmLabel={t('learn.devices.dismiss')}
            onConfirm={() => dismiss.mutateAsync(device.id)}
          >
            {t('learn.devices.dismiss')}
          </ConfirmButton>
        </div>
      )}
      {canEdit && editing && (
        <>
          <NameForm buildingId={buildingId} device={device} onDone={() => setEditing(false)} />
          <MergeForm buildingId={buildingId} device={device} others={others} />
        </>
      )}
    </li>
  );
}

/** The Appliances page's found devices; `canEdit` for owners and admins. */
export function FoundDevicesPanel({
  buildingId,
  canEdit,
}: {
  buildingId: string;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const devices = useDevices(buildingId);
  const { discover } = useDeviceActions(buildingId);
  const live = (devices.data?.devices ?? []).filter(
    (d) => d.status === 'found' || d.status === 'named',
  );
  const hidden = (devices.data?.devices.length ?? 0) - live.length;
  return (
    <Panel
      id="found-devices"
      title={t('learn.devices.title')}
      actions={
        canEdit && (
          <button
            type="button"
            disabled={discover.isPending}
            onClick={() => discover.mutate(undefined)}
            className={secondaryButton}
          >
            {discover.isPending ? t('learn.devices.looking') : t('learn.devices.discover')}
          </button>
        )
      }
    >
      <p className="text-sm text-slate-600 dark:text-slate-300">{t('learn.devices.intro')}</p>
      {discover.error && <ErrorState error={discover.error} />}
      {discover.data && (
        <p role="status" className="mt-2 text-sm text-emerald-700 dark:text-emerald-300">
          {t('learn.devices.found', {
            count: discover.data.devices.length,
            days: formatNumber(discover.data.covered_days, 0),
          })}
        </p>
      )}
      {devices.error ? (
        <ErrorState error={devices.error} onRetry={() => void devices.refetch()} />
      ) : devices.isPending ? (
        <Loading />
      ) : live.length === 0 ? (
        <Empty>{t('learn.devices.none')}</Empty>
      ) : (
        <ul
          aria-label={t('learn.devices.title')}
          className="divide-y divide-slate-100 dark:divide-slate-800"
        >
          {live.map((d) => (
            <DeviceItem
              key={d.id}
              buildingId={buildingId}
              device={d}
              others={live.filter((o) => o.id !== d.id)}
              canEdit={canEdit}
            />
          ))}
        </ul>
      )}
      {hidden > 0 && (
        <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
          {t('learn.devices.hidden', { count: hidden })}
        </p>
      )}
      {!canEdit && (
        <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
          {t('learn.devices.readOnly')}
        </p>
      )}
    </Panel>
  );
}
