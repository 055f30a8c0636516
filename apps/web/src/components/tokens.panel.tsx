/**
 * Device tokens (owners and admins): the tokens a building's meters send readings with, when
 * each was last used, revoking one after a confirmation, and a form that creates one and then
 * shows its secret once.
 */
import type { DeviceTokenCreated } from '@nilm/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  useCreateDeviceToken,
  useDeviceTokens,
  useIngestInfo,
  useRevokeDeviceToken,
} from '../state/queries.js';
import { ConfirmButton } from './confirm.dialog.js';
import { inputClass, labelClass, primaryButton, td, when } from './form.helpers.js';
import { NewTokenDialog } from './new.token.dialog.js';
import { Empty, ErrorState, Loading, Panel } from './states.js';
import { scrollRegion, TableHead } from './table.head.js';

/** The tokens table of a building and the form that creates one. */
export function TokensPanel({ buildingId }: { buildingId: string }) {
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
