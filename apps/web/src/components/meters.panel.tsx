/**
 * Meters (owners): the building's configured sources with their live status, read again every
 * few seconds, and a form that adds one. The form asks for the common types' settings field by
 * field and for the others as JSON; the server judges them, and a 422 naming a setting is shown
 * beside that setting. For MQTT meters it says what to set on the device.
 */
import type { IngestInfo, Source } from '@nilm/contracts';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { i18n } from '../i18n/i18n.setup.js';
import { settingOf } from '../lib/api.client.js';
import {
  applianceName,
  formatAgo,
  formatDateTime,
  formatGridPower,
  formatPower,
} from '../lib/format.js';
import {
  SOURCE_GROUPS,
  SOURCE_TYPES,
  fieldForSetting,
  initialValues,
  mqttDeviceLine,
  settingsFromFields,
  sourceTypeInfo,
  type SettingField,
  type SourceTypeInfo,
} from '../lib/source.catalogue.js';
import { useCreateSource, useDeleteSource, useIngestInfo, useSources } from '../state/queries.js';
import { useSettings } from '../state/settings.js';
import { AppliancePicker, VOCABULARY } from './appliance.picker.js';
import { ConfirmButton } from './confirm.dialog.js';
import { inputClass, labelClass, primaryButton, td } from './form.helpers.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';
import { scrollRegion, TableHead } from './table.head.js';

type Role = Source['role'];
// The roles this form offers; a sub-meter (a smart plug) also asks for its appliance (issue 13.3).
const ROLE_LABELS = {
  mains: 'meters.roleMains',
  production: 'meters.roleProduction',
  submeter: 'meters.roleSubmeter',
} as const satisfies Record<Role, string>;

/** What a meter measures, in words: "Mains", "Production", "Sub-meter: Fridge". */
function measures(source: Source): string {
  if (source.role === 'submeter')
    return i18n.t('meters.submeterOf', { appliance: applianceName(source.appliance ?? '') });
  return i18n.t(source.role === 'production' ? 'meters.production' : 'meters.mains');
}
const fieldError = 'mt-1 text-sm text-red-700 dark:text-red-300';
const hintClass = 'mt-1 text-xs font-normal text-slate-500 dark:text-slate-400';

/** The current time, ticking every `ms`: "seen 12 s ago" must age between two refreshes. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

function SourceRow({
  source,
  now,
  onDelete,
}: {
  source: Source;
  now: number;
  onDelete: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const { units } = useSettings().settings;
  const s = source.status;
  const info = sourceTypeInfo(source.type);
  return (
    <tr>
      <th scope="row" className={`${td} text-left font-medium break-words`}>
        {source.name}
      </th>
      <td className={td}>
        <span className="block">{info?.label ?? source.type}</span>
        <code className="text-xs text-slate-500 dark:text-slate-400">{source.type}</code>
      </td>
      <td className={`${td} whitespace-nowrap`}>{measures(source)}</td>
      <td className={`${td} whitespace-nowrap tabular-nums`}>
        {s.last_value_w === null
          ? '–'
          : source.role === 'production'
            ? t('meters.produced', { power: formatPower(Math.abs(s.last_value_w), units) })
            : source.role === 'submeter'
              ? formatPower(s.last_value_w, units)
              : formatGridPower(s.last_value_w, units)}
        {s.last_phases_w && s.last_phases_w.length > 0 && (
          <span
            className="block text-xs text-slate-500 dark:text-slate-400"
            title={t('meters.phasesTitle')}
          >
            {s.last_phases_w.map((w, i) => `L${i + 1} ${formatPower(w, units)}`).join(', ')}
          </span>
        )}
      </td>
      <td
        className={`${td} whitespace-nowrap`}
        title={s.last_seen ? formatDateTime(s.last_seen, units) : undefined}
      >
        {formatAgo(s.last_seen, now)}
      </td>
      <td className={`${td} min-w-48`}>
        {s.last_error ? (
          <span className="text-red-700 dark:text-red-300">
            {s.last_error_code && <code className="block text-xs">{s.last_error_code}</code>}
            {s.last_error}
            {s.last_error_at && (
              <span className="block text-xs text-slate-500 dark:text-slate-400">
                {formatAgo(s.last_error_at, now)}
              </span>
            )}
          </span>
        ) : (
          <span className="text-slate-500 dark:text-slate-400">{t('meters.none')}</span>
        )}
      </td>
      <td className={`${td} text-right`}>
        <ConfirmButton
          label={t('meters.deleteLabel', { name: source.name })}
          title={t('meters.deleteTitle', { name: source.name })}
          description={t('meters.deleteText')}
          confirmLabel={t('meters.delete')}
          onConfirm={onDelete}
        >
          {t('meters.delete')}
        </ConfirmButton>
      </td>
    </tr>
  );
}

/** One setting as a form field, with its hint and, after a 422 naming it, the server's message. */
function Field({
  field,
  value,
  error,
  onChange,
}: {
  field: SettingField;
  value: string;
  error: string | undefined;
  onChange: (v: string) => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const described = [field.hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
  const common = {
    id,
    value,
    required: field.required,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': described || undefined,
    className: inputClass,
  } as const;
  return (
    <div>
      <label htmlFor={id} className={labelClass}>
        {field.label}
      </label>
      {field.kind === 'select' ? (
        <select {...common} onChange={(e) => onChange(e.target.value)}>
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          type={field.kind === 'number' ? 'number' : 'text'}
          min={field.min}
          max={field.max}
          autoComplete="off"
          spellCheck={false}
          placeholder={
            field.placeholder ? t('meters.example', { value: field.placeholder }) : undefined
          }
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {field.hint && (
        <p id={`${id}-hint`} className={hintClass}>
          {field.hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className={fieldError}>
          {error}
        </p>
      )}
    </div>
  );
}

/** How the meter's readings will reach the server, and what to set on the device for MQTT. */
function ConnectionLine({
  info,
  ingest,
  buildingId,
  topic,
}: {
  info: SourceTypeInfo;
  ingest: IngestInfo | undefined;
  buildingId: string;
  topic: string;
}) {
  const { t } = useTranslation();
  let text: ReactNode;
  if (info.group === 'mqtt') {
    text = ingest ? (
      <>
        {info.deviceSetup && <span className="block">{info.deviceSetup}</span>}
        {mqttDeviceLine({
          info: ingest,
          buildingId,
          topic,
          fallbackHost: window.location.hostname,
        })}
      </>
    ) : (
      t('meters.loadingBroker')
    );
  } else if (info.group === 'http') {
    text = t('meters.httpNote');
  } else {
    text = t('meters.writeNote', { url: `${window.location.origin}/api/v1/write` });
  }
  return (
    <p
      data-testid="meter-connection"
      className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm dark:border-slate-700 dark:bg-slate-950"
    >
      {text}
    </p>
  );
}

/** The JSON text a type's editor starts from. */
const exampleJson = (info: SourceTypeInfo) => JSON.stringify(info.example, null, 2);

function AddSourceForm({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const create = useCreateSource(buildingId);
  const ingest = useIngestInfo();
  const [type, setType] = useState(SOURCE_TYPES[0]!.type);
  const info = sourceTypeInfo(type) ?? SOURCE_TYPES[0]!;
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('mains');
  const [appliance, setAppliance] = useState(VOCABULARY[0]!);
  const [values, setValues] = useState(() => initialValues(info));
  const [asJson, setAsJson] = useState(!info.fields);
  const [json, setJson] = useState(() => exampleJson(info));
  const [jsonProblem, setJsonProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<Source | null>(null);
  const ids = {
    type: useId(),
    json: useId(),
    jsonError: useId(),
    typeError: useId(),
    appliance: useId(),
  };

  const fields = info.fields ?? [];
  const editingJson = asJson || fields.length === 0;

  const chooseType = (next: string) => {
    const nextInfo = sourceTypeInfo(next);
    if (!nextInfo) return;
    setType(next);
    setValues(initialValues(nextInfo));
    setAsJson(!nextInfo.fields);
    setJson(exampleJson(nextInfo));
    setJsonProblem(null);
    create.reset();
  };

  const toggleJson = (on: boolean) => {
    if (on) setJson(JSON.stringify(settingsFromFields(fields, values), null, 2));
    setJsonProblem(null);
    setAsJson(on);
  };

  /** The settings to send, or null after saying why the JSON is not an object. */
  const readSettings = (): Record<string, unknown> | null => {
    if (!editingJson) return settingsFromFields(fields, values);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      setJsonProblem(t('meters.notJson', { reason: (e as Error).message }));
      return null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      setJsonProblem(t('meters.notObject'));
      return null;
    }
    return parsed as Record<string, unknown>;
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setJsonProblem(null);
    setAdded(null);
    const settings = readSettings();
    if (!settings) return;
    create.mutate(
      {
        type,
        ...(name.trim() ? { name: name.trim() } : {}),
        role,
        ...(role === 'submeter' ? { appliance } : {}),
        settings,
      },
      {
        onSuccess: (source) => {
          setAdded(source);
          setName('');
          setValues(initialValues(info));
          setJson(exampleJson(info));
        },
      },
    );
  };

  // Where the server's refusal is shown: beside the setting it names, else under the settings.
  const error = create.error;
  const named = settingOf(error);
  const atField = editingJson ? undefined : fieldForSetting(fields, named);
  const atType = named === 'type';
  const atJson = editingJson && error && !atType;
  const general = error && !atField && !atType && !atJson;
  const topic = editingJson
    ? (() => {
        try {
          const topic = (JSON.parse(json) as { topic?: unknown }).topic;
          return typeof topic === 'string' ? topic : '';
        } catch {
          return '';
        }
      })()
    : (values.topic ?? '');

  return (
    <form
      onSubmit={submit}
      aria-label={t('meters.add')}
      noValidate
      className="mt-4 grid gap-3 border-t border-slate-100 pt-4 sm:grid-cols-2 dark:border-slate-800"
    >
      <h3 className="font-semibold sm:col-span-2">{t('meters.add')}</h3>
      <div className="sm:col-span-2">
        <label htmlFor={ids.type} className={labelClass}>
          {t('meters.type')}
        </label>
        <select
          id={ids.type}
          value={type}
          onChange={(e) => chooseType(e.target.value)}
          aria-invalid={atType ? true : undefined}
          aria-describedby={atType ? ids.typeError : undefined}
          className={inputClass}
        >
          {SOURCE_GROUPS.map((g) => (
            <optgroup key={g.group} label={g.label}>
              {SOURCE_TYPES.filter((s) => s.group === g.group).map((s) => (
                <option key={s.type} value={s.type}>
                  {s.label} ({s.type})
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        {atType && (
          <p id={ids.typeError} role="alert" className={fieldError}>
            {error?.message}
          </p>
        )}
      </div>
      <label className={labelClass}>
        {t('meters.name')}
        <input
          maxLength={100}
          autoComplete="off"
          placeholder={t('meters.namePlaceholder', { meter: info.label.split(',')[0] })}
          value={name}
          onChange={(e) => setName(e.target.value)}
          className={inputClass}
        />
      </label>
      <label className={labelClass}>
        {t('meters.measures')}
        <select
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          className={inputClass}
        >
          {(Object.keys(ROLE_LABELS) as Role[]).map((r) => (
            <option key={r} value={r}>
              {t(ROLE_LABELS[r])}
            </option>
          ))}
        </select>
      </label>
      {role === 'submeter' && (
        <div className="sm:col-span-2">
          <label htmlFor={ids.appliance} className={labelClass}>
            {t('meters.appliance')}
          </label>
          <AppliancePicker
            id={ids.appliance}
            value={appliance}
            onChange={setAppliance}
            className={inputClass}
          />
          <p className={hintClass}>{t('meters.submeterHint')}</p>
        </div>
      )}
      {fields.length > 0 && (
        <label className="flex items-center gap-2 text-sm sm:col-span-2">
          <input type="checkbox" checked={asJson} onChange={(e) => toggleJson(e.target.checked)} />
          {t('meters.asJson')}
        </label>
      )}
      {editingJson ? (
        <div className="sm:col-span-2">
          <label htmlFor={ids.json} className={labelClass}>
            {t('meters.settingsJson')}
          </label>
          <textarea
            id={ids.json}
            rows={6}
            spellCheck={false}
            value={json}
            onChange={(e) => setJson(e.target.value)}
            aria-invalid={jsonProblem || atJson ? true : undefined}
            aria-describedby={jsonProblem || atJson ? ids.jsonError : undefined}
            className={`${inputClass} font-mono text-xs`}
          />
          <p className={hintClass}>{t('meters.jsonHint', { type })}</p>
          {(jsonProblem || atJson) && (
            <p id={ids.jsonError} role="alert" className={fieldError}>
              {jsonProblem ?? error?.message}
            </p>
          )}
        </div>
      ) : (
        fields.map((f) => (
          <div
            key={`${type}-${f.setting}`}
            className={f.setting === 'topic' ? 'sm:col-span-2' : ''}
          >
            <Field
              field={f}
              value={values[f.setting] ?? ''}
              error={atField === f.setting ? error?.message : undefined}
              onChange={(v) => setValues((old) => ({ ...old, [f.setting]: v }))}
            />
          </div>
        ))
      )}
      <div className="sm:col-span-2">
        <ConnectionLine info={info} ingest={ingest.data} buildingId={buildingId} topic={topic} />
      </div>
      <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
        <button type="submit" disabled={create.isPending} className={primaryButton}>
          {create.isPending ? t('meters.adding') : t('meters.addButton')}
        </button>
        <span role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
          {added ? t('meters.added', { name: added.name }) : ''}
        </span>
      </div>
      {general && (
        <div className="sm:col-span-2">
          <ErrorState error={error} />
        </div>
      )}
    </form>
  );
}

export function MetersPanel({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const sources = useSources(buildingId);
  const remove = useDeleteSource(buildingId);
  const now = useNow(1000);

  return (
    <Panel id="meters" title={t('meters.title')}>
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">{t('meters.intro')}</p>
      {sources.error ? (
        <ErrorState error={sources.error} onRetry={() => void sources.refetch()} />
      ) : sources.isPending ? (
        <Loading />
      ) : sources.data.sources.length === 0 ? (
        <Empty>{t('meters.noneYet')}</Empty>
      ) : (
        <div {...scrollRegion(t('meters.table'), 'relative')}>
          <table className="w-full text-sm">
            <caption className="sr-only">{t('meters.caption')}</caption>
            <TableHead
              columns={[
                t('meters.colName'),
                t('meters.colType'),
                t('meters.colMeasures'),
                t('meters.colValue'),
                t('meters.colSeen'),
                t('meters.colError'),
                { label: t('meters.colActions'), srOnly: true },
              ]}
            />
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {sources.data.sources.map((s) => (
                <SourceRow
                  key={s.id}
                  source={s}
                  now={now}
                  onDelete={() => remove.mutateAsync(s.id)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AddSourceForm buildingId={buildingId} />
    </Panel>
  );
}
