/**
 * Building: name and time zone, which appliances it has (a checklist of the model's), its meters
 * (sources) with their live status, the device tokens meters send readings with, a history
 * import, and members and their roles. Owners and admins manage it; members and viewers see a
 * read-only summary. A new token's secret is shown once,
 * with curl and MQTT commands built from what the server accepts.
 */
import type { Building, DeviceTokenCreated, MemberList } from '@nilm/contracts';
import * as Dialog from '@radix-ui/react-dialog';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { AppliancesChecklist } from '../components/appliances.checklist.js';
import { ConfirmButton, dialogContent, dialogOverlay } from '../components/confirm.dialog.js';
import { CopyBlock } from '../components/copy.block.js';
import { ImportPanel } from '../components/import.panel.js';
import { MetersPanel } from '../components/meters.panel.js';
import { inputClass, labelClass, primaryButton, td, when } from '../components/form.helpers.js';
import { Empty, ErrorState, Loading, Panel } from '../components/states.js';
import { TimeZoneField } from '../components/time.zone.field.js';
import { scrollRegion, TableHead } from '../components/table.head.js';
import { ingestExamples } from '../lib/ingest.examples.js';
import { formatCount } from '../lib/format.js';
import {
  useBuilding,
  useCreateDeviceToken,
  useDeviceTokens,
  useIngestInfo,
  useMembers,
  useRemoveMember,
  useRevokeDeviceToken,
  useSetMember,
  useUpdateBuilding,
} from '../state/queries.js';

type MemberRole = MemberList['members'][number]['role'];
const ROLES = [
  { value: 'owner', label: 'building.owner' },
  { value: 'member', label: 'building.member' },
  { value: 'viewer', label: 'building.viewer' },
] as const satisfies ReadonlyArray<{ value: MemberRole; label: string }>;
const ROLE_WORDS = {
  admin: 'building.youAdmin',
  owner: 'building.youOwner',
  member: 'building.youMember',
  viewer: 'building.youViewer',
} as const satisfies Record<Building['my_role'], string>;

function DetailsForm({ building }: { building: Building }) {
  const { t } = useTranslation();
  const [name, setName] = useState(building.name);
  const [timezone, setTimezone] = useState(building.timezone);
  const update = useUpdateBuilding(building.id);
  const changed = name.trim() !== building.name || timezone.trim() !== building.timezone;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({
      ...(name.trim() !== building.name ? { name: name.trim() } : {}),
      ...(timezone.trim() !== building.timezone ? { timezone: timezone.trim() } : {}),
    });
  };

  return (
    <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2">
      <label className={labelClass}>
        {t('settings.name')}
        <input
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
          className={inputClass}
        />
      </label>
      <TimeZoneField value={timezone} onChange={setTimezone} />
      <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
        <button type="submit" disabled={!changed || update.isPending} className={primaryButton}>
          {update.isPending ? t('settings.saving') : t('building.save')}
        </button>
        <span role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
          {update.isSuccess && !changed ? t('alerts.saved') : ''}
        </span>
      </div>
      {update.error && (
        <div className="sm:col-span-2">
          <ErrorState error={update.error} />
        </div>
      )}
    </form>
  );
}

function MembersPanel({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const members = useMembers(buildingId);
  const add = useSetMember(buildingId);
  const change = useSetMember(buildingId);
  const remove = useRemoveMember(buildingId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<MemberRole>('member');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const who = email.trim();
    // E-mails always hold an "@", account ids never do (external sign-in: the person's id there).
    add.mutate(who.includes('@') ? { email: who, role } : { user_id: who, role }, {
      onSuccess: () => setEmail(''),
    });
  };

  return (
    <Panel id="members" title={t('building.members')}>
      {members.error ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : members.isPending ? (
        <Loading />
      ) : members.data.members.length === 0 ? (
        <Empty>{t('building.noMembers')}</Empty>
      ) : (
        <div {...scrollRegion(t('building.membersTable'), 'relative')}>
          {change.error && <ErrorState error={change.error} />}
          <table className="w-full text-sm">
            <caption className="sr-only">{t('building.membersCaption')}</caption>
            <TableHead
              columns={[
                t('building.account'),
                t('building.role'),
                { label: t('building.actions'), srOnly: true },
              ]}
            />
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {members.data.members.map((m) => {
                const who = m.email ?? m.user_id;
                return (
                  <tr key={m.user_id}>
                    <th scope="row" className={`${td} text-left font-medium break-words`}>
                      {who}
                      {m.email && (
                        <span className="block text-xs font-normal text-slate-500 dark:text-slate-400">
                          {m.user_id}
                        </span>
                      )}
                    </th>
                    <td className={td}>
                      <select
                        aria-label={t('building.roleOf', { who })}
                        value={m.role}
                        disabled={change.isPending}
                        onChange={(e) =>
                          change.mutate({ user_id: m.user_id, role: e.target.value as MemberRole })
                        }
                        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
                      >
                        {ROLES.map((r) => (
                          <option key={r.value} value={r.value}>
                            {t(r.label)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td className={`${td} text-right`}>
                      <ConfirmButton
                        label={t('building.removeWho', { who })}
                        title={t('building.removeTitle', { who })}
                        description={t('building.removeNote')}
                        confirmLabel={t('settings.remove')}
                        onConfirm={() => remove.mutateAsync(m.user_id)}
                      >
                        {t('settings.remove')}
                      </ConfirmButton>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <form
        onSubmit={submit}
        aria-label={t('building.addMember')}
        className="mt-4 grid items-end gap-3 border-t border-slate-100 pt-4 sm:grid-cols-[1fr_auto_auto] dark:border-slate-800"
      >
        <label className={labelClass}>
          {t('building.whoToAdd')}
          <input
            required
            maxLength={200}
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            className={inputClass}
          />
        </label>
        <label className={labelClass}>
          {t('building.role')}
          <select
            value={role}
            onChange={(e) => setRole(e.target.value as MemberRole)}
            className={inputClass}
          >
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {t(r.label)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={add.isPending} className={primaryButton}>
          {add.isPending ? t('building.adding') : t('building.addMemberButton')}
        </button>
        <p className="text-xs text-slate-500 dark:text-slate-400 sm:col-span-3">
          {t('building.rolesNote')}
        </p>
        {add.error && (
          <div className="sm:col-span-3">
            <ErrorState error={add.error} />
          </div>
        )}
      </form>
    </Panel>
  );
}

/** The one-time view of a new token: the secret, and commands that send a reading with it. */
function NewTokenDialog({
  buildingId,
  created,
  onClose,
}: {
  buildingId: string;
  created: DeviceTokenCreated;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const info = useIngestInfo();
  const examples = info.data
    ? ingestExamples({
        info: info.data,
        origin: window.location.origin,
        buildingId,
        token: created.token,
        fallbackHost: window.location.hostname,
      })
    : null;
  return (
    <Dialog.Root open onOpenChange={(o) => !o && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className={dialogOverlay} />
        <Dialog.Content className={`${dialogContent} max-w-2xl space-y-4`}>
          <Dialog.Title className="text-lg font-semibold">
            {t('building.tokenCreated', { name: created.name })}
          </Dialog.Title>
          <Dialog.Description className="text-sm text-slate-600 dark:text-slate-300">
            {t('building.copyNow')}
          </Dialog.Description>
          <CopyBlock label={t('building.token')} text={created.token} secret />
          {info.error ? (
            <ErrorState error={info.error} onRetry={() => void info.refetch()} />
          ) : !examples ? (
            <Loading label={t('building.loadingIngest')} />
          ) : (
            <>
              <section aria-labelledby="http-example" className="space-y-2">
                <h3 id="http-example" className="font-semibold">
                  {t('building.overHttp')}
                </h3>
                <CopyBlock label={t('building.curl')} text={examples.curl} />
                <p className="text-xs text-slate-500 dark:text-slate-400">
                  {t('building.upTo', { n: formatCount(info.data?.http.max_readings ?? 0) })}
                  <code> ts</code> {t('building.tsIs')} <code>power_w</code> {t('building.powerIs')}
                </p>
              </section>
              <section aria-labelledby="mqtt-example" className="space-y-2">
                <h3 id="mqtt-example" className="font-semibold">
                  {t('building.overMqtt')}
                </h3>
                {!examples.mqtt ? (
                  <p className="text-sm text-slate-600 dark:text-slate-300">
                    {t('building.mqttOff')}
                  </p>
                ) : (
                  <>
                    {examples.mqtt.command && (
                      <CopyBlock label={t('building.mosquitto')} text={examples.mqtt.command} />
                    )}
                    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                      <dt className="text-slate-500 dark:text-slate-400">{t('building.broker')}</dt>
                      <dd className="break-all">{info.data?.mqtt.url}</dd>
                      <dt className="text-slate-500 dark:text-slate-400">{t('building.topic')}</dt>
                      <dd className="font-mono text-xs break-all">{examples.mqtt.topic}</dd>
                      <dt className="text-slate-500 dark:text-slate-400">
                        {t('building.payload')}
                      </dt>
                      <dd className="font-mono text-xs break-all">{examples.mqtt.payload}</dd>
                    </dl>
                    <ul className="list-disc space-y-1 pl-5 text-xs text-slate-600 dark:text-slate-300">
                      {examples.mqtt.notes.map((n) => (
                        <li key={n}>{n}</li>
                      ))}
                    </ul>
                  </>
                )}
              </section>
            </>
          )}
          <div className="flex justify-end">
            <Dialog.Close className={primaryButton}>{t('building.done')}</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function TokensPanel({ buildingId }: { buildingId: string }) {
  const { t } = useTranslation();
  const tokens = useDeviceTokens(buildingId);
  const create = useCreateDeviceToken(buildingId);
  const revoke = useRevokeDeviceToken(buildingId);
  // Fetched ahead, so the examples are ready when a new token's dialog opens.
  useIngestInfo();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<DeviceTokenCreated | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(name.trim(), {
      onSuccess: (token) => {
        setName('');
        setCreated(token);
      },
    });
  };

  return (
    <Panel id="tokens" title={t('building.tokens')}>
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-300">{t('building.tokensNote')}</p>
      {tokens.error ? (
        <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.isPending ? (
        <Loading />
      ) : tokens.data.tokens.length === 0 ? (
        <Empty>{t('building.noTokens')}</Empty>
      ) : (
        <div {...scrollRegion(t('building.tokensTable'), 'relative')}>
          <table className="w-full text-sm">
            <caption className="sr-only">{t('building.tokens')}</caption>
            <TableHead
              columns={[
                t('settings.name'),
                t('model.created'),
                t('building.lastUsed'),
                t('model.status'),
                { label: t('building.actions'), srOnly: true },
              ]}
            />
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {tokens.data.tokens.map((tok) => (
                <tr
                  key={tok.id}
                  className={tok.revoked_at ? 'text-slate-500 dark:text-slate-400' : undefined}
                >
                  <th scope="row" className={`${td} text-left font-medium`}>
                    {tok.name}
                  </th>
                  <td className={`${td} whitespace-nowrap`}>{when(tok.created_at)}</td>
                  <td className={`${td} whitespace-nowrap`}>{when(tok.last_used_at)}</td>
                  <td className={`${td} whitespace-nowrap`}>
                    {tok.revoked_at
                      ? t('building.revoked', { when: when(tok.revoked_at) })
                      : t('model.active')}
                  </td>
                  <td className={`${td} text-right`}>
                    {!tok.revoked_at && (
                      <ConfirmButton
                        label={t('building.revokeLabel', { name: tok.name })}
                        title={t('building.revokeTitle', { name: tok.name })}
                        description={t('building.revokeNote')}
                        confirmLabel={t('building.revoke')}
                        onConfirm={() => revoke.mutateAsync(tok.id)}
                      >
                        {t('building.revoke')}
                      </ConfirmButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form
        onSubmit={submit}
        aria-label={t('building.createToken')}
        className="mt-4 grid items-end gap-3 border-t border-slate-100 pt-4 sm:grid-cols-[1fr_auto] dark:border-slate-800"
      >
        <label className={labelClass}>
          {t('building.tokenName')}
          <input
            required
            maxLength={100}
            placeholder={t('building.tokenPlaceholder')}
            value={name}
            onChange={(e) => setName(e.target.value)}
            className={inputClass}
          />
        </label>
        <button type="submit" disabled={create.isPending} className={primaryButton}>
          {create.isPending ? t('building.creating') : t('building.createTokenButton')}
        </button>
        {create.error && (
          <div className="sm:col-span-2">
            <ErrorState error={create.error} />
          </div>
        )}
      </form>
      {created && (
        <NewTokenDialog
          buildingId={buildingId}
          created={created}
          onClose={() => setCreated(null)}
        />
      )}
    </Panel>
  );
}

export default function BuildingPage() {
  const { t } = useTranslation();
  const { buildingId = '' } = useParams();
  const building = useBuilding(buildingId);

  if (building.error)
    return <ErrorState error={building.error} onRetry={() => void building.refetch()} />;
  if (building.isPending) return <Loading />;
  const b = building.data;
  const canManage = b.my_role === 'owner' || b.my_role === 'admin';

  return (
    <div className="max-w-4xl space-y-4">
      <div>
        <h1 className="text-2xl font-bold break-words">
          {t('building.heading', { name: b.name })}
        </h1>
        <p className="text-sm text-slate-500 dark:text-slate-400">
          {t('building.id')} <code>{b.id}</code> · {t(ROLE_WORDS[b.my_role])}
        </p>
      </div>
      {canManage ? (
        <>
          <Panel id="details" title={t('building.details')}>
            <DetailsForm key={b.id} building={b} />
          </Panel>
          <AppliancesChecklist key={`appliances-${b.id}`} buildingId={b.id} canEdit />
          <MetersPanel key={`meters-${b.id}`} buildingId={b.id} />
          <TokensPanel key={`tokens-${b.id}`} buildingId={b.id} />
          <ImportPanel key={`import-${b.id}`} buildingId={b.id} />
          <MembersPanel key={`members-${b.id}`} buildingId={b.id} />
        </>
      ) : (
        <Panel id="details" title={t('building.about')}>
          <p
            role="note"
            className="mb-3 rounded-md border border-slate-200 bg-slate-50 p-3 text-sm dark:border-slate-700 dark:bg-slate-950"
          >
            {t('building.viewOnly')}
          </p>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500 dark:text-slate-400">{t('settings.name')}</dt>
            <dd>{b.name}</dd>
            <dt className="text-slate-500 dark:text-slate-400">{t('zone.label')}</dt>
            <dd>{b.timezone}</dd>
          </dl>
        </Panel>
      )}
    </div>
  );
}
