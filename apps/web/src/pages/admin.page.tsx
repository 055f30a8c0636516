/**
 * Buildings & users (admins): every building, create one (with its owner) or delete one; the
 * local accounts, and create one, whose generated password is shown once. With external auth the
 * server has no local accounts and says so; owners are then named by user id.
 */
import type { UserCreated } from '@nilm/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ConfirmButton } from '../components/confirm.dialog.js';
import { CopyBlock } from '../components/copy.block.js';
import {
  inputClass,
  labelClass,
  primaryButton,
  secondaryButton,
  slugify,
  td,
  when,
} from '../components/form.helpers.js';
import { Empty, ErrorState, Loading, Panel } from '../components/states.js';
import { TimeZoneField } from '../components/time.zone.field.js';
import { scrollRegion, TableHead } from '../components/table.head.js';
import {
  useBuildings,
  useCreateBuilding,
  useCreateUser,
  useDeleteBuilding,
  useUsers,
} from '../state/queries.js';
import { useSession } from '../state/session.js';

function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function CreateBuildingForm({
  localUsers,
}: {
  localUsers: Array<{ id: string; label: string }> | null;
}) {
  const { t } = useTranslation();
  const create = useCreateBuilding();
  const zonesId = useId();
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [idEdited, setIdEdited] = useState(false);
  const [timezone, setTimezone] = useState(browserTimeZone);
  const [owner, setOwner] = useState('');
  const effectiveId = idEdited ? id : slugify(name);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      {
        id: effectiveId,
        name: name.trim(),
        timezone: timezone.trim(),
        ...(owner.trim() ? { owner_id: owner.trim() } : {}),
      },
      {
        onSuccess: () => {
          setName('');
          setId('');
          setIdEdited(false);
          setOwner('');
        },
      },
    );
  };

  return (
    <form
      onSubmit={submit}
      aria-label={t('admin.createBuilding')}
      className="mt-4 grid gap-3 border-t border-slate-100 pt-4 sm:grid-cols-2 dark:border-slate-800"
    >
      <h3 className="font-semibold sm:col-span-2">{t('admin.createBuilding')}</h3>
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
      <div>
        <label className={labelClass}>
          {t('building.id')}
          <input
            required
            pattern="[a-zA-Z0-9_\-]{1,64}"
            maxLength={64}
            value={effectiveId}
            onChange={(e) => {
              setIdEdited(true);
              setId(e.target.value);
            }}
            aria-describedby={`${zonesId}-id-help`}
            className={`${inputClass} font-mono`}
          />
        </label>
        <p id={`${zonesId}-id-help`} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          {t('admin.idHelp')}
        </p>
      </div>
      <TimeZoneField value={timezone} onChange={setTimezone} />
      {localUsers ? (
        <label className={labelClass}>
          {t('building.owner')}
          <select value={owner} onChange={(e) => setOwner(e.target.value)} className={inputClass}>
            <option value="">{t('admin.me')}</option>
            {localUsers.map((u) => (
              <option key={u.id} value={u.id}>
                {u.label}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <label className={labelClass}>
          {t('admin.ownerId')}
          <input
            maxLength={200}
            placeholder={t('admin.emptyYou')}
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            className={inputClass}
          />
        </label>
      )}
      <div className="sm:col-span-2">
        <button type="submit" disabled={create.isPending} className={primaryButton}>
          {create.isPending ? t('building.creating') : t('admin.createBuildingButton')}
        </button>
      </div>
      {create.isSuccess && (
        <p role="status" className="text-sm text-emerald-700 sm:col-span-2 dark:text-emerald-300">
          {t('admin.buildingCreated', { name: create.data.name })}{' '}
          <Link to={`/b/${encodeURIComponent(create.data.id)}/settings`} className="underline">
            {t('admin.addMembers')}
          </Link>
        </p>
      )}
      {create.error && (
        <div className="sm:col-span-2">
          <ErrorState error={create.error} />
        </div>
      )}
    </form>
  );
}

function BuildingsPanel({
  localUsers,
}: {
  localUsers: Array<{ id: string; label: string }> | null;
}) {
  const { t } = useTranslation();
  const buildings = useBuildings();
  const remove = useDeleteBuilding();
  return (
    <Panel id="buildings" title={t('admin.buildings')}>
      {buildings.error ? (
        <ErrorState error={buildings.error} onRetry={() => void buildings.refetch()} />
      ) : buildings.isPending ? (
        <Loading />
      ) : buildings.data.buildings.length === 0 ? (
        <Empty>{t('app.noBuildingsAdmin')}</Empty>
      ) : (
        <div {...scrollRegion(t('admin.buildingsTable'), 'relative')}>
          <table className="w-full text-sm">
            <caption className="sr-only">{t('admin.allBuildings')}</caption>
            <TableHead
              columns={[
                t('settings.name'),
                t('building.id'),
                t('zone.label'),
                t('model.created'),
                { label: t('building.actions'), srOnly: true },
              ]}
            />
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {buildings.data.buildings.map((b) => (
                <tr key={b.id}>
                  <th scope="row" className={`${td} text-left font-medium`}>
                    {b.name}
                    {b.is_demo && (
                      <span className="ml-2 rounded bg-slate-100 px-1.5 text-xs font-normal dark:bg-slate-800">
                        {t('admin.demo')}
                      </span>
                    )}
                  </th>
                  <td className={`${td} font-mono`}>{b.id}</td>
                  <td className={td}>{b.timezone}</td>
                  <td className={`${td} whitespace-nowrap`}>{when(b.created_at)}</td>
                  <td className={`${td} text-right whitespace-nowrap`}>
                    <Link
                      to={`/b/${encodeURIComponent(b.id)}/settings`}
                      aria-label={t('admin.manageLabel', { name: b.name })}
                      className="mr-2 text-xs font-medium text-emerald-700 underline focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-emerald-300"
                    >
                      {t('admin.manage')}
                    </Link>
                    <ConfirmButton
                      label={t('admin.deleteLabel', { name: b.name })}
                      title={t('admin.deleteTitle', { name: b.name })}
                      description={t('admin.deleteNote', { id: b.id })}
                      confirmLabel={t('admin.deleteBuilding')}
                      onConfirm={() => remove.mutateAsync(b.id)}
                    >
                      {t('admin.delete')}
                    </ConfirmButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateBuildingForm localUsers={localUsers} />
    </Panel>
  );
}

function NewPassword({ created, onDone }: { created: UserCreated; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <div
      role="region"
      aria-label={t('admin.newAccount')}
      className="mt-3 space-y-2 rounded-md border border-emerald-300 bg-emerald-50 p-3 dark:border-emerald-800 dark:bg-emerald-950"
    >
      {created.generated_password ? (
        <>
          <p className="text-sm">
            {t('admin.account')} <strong>{created.user.email}</strong> {t('admin.createdGive')}
          </p>
          <CopyBlock label={t('login.password')} text={created.generated_password} secret />
        </>
      ) : (
        <p className="text-sm">
          {t('admin.account')} <strong>{created.user.email}</strong> {t('admin.createdChosen')}
        </p>
      )}
      <button type="button" onClick={onDone} className={secondaryButton}>
        {t('building.done')}
      </button>
    </div>
  );
}

function UsersPanel() {
  const { t } = useTranslation();
  const users = useUsers();
  const create = useCreateUser();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'user' | 'admin'>('user');
  const [password, setPassword] = useState('');
  const [created, setCreated] = useState<UserCreated | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate(
      { email: email.trim(), role, ...(password ? { password } : {}) },
      {
        onSuccess: (r) => {
          setCreated(r);
          setEmail('');
          setPassword('');
          setRole('user');
        },
      },
    );
  };

  if (users.error)
    return (
      <Panel id="users" title={t('admin.users')}>
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      </Panel>
    );
  return (
    <Panel id="users" title={t('admin.users')}>
      {users.isPending ? (
        <Loading />
      ) : (
        <div {...scrollRegion(t('admin.usersTable'), 'relative')}>
          <table className="w-full text-sm">
            <caption className="sr-only">{t('admin.localAccounts')}</caption>
            <TableHead
              columns={[t('login.email'), t('building.role'), t('model.created'), t('building.id')]}
            />
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {users.data.users.map((u) => (
                <tr key={u.id}>
                  <th scope="row" className={`${td} text-left font-medium whitespace-nowrap`}>
                    {u.email ?? '–'}
                  </th>
                  <td className={td}>
                    {u.role === 'admin' ? t('admin.administrator') : t('admin.user')}
                  </td>
                  <td className={`${td} whitespace-nowrap`}>{when(u.created_at)}</td>
                  <td className={`${td} font-mono text-xs whitespace-nowrap`}>{u.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form
        onSubmit={submit}
        aria-label={t('admin.createAccount')}
        className="mt-4 grid items-end gap-3 border-t border-slate-100 pt-4 sm:grid-cols-2 dark:border-slate-800"
      >
        <h3 className="font-semibold sm:col-span-2">{t('admin.createAccount')}</h3>
        <label className={labelClass}>
          {t('login.email')}
          <input
            type="email"
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
            onChange={(e) => setRole(e.target.value as 'user' | 'admin')}
            className={inputClass}
          >
            <option value="user">{t('admin.user')}</option>
            <option value="admin">{t('admin.administrator')}</option>
          </select>
        </label>
        <label className={labelClass}>
          {t('admin.passwordOptional')}
          <input
            type="password"
            minLength={8}
            maxLength={200}
            autoComplete="new-password"
            placeholder={t('admin.emptyGenerate')}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            className={inputClass}
          />
        </label>
        <div>
          <button type="submit" disabled={create.isPending} className={primaryButton}>
            {create.isPending ? t('building.creating') : t('admin.createAccountButton')}
          </button>
        </div>
        {create.error && (
          <div className="sm:col-span-2">
            <ErrorState error={create.error} />
          </div>
        )}
      </form>
      {created && <NewPassword created={created} onDone={() => setCreated(null)} />}
    </Panel>
  );
}

export default function AdminPage() {
  const { t } = useTranslation();
  const { session } = useSession();
  const isAdmin = session?.user.role === 'admin';
  const users = useUsers(isAdmin);
  if (!isAdmin) return <Empty>{t('admin.notAdmin')}</Empty>;
  const localUsers = users.data
    ? users.data.users.map((u) => ({ id: u.id, label: u.email ?? u.id }))
    : null;
  return (
    <div className="max-w-5xl space-y-4">
      <h1 className="text-2xl font-bold">{t('layout.admin')}</h1>
      <BuildingsPanel localUsers={localUsers} />
      <UsersPanel />
    </div>
  );
}
