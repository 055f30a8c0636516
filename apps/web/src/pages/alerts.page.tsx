/**
 * Alerts of the building in the URL: the history (each alert with every delivery's status, last
 * error and next attempt; a failed one can be sent again), and the rules and channels, which
 * owners switch on and tune (checked by the same rules as the server before saving; the
 * server's refusals are listed as it words them). Viewers see everything read-only. "This
 * device" subscribes this browser to Web Push notifications (components/push.device.tsx).
 */
import {
  alertSettingsProblems,
  type AlertEvent,
  type AlertSettingsBody,
  type AlertSettingsResponse,
} from '@nilm/contracts';
import { useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ApiError } from '../lib/api.client.js';
import { applianceName } from '../lib/format.js';
import {
  inputClass,
  labelClass,
  primaryButton,
  secondaryButton,
  when,
} from '../components/form.helpers.js';
import { PushDevice } from '../components/push.device.js';
import { Empty, ErrorState, Loading, Panel } from '../components/states.js';
import {
  useAlerts,
  useAlertSettings,
  useRetryDelivery,
  useSetAlertSettings,
} from '../state/alerts.queries.js';
import { useBuildings } from '../state/queries.js';

const CHANNEL_NAMES: Record<string, string> = {
  webhook: 'Webhook',
  ntfy: 'ntfy',
  mqtt: 'MQTT',
  push: 'Web Push',
};

const STATUS_KEYS: Record<string, 'alerts.sent' | 'alerts.pending' | 'alerts.failed'> = {
  sent: 'alerts.sent',
  pending: 'alerts.pending',
  failed: 'alerts.failed',
};

const STATUS_STYLE: Record<string, string> = {
  sent: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-200',
  pending: 'bg-amber-100 text-amber-800 dark:bg-amber-900/50 dark:text-amber-200',
  failed: 'bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-200',
};

/** The server's list of problems from a refused save, or its message. */
function problemsOf(e: unknown): string[] {
  if (e instanceof ApiError) {
    const p = (e.details as { problems?: unknown } | undefined)?.problems;
    if (Array.isArray(p)) return p.map(String);
    return [e.message];
  }
  return [e instanceof Error ? e.message : String(e)];
}

function Delivery({
  d,
  canRetry,
  onRetry,
  busy,
}: {
  d: AlertEvent['deliveries'][number];
  canRetry: boolean;
  onRetry: () => void;
  busy: boolean;
}) {
  const { t } = useTranslation();
  const name = CHANNEL_NAMES[d.channel] ?? d.channel;
  const status = STATUS_KEYS[d.status];
  return (
    <li className="flex flex-wrap items-center gap-2 text-sm">
      <span className="font-medium">{name}</span>
      <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_STYLE[d.status] ?? ''}`}>
        {status ? t(status) : d.status}
      </span>
      <span className="text-slate-500 dark:text-slate-400">
        {d.status === 'sent'
          ? t('alerts.at', { when: when(d.sent_at) })
          : d.next_attempt_at
            ? t('alerts.attemptsNext', { count: d.attempts, next: when(d.next_attempt_at) })
            : t('alerts.attempts', { count: d.attempts })}
      </span>
      {d.last_error && d.status !== 'sent' && (
        <span className="w-full text-xs text-red-700 dark:text-red-300">{d.last_error}</span>
      )}
      {canRetry && d.status === 'failed' && (
        <button
          type="button"
          className={secondaryButton}
          onClick={onRetry}
          disabled={busy}
          aria-label={t('alerts.retryLabel', { name })}
        >
          {t('alerts.retry')}
        </button>
      )}
    </li>
  );
}

function History({ buildingId, canRetry }: { buildingId: string; canRetry: boolean }) {
  const { t } = useTranslation();
  const alerts = useAlerts(buildingId);
  const retry = useRetryDelivery(buildingId);
  if (alerts.error)
    return <ErrorState error={alerts.error} onRetry={() => void alerts.refetch()} />;
  if (!alerts.data) return <Loading />;
  if (alerts.data.alerts.length === 0) return <Empty>{t('alerts.none')}</Empty>;
  return (
    <>
      {retry.error && <ErrorState error={retry.error} />}
      <ol className="divide-y divide-slate-200 dark:divide-slate-800">
        {alerts.data.alerts.map((a) => (
          <li key={a.id} className="py-3">
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <h3 className="font-medium">{a.title}</h3>
              <time dateTime={a.at} className="text-xs text-slate-500 dark:text-slate-400">
                {when(a.at)}
              </time>
            </div>
            <p className="text-sm text-slate-700 dark:text-slate-300">{a.message}</p>
            {a.deliveries.length > 0 ? (
              <ul
                className="mt-1 grid gap-1"
                aria-label={t('alerts.deliveries', { title: a.title })}
              >
                {a.deliveries.map((d) => (
                  <Delivery
                    key={d.id}
                    d={d}
                    canRetry={canRetry}
                    busy={retry.isPending}
                    onRetry={() => retry.mutate(d.id)}
                  />
                ))}
              </ul>
            ) : (
              <p className="text-xs text-slate-500 dark:text-slate-400">{t('alerts.noChannel')}</p>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}

function Toggle({
  label,
  checked,
  onChange,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  disabled: boolean;
}) {
  return (
    <label className="flex items-center gap-2 text-sm font-medium">
      <input
        type="checkbox"
        className="accent-emerald-600"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
      />
      {label}
    </label>
  );
}

function NumberField({
  label,
  value,
  onChange,
  disabled,
  step = 1,
}: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  disabled: boolean;
  step?: number;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <input
        id={id}
        type="number"
        step={step}
        className={inputClass}
        value={Number.isFinite(value) ? value : ''}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value === '' ? NaN : Number(e.target.value))}
      />
    </div>
  );
}

function TextField({
  label,
  value,
  onChange,
  disabled,
  readOnly,
}: {
  label: string;
  value: string;
  onChange?: (v: string) => void;
  disabled: boolean;
  readOnly?: boolean;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <input
        id={id}
        className={inputClass}
        value={value}
        disabled={disabled}
        readOnly={readOnly}
        onChange={(e) => onChange?.(e.target.value)}
      />
    </div>
  );
}

function Rule({ children }: { children: ReactNode }) {
  return (
    <fieldset className="grid gap-2 rounded-lg border border-slate-200 p-3 dark:border-slate-800">
      {children}
    </fieldset>
  );
}

/** The body to save: what is shown, without the read-only secret field when it is unchanged. */
function bodyOf(s: AlertSettingsBody): AlertSettingsBody {
  const { token, ...ntfy } = s.channels.ntfy;
  return {
    rules: s.rules,
    channels: { ...s.channels, ntfy: token ? { ...ntfy, token } : ntfy },
  };
}

function Editor({ saved, canEdit }: { saved: AlertSettingsResponse; canEdit: boolean }) {
  const { t } = useTranslation();
  const save = useSetAlertSettings(saved.building_id);
  const [s, setS] = useState<AlertSettingsBody>({ rules: saved.rules, channels: saved.channels });
  const off = !canEdit;
  const r = s.rules;
  const c = s.channels;
  const rules = <K extends keyof AlertSettingsBody['rules']>(
    k: K,
    patch: Partial<AlertSettingsBody['rules'][K]>,
  ) => setS({ ...s, rules: { ...r, [k]: { ...r[k], ...patch } } });
  const channels = <K extends keyof AlertSettingsBody['channels']>(
    k: K,
    patch: Partial<AlertSettingsBody['channels'][K]>,
  ) => setS({ ...s, channels: { ...c, [k]: { ...c[k], ...patch } } });
  const local = alertSettingsProblems(s);
  const shown = local.length > 0 ? local : save.error ? problemsOf(save.error) : [];
  return (
    <form
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        if (local.length === 0) save.mutate(bodyOf(s));
      }}
    >
      {!canEdit && (
        <p className="text-sm text-slate-500 dark:text-slate-400">{t('alerts.ownersOnly')}</p>
      )}
      <div className="grid gap-3 md:grid-cols-2">
        <Rule>
          <Toggle
            label={t('alerts.finished')}
            checked={r.appliance_finished.enabled}
            disabled={off}
            onChange={(enabled) => rules('appliance_finished', { enabled })}
          />
          <TextField
            label={t('alerts.appliances')}
            value={r.appliance_finished.appliances.join(', ')}
            disabled={off}
            onChange={(v) =>
              rules('appliance_finished', {
                appliances: v
                  .split(',')
                  .map((x) => x.trim())
                  .filter(Boolean),
              })
            }
          />
          <NumberField
            label={t('alerts.shortest')}
            value={r.appliance_finished.min_run_minutes}
            disabled={off}
            onChange={(min_run_minutes) => rules('appliance_finished', { min_run_minutes })}
          />
        </Rule>
        <Rule>
          <Toggle
            label={t('alerts.leftOn')}
            checked={r.left_on.enabled}
            disabled={off}
            onChange={(enabled) => rules('left_on', { enabled })}
          />
          {r.left_on.limits.map((l, i) => (
            <NumberField
              key={l.appliance}
              label={t('alerts.hoursOn', { name: applianceName(l.appliance) })}
              value={l.hours}
              step={0.25}
              disabled={off}
              onChange={(hours) =>
                rules('left_on', {
                  limits: r.left_on.limits.map((x, j) => (j === i ? { ...x, hours } : x)),
                })
              }
            />
          ))}
        </Rule>
        <Rule>
          <Toggle
            label={t('alerts.baseloadRose')}
            checked={r.baseload_rise.enabled}
            disabled={off}
            onChange={(enabled) => rules('baseload_rise', { enabled })}
          />
          <div className="grid grid-cols-2 gap-2">
            <NumberField
              label={t('alerts.rise')}
              value={r.baseload_rise.rise_percent}
              disabled={off}
              onChange={(rise_percent) => rules('baseload_rise', { rise_percent })}
            />
            <NumberField
              label={t('alerts.atLeast')}
              value={r.baseload_rise.min_rise_w}
              disabled={off}
              onChange={(min_rise_w) => rules('baseload_rise', { min_rise_w })}
            />
            <NumberField
              label={t('alerts.recentDays')}
              value={r.baseload_rise.recent_days}
              disabled={off}
              onChange={(recent_days) => rules('baseload_rise', { recent_days })}
            />
            <NumberField
              label={t('alerts.daysBefore')}
              value={r.baseload_rise.baseline_days}
              disabled={off}
              onChange={(baseline_days) => rules('baseload_rise', { baseline_days })}
            />
          </div>
        </Rule>
        <Rule>
          <Toggle
            label={t('alerts.unusual')}
            checked={r.unusual_day.enabled}
            disabled={off}
            onChange={(enabled) => rules('unusual_day', { enabled })}
          />
          <div className="grid grid-cols-3 gap-2">
            <NumberField
              label={t('alerts.change')}
              value={r.unusual_day.percent}
              disabled={off}
              onChange={(percent) => rules('unusual_day', { percent })}
            />
            <NumberField
              label={t('alerts.weekdays')}
              value={r.unusual_day.weeks}
              disabled={off}
              onChange={(weeks) => rules('unusual_day', { weeks })}
            />
            <NumberField
              label={t('alerts.afterHours')}
              value={r.unusual_day.min_hours}
              disabled={off}
              onChange={(min_hours) => rules('unusual_day', { min_hours })}
            />
          </div>
        </Rule>
        <Rule>
          <Toggle
            label={t('alerts.silent')}
            checked={r.meter_silent.enabled}
            disabled={off}
            onChange={(enabled) => rules('meter_silent', { enabled })}
          />
          <NumberField
            label={t('alerts.noReadingFor')}
            value={r.meter_silent.minutes}
            disabled={off}
            onChange={(minutes) => rules('meter_silent', { minutes })}
          />
        </Rule>
      </div>

      <h3 className="text-sm font-semibold text-slate-600 dark:text-slate-300">
        {t('alerts.sendTo')}
      </h3>
      <div className="grid gap-3 md:grid-cols-2">
        <Rule>
          <Toggle
            label="Webhook"
            checked={c.webhook.enabled}
            disabled={off}
            onChange={(enabled) => channels('webhook', { enabled })}
          />
          <TextField
            label={t('alerts.webhookUrl')}
            value={c.webhook.url ?? ''}
            disabled={off}
            onChange={(v) => channels('webhook', { url: v === '' ? null : v })}
          />
          {canEdit && c.webhook.secret && (
            <TextField
              label={t('alerts.secret')}
              value={c.webhook.secret}
              disabled={false}
              readOnly
            />
          )}
        </Rule>
        <Rule>
          <Toggle
            label="ntfy"
            checked={c.ntfy.enabled}
            disabled={off}
            onChange={(enabled) => channels('ntfy', { enabled })}
          />
          <div className="grid grid-cols-2 gap-2">
            <TextField
              label={t('alerts.ntfyServer')}
              value={c.ntfy.server}
              disabled={off}
              onChange={(server) => channels('ntfy', { server })}
            />
            <TextField
              label={t('alerts.ntfyTopic')}
              value={c.ntfy.topic ?? ''}
              disabled={off}
              onChange={(v) => channels('ntfy', { topic: v === '' ? null : v })}
            />
            <NumberField
              label={t('alerts.priority')}
              value={c.ntfy.priority}
              disabled={off}
              onChange={(priority) => channels('ntfy', { priority })}
            />
          </div>
        </Rule>
        <Rule>
          <Toggle
            label={t('alerts.mqtt')}
            checked={c.mqtt.enabled}
            disabled={off}
            onChange={(enabled) => channels('mqtt', { enabled })}
          />
          <p className="text-xs text-slate-500 dark:text-slate-400">
            {t('alerts.publishedTo')} <code>nilm/{saved.building_id}/alert</code>{' '}
            {t('alerts.onBroker')}
          </p>
        </Rule>
        <Rule>
          <Toggle
            label="Web Push"
            checked={c.push.enabled}
            disabled={off}
            onChange={(enabled) => channels('push', { enabled })}
          />
          <p className="text-xs text-slate-500 dark:text-slate-400">{t('alerts.pushNote')}</p>
        </Rule>
      </div>

      {shown.length > 0 && (
        <ul role="alert" className="list-disc pl-5 text-sm text-red-700 dark:text-red-300">
          {shown.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {canEdit && (
        <div className="flex items-center gap-3">
          <button
            type="submit"
            className={primaryButton}
            disabled={save.isPending || local.length > 0}
          >
            {t('alerts.save')}
          </button>
          {save.isSuccess && !save.isPending && (
            <span role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
              {t('alerts.saved')}
            </span>
          )}
        </div>
      )}
    </form>
  );
}

export default function AlertsPage() {
  const { t } = useTranslation();
  const { buildingId = '' } = useParams();
  const buildings = useBuildings();
  const settings = useAlertSettings(buildingId);
  const role = buildings.data?.buildings.find((b) => b.id === buildingId)?.my_role;
  const canEdit = role === 'owner' || role === 'admin';
  const canRetry = canEdit || role === 'member';
  return (
    <div className="grid gap-4">
      <h1 className="text-xl font-semibold">{t('layout.alerts')}</h1>
      <Panel id="alert-history" title={t('alerts.history')}>
        <History buildingId={buildingId} canRetry={canRetry} />
      </Panel>
      <Panel id="alert-device" title={t('alerts.device')}>
        <PushDevice />
      </Panel>
      <Panel id="alert-rules" title={t('alerts.rules')}>
        {settings.error ? (
          <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />
        ) : !settings.data || !buildings.data ? (
          <Loading />
        ) : (
          <Editor saved={settings.data} canEdit={canEdit} />
        )}
      </Panel>
    </div>
  );
}
