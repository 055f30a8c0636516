/**
 * Members (owners and admins): who may see or manage a building and in what role, each role
 * changeable in place, each member removable after a confirmation, and a form that adds one by
 * e-mail or account id.
 */
import type { MemberList } from '@nilm/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useMembers, useRemoveMember, useSetMember } from '../state/queries.js';
import { ConfirmButton } from './confirm.dialog.js';
import { inputClass, labelClass, primaryButton, td } from './form.helpers.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';
import { scrollRegion, TableHead } from './table.head.js';

type MemberRole = MemberList['members'][number]['role'];
const ROLES = [
  { value: 'owner', label: 'building.owner' },
  { value: 'member', label: 'building.member' },
  { value: 'viewer', label: 'building.viewer' },
] as const satisfies ReadonlyArray<{ value: MemberRole; label: string }>;

/** The members table of a building and the form that adds one. */
export function MembersPanel({ buildingId }: { buildingId: string }) {
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
