/**
 * Buildings & users (admins): every building, create one (with its owner) or delete one; the
 * local accounts, and create one, whose generated password is shown once. With external auth the
 * server has no local accounts and says so; owners are then named by user id.
 */
import type { UserCreated } from '@nilm/contracts';
import { useId, useState, type FormEvent } from 'react';
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
      aria-label="Create a building"
      className="mt-4 grid gap-3 border-t border-slate-100 pt-4 sm:grid-cols-2 dark:border-slate-800"
    >
      <h3 className="font-semibold sm:col-span-2">Create a building</h3>
      <label className={labelClass}>
        Name
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
          Id
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
          Letters, digits, _ and -; used in URLs and MQTT topics, and cannot be changed later.
        </p>
      </div>
      <TimeZoneField value={timezone} onChange={setTimezone} />
      {localUsers ? (
        <label className={labelClass}>
          Owner
          <select value={owner} onChange={(e) => setOwner(e.target.value)} className={inputClass}>
            <option value="">Me</option>
            {localUsers.map((u) => (
              <option key={u.id} value={u.id}>
                {u.label}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <label className={labelClass}>
          Owner user id (optional)
          <input
            maxLength={200}
            placeholder="empty: you"
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            className={inputClass}
          />
        </label>
      )}
      <div className="sm:col-span-2">
        <button type="submit" disabled={create.isPending} className={primaryButton}>
          {create.isPending ? 'Creating…' : 'Create building'}
        </button>
      </div>
      {create.isSuccess && (
        <p role="status" className="text-sm text-emerald-700 sm:col-span-2 dark:text-emerald-300">
          Building “{create.data.name}” created.{' '}
          <Link to={`/b/${encodeURIComponent(create.data.id)}/settings`} className="underline">
            Add members and device tokens
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
  const buildings = useBuildings();
  const remove = useDeleteBuilding();
  return (
    <Panel id="buildings" title="Buildings">
      {buildings.error ? (
        <ErrorState error={buildings.error} onRetry={() => void buildings.refetch()} />
      ) : buildings.isPending ? (
        <Loading />
      ) : buildings.data.buildings.length === 0 ? (
        <Empty>There are no buildings yet.</Empty>
      ) : (
        <div {...scrollRegion('Buildings table', 'relative')}>
          <table className="w-full text-sm">
            <caption className="sr-only">All buildings</caption>
            <TableHead
              columns={['Name', 'Id', 'Time zone', 'Created', { label: 'Actions', srOnly: true }]}
            />
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {buildings.data.buildings.map((b) => (
                <tr key={b.id}>
                  <th scope="row" className={`${td} text-left font-medium`}>
                    {b.name}
                    {b.is_demo && (
                      <span className="ml-2 rounded bg-slate-100 px-1.5 text-xs font-normal dark:bg-slate-800">
                        demo
                      </span>
                    )}
                  </th>
                  <td className={`${td} font-mono`}>{b.id}</td>
                  <td className={td}>{b.timezone}</td>
                  <td className={`${td} whitespace-nowrap`}>{when(b.created_at)}</td>
                  <td className={`${td} text-right whitespace-nowrap`}>
                    <Link
                      to={`/b/${encodeURIComponent(b.id)}/settings`}
                      aria-label={`Manage ${b.name}`}
                      className="mr-2 text-xs font-medium text-emerald-700 underline focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-emerald-300"
                    >
                      Manage
                    </Link>
                    <ConfirmButton
                      label={`Delete building ${b.name}`}
                      title={`Delete “${b.name}”?`}
                      description={`This deletes the building "${b.id}" with all its readings, estimates, members and device tokens. It cannot be undone.`}
                      confirmLabel="Delete building"
                      onConfirm={() => remove.mutateAsync(b.id)}
                    >
                      Delete
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
  return (
    <div
      role="region"
      aria-label="New account"
      className="mt-3 space-y-2 rounded-md border border-emerald-300 bg-emerald-50 p-3 dark:border-emerald-800 dark:bg-emerald-950"
    >
      {created.generated_password ? (
        <>
          <p className="text-sm">
            Account <strong>{created.user.email}</strong> created. Give this password to its owner
            now: it is shown only this once.
          </p>
          <CopyBlock label="Password" text={created.generated_password} secret />
        </>
      ) : (
        <p className="text-sm">
          Account <strong>{created.user.email}</strong> created with the password you chose.
        </p>
      )}
      <button type="button" onClick={onDone} className={secondaryButton}>
        Done
      </button>
    </div>
  );
}

function UsersPanel() {
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
      <Panel id="users" title="Users">
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      </Panel>
    );
  return (
    <Panel id="users" title="Users">
      {users.isPending ? (
        <Loading />
      ) : (
        <div {...scrollRegion('Users table', 'relative')}>
          <table className="w-full text-sm">
            <caption className="sr-only">Local accounts</caption>
            <TableHead columns={['E-mail', 'Role', 'Created', 'Id']} />
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {users.data.users.map((u) => (
                <tr key={u.id}>
                  <th scope="row" className={`${td} text-left font-medium whitespace-nowrap`}>
                    {u.email ?? '–'}
                  </th>
                  <td className={td}>{u.role === 'admin' ? 'Administrator' : 'User'}</td>
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
        aria-label="Create an account"
        className="mt-4 grid items-end gap-3 border-t border-slate-100 pt-4 sm:grid-cols-2 dark:border-slate-800"
      >
        <h3 className="font-semibold sm:col-span-2">Create an account</h3>
        <label className={labelClass}>
          E-mail
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
          Role
          <select
            value={role}
            onChange={(e) => setRole(e.target.value as 'user' | 'admin')}
            className={inputClass}
          >
            <option value="user">User</option>
            <option value="admin">Administrator</option>
          </select>
        </label>
        <label className={labelClass}>
          Password (optional)
          <input
            type="password"
            minLength={8}
            maxLength={200}
            autoComplete="new-password"
            placeholder="empty: generate one"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            className={inputClass}
          />
        </label>
        <div>
          <button type="submit" disabled={create.isPending} className={primaryButton}>
            {create.isPending ? 'Creating…' : 'Create account'}
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
  const { session } = useSession();
  const isAdmin = session?.user.role === 'admin';
  const users = useUsers(isAdmin);
  if (!isAdmin)
    return (
      <Empty>
        Buildings and users are managed by administrators. Ask one if you need a building or an
        account.
      </Empty>
    );
  const localUsers = users.data
    ? users.data.users.map((u) => ({ id: u.id, label: u.email ?? u.id }))
    : null;
  return (
    <div className="max-w-5xl space-y-4">
      <h1 className="text-2xl font-bold">Buildings & users</h1>
      <BuildingsPanel localUsers={localUsers} />
      <UsersPanel />
    </div>
  );
}
