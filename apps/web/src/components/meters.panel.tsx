/**
 * Meters (owners): the building's configured sources with their live status, read again every
 * few seconds, and a form that adds one. The form asks for the common types' settings field by
 * field and for the others as JSON; the server judges them, and a 422 naming a setting is shown
 * beside that setting. For MQTT meters it says what to set on the device.
 */
import type { IngestInfo, Source } from '@nilm/contracts';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { settingOf } from '../lib/api.client.js';
import { formatAgo, formatDateTime, formatGridPower, formatPower } from '../lib/format.js';
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
import { ConfirmButton } from './confirm.dialog.js';
import { inputClass, labelClass, primaryButton, td } from './form.helpers.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';
import { scrollRegion, TableHead } from './table.head.js';

type Role = Source['role'];
// The roles this form offers; a sub-meter (bound to an appliance) is added through the API
// until the form asks for its appliance (issue 13.3).
const ROLE_LABELS: Record<Exclude<Role, 'submeter'>, string> = {
  mains: 'Grid connection (mains)',
  production: 'Solar production',
};
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
      <td className={`${td} whitespace-nowrap`}>
        {source.role === 'production' ? 'Production' : 'Mains'}
      </td>
      <td className={`${td} whitespace-nowrap tabular-nums`}>
        {s.last_value_w === null
          ? '–'
          : source.role === 'production'
            ? `${formatPower(Math.abs(s.last_value_w), units)} produced`
            : formatGridPower(s.last_value_w, units)}
        {s.last_phases_w && s.last_phases_w.length > 0 && (
          <span
            className="block text-xs text-slate-500 dark:text-slate-400"
            title="Power per phase, export negative"
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
          <span className="text-slate-500 dark:text-slate-400">None</span>
        )}
      </td>
      <td className={`${td} text-right`}>
        <ConfirmButton
          label={`Delete meter ${source.name}`}
          title={`Delete “${source.name}”?`}
          description="The server stops reading this meter at once. Readings already stored stay."
          confirmLabel="Delete"
          onConfirm={onDelete}
        >
          Delete
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
          placeholder={field.placeholder ? `e.g. ${field.placeholder}` : undefined}
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
      'Loading the broker’s address…'
    );
  } else if (info.group === 'http') {
    text =
      'The server reads the meter at this address itself, so the meter must be reachable from the computer the server runs on.';
  } else {
    text = `Point the writer at ${window.location.origin}/api/v1/write with a device token of this building (as X-Ingest-Token, a Bearer token, or the password).`;
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
  const create = useCreateSource(buildingId);
  const ingest = useIngestInfo();
  const [type, setType] = useState(SOURCE_TYPES[0]!.type);
  const info = sourceTypeInfo(type) ?? SOURCE_TYPES[0]!;
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('mains');
  const [values, setValues] = useState(() => initialValues(info));
  const [asJson, setAsJson] = useState(!info.fields);
  const [json, setJson] = useState(() => exampleJson(info));
  const [jsonProblem, setJsonProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<Source | null>(null);
  const ids = { type: useId(), json: useId(), jsonError: useId(), typeError: useId() };

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
      setJsonProblem(`The settings are not valid JSON: ${(e as Error).message}`);
      return null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      setJsonProblem('The settings must be a JSON object, such as {"topic": "..."}');
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
      { type, ...(name.trim() ? { name: name.trim() } : {}), role, settings },
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
          const t = (JSON.parse(json) as { topic?: unknown }).topic;
          return typeof t === 'string' ? t : '';
        } catch {
          return '';
        }
      })()
    : (values.topic ?? '');

  return (
    <form
      onSubmit={submit}
      aria-label="Add a meter"
      noValidate
      className="mt-4 grid gap-3 border-t border-slate-100 pt-4 sm:grid-cols-2 dark:border-slate-800"
    >
      <h3 className="font-semibold sm:col-span-2">Add a meter</h3>
      <div className="sm:col-span-2">
        <label htmlFor={ids.type} className={labelClass}>
          Meter type
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
              {SOURCE_TYPES.filter((t) => t.group === g.group).map((t) => (
                <option key={t.type} value={t.type}>
                  {t.label} ({t.type})
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
        Meter name
        <input
          maxLength={100}
          autoComplete="off"
          placeholder={`e.g. ${info.label.split(',')[0]} in the hall`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          className={inputClass}
        />
      </label>
      <label className={labelClass}>
        What it measures
        <select
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          className={inputClass}
        >
          {(Object.keys(ROLE_LABELS) as Array<keyof typeof ROLE_LABELS>).map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
      </label>
      {fields.length > 0 && (
        <label className="flex items-center gap-2 text-sm sm:col-span-2">
          <input type="checkbox" checked={asJson} onChange={(e) => toggleJson(e.target.checked)} />
          Edit all settings as JSON (for settings without a field here)
        </label>
      )}
      {editingJson ? (
        <div className="sm:col-span-2">
          <label htmlFor={ids.json} className={labelClass}>
            Settings (JSON)
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
          <p className={hintClass}>
            The settings of <code>{type}</code> are listed in docs/ingest.md; the example shows the
            usual ones.
          </p>
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
          {create.isPending ? 'Adding…' : 'Add meter'}
        </button>
        <span role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
          {added ? `Added “${added.name}”.` : ''}
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
  const sources = useSources(buildingId);
  const remove = useDeleteSource(buildingId);
  const now = useNow(1000);

  return (
    <Panel id="meters" title="Meters">
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">
        The meters this building’s readings come from, read by the server in their own formats. Grid
        power is signed: import is what the home takes from the grid, export what it sends back.
      </p>
      {sources.error ? (
        <ErrorState error={sources.error} onRetry={() => void sources.refetch()} />
      ) : sources.isPending ? (
        <Loading />
      ) : sources.data.sources.length === 0 ? (
        <Empty>No meters yet. Add the one you own below.</Empty>
      ) : (
        <div {...scrollRegion('Meters table', 'relative')}>
          <table className="w-full text-sm">
            <caption className="sr-only">Meters and their status</caption>
            <TableHead
              columns={[
                'Name',
                'Type',
                'Measures',
                'Last value',
                'Last seen',
                'Last error',
                { label: 'Actions', srOnly: true },
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
