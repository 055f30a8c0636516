/**
 * Building: name and time zone, which appliances it has (a checklist of the model's), its meters
 * (sources) with their live status, the device tokens meters send readings with, a history
 * import, and members and their roles. Owners and admins manage it; members and viewers see a
 * read-only summary. Each panel is its own component; this page lays them out for the reader's
 * role.
 */
import type { Building } from '@nilm/contracts';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { AppliancesChecklist } from '../components/appliances.checklist.js';
import { BuildingDetailsForm } from '../components/building.details.form.js';
import { ImportPanel } from '../components/import.panel.js';
import { MembersPanel } from '../components/members.panel.js';
import { MetersPanel } from '../components/meters.panel.js';
import { ErrorState, Loading, Panel } from '../components/states.js';
import { TokensPanel } from '../components/tokens.panel.js';
import { useBuilding } from '../state/queries.js';

const ROLE_WORDS = {
  admin: 'building.youAdmin',
  owner: 'building.youOwner',
  member: 'building.youMember',
  viewer: 'building.youViewer',
} as const satisfies Record<Building['my_role'], string>;

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
            <BuildingDetailsForm key={b.id} building={b} />
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
