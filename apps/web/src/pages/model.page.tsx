/**
 * Model: first, for the building in the header, what the model finds in plain words and what it
 * cannot see in this home; behind "Show technical details", the registered versions, the active
 * card's held-out scores and baselines (the numbers `nilm eval` prints); admins may switch versions.
 * Between them, "Teach the model your home": the building's fine-tunes and its own models.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useOutletContext } from 'react-router';
import { FinetunePanel } from '../components/finetune.panel.js';
import { useBuildingModels } from '../state/learn.queries.js';
import type { LayoutContext } from '../components/layout.js';
import { ResponsiveTable } from '../components/responsive.table.js';
import { Empty, ErrorState, Loading, Panel } from '../components/states.js';
import { scrollRegion, TableHead } from '../components/table.head.js';
import { applianceName, formatCount, formatNumber, formatPercent } from '../lib/format.js';
import { householdView, LOW_F1, type PlainCard } from '../lib/model.plain.js';
import {
  useActivateModel,
  useAppliancesPresent,
  useBuilding,
  useModelCard,
  useModels,
} from '../state/queries.js';
import { useSession } from '../state/session.js';

const num = (v: number | undefined | null, digits = 2) => formatNumber(v, digits);
const pct = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : formatPercent(v);
const date = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
};

/** Data sources as the card records them (paths on the trainer's machine): show file patterns. */
const sources = (data: string[] | undefined) =>
  data?.map((d) => d.split(/[\\/]/).pop() ?? d).join(', ') || '–';

const th = 'px-3 py-2 font-medium whitespace-nowrap';
const td = 'px-3 py-2 text-right tabular-nums';

function CardView({ card }: { card: PlainCard }) {
  const { t } = useTranslation();
  const scores = Object.entries(card.test?.appliances ?? {});
  const baselines = Object.entries(card.test?.baselines ?? {});
  return (
    <div className="space-y-4 text-sm">
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        <dt className="text-slate-500 dark:text-slate-400">{t('model.version')}</dt>
        <dd>{card.version}</dd>
        <dt className="text-slate-500 dark:text-slate-400">{t('model.created')}</dt>
        <dd>{date(card.created)}</dd>
        <dt className="text-slate-500 dark:text-slate-400">{t('model.training')}</dt>
        <dd>{sources(card.training?.data)}</dd>
        <dt className="text-slate-500 dark:text-slate-400">{t('model.testedOn')}</dt>
        <dd>
          {sources(card.test?.data)}
          {card.test?.samples
            ? t('model.samples', { samples: formatCount(card.test.samples) })
            : ''}
          {t('model.neverSeen')}
        </dd>
        <dt className="text-slate-500 dark:text-slate-400">{t('model.licence')}</dt>
        <dd>{card.training?.licence ?? '–'}</dd>
      </dl>
      <ResponsiveTable
        label={t('model.scores')}
        caption={t('model.scores')}
        captionClass="mb-1 text-left font-semibold"
        tableClass="w-full"
        headCellClass={th}
        cellClass={td}
        columns={[
          t('compareSection.appliance'),
          'F1',
          t('model.precision'),
          t('model.recall'),
          'MAE (W)',
          t('model.bandCoverage'),
        ].map((c) => ({ key: c, label: c, name: c }))}
        rows={scores.map(([name, s]) => ({
          key: name,
          label: applianceName(name),
          cells: [
            num(s.f1),
            num(s.precision),
            num(s.recall),
            num(s.mae_w, 1),
            pct(s.band_coverage),
          ],
        }))}
        after={scores.length === 0 && <Empty>{t('model.noCardScores')}</Empty>}
      />
      {baselines.length > 0 && (
        <ResponsiveTable
          label={t('model.baselines')}
          caption={t('model.baselinesCaption')}
          captionClass="mb-1 text-left font-semibold"
          tableClass="w-full"
          headCellClass={th}
          rowHeadClass="px-3 py-2 text-left font-normal"
          cellClass={td}
          columns={[t('model.baseline'), 'F1', 'MAE (W)'].map((c) => ({
            key: c,
            label: c,
            name: c,
          }))}
          rows={baselines.map(([name, s]) => ({
            key: name,
            label: name,
            cells: [num(s.f1), num(s.mae_w, 1)],
          }))}
          after={
            <p className="mt-1 text-slate-600 dark:text-slate-300">
              {t('model.baselinesNote')}
              {card.test?.baselines_config && (
                <>
                  {' '}
                  <code className="break-all">nilm eval</code> {t('model.samePrints')}{' '}
                  <code className="break-all">
                    npx nilm eval --model baseline:co --config {card.test.baselines_config}
                  </code>{' '}
                  ({t('model.or')} <code>baseline:mean</code>).
                </>
              )}
            </p>
          }
        />
      )}
    </div>
  );
}

/** The household view of a card: one sentence per appliance the home has, and its blind spots. */
function PlainView({
  card,
  present,
}: {
  card: PlainCard;
  present: Parameters<typeof householdView>[1];
}) {
  const { t } = useTranslation();
  const view = householdView(card, present);
  return (
    <div className="space-y-4 text-sm">
      <p className="text-slate-500 dark:text-slate-400">
        {t('model.model', { ref: `${card.id}@${card.version}` })}
      </p>
      {view.lines.length === 0 ? (
        <Empty>{t('model.none')}</Empty>
      ) : (
        <ul className="space-y-2" aria-label={t('model.findsLabel')}>
          {view.lines.map((l) => (
            <li key={l.name}>
              <span className="font-semibold">{l.label}:</span> {l.sentence}
            </li>
          ))}
        </ul>
      )}
      <div>
        <h3 className="font-semibold">{t('model.cannotSee')}</h3>
        <ul className="mt-1 list-disc space-y-1 pl-5" aria-label={t('model.cannotSeeLabel')}>
          {view.unseen.length > 0 && (
            <li>{t('model.unseen', { names: view.unseen.join(', ') })}</li>
          )}
          {view.weak.map((w) => (
            <li key={w.label}>{t('model.rough', { name: w.label, weak: w.weak })}</li>
          ))}
          <li>{t('model.anythingElse')}</li>
          {view.hidden.length > 0 && (
            <li>{t('model.hidden', { names: view.hidden.join(', ') })}</li>
          )}
        </ul>
        <p className="mt-2 text-slate-500 dark:text-slate-400">
          {t('model.measured', { f1: formatNumber(LOW_F1, 1) })}
        </p>
      </div>
    </div>
  );
}

/** Plain view for the header's building: its own model's card and its appliance list. */
function BuildingPlain({
  buildingId,
  activeRef,
}: {
  buildingId: string;
  activeRef: string | null;
}) {
  const { t } = useTranslation();
  const present = useAppliancesPresent(buildingId);
  const own = useBuildingModels(buildingId);
  const ref = present.data?.model ?? activeRef;
  // A model taught for this home has its own card (served to the home's members), and a note
  // saying where it came from (its scores on the home's data are under "Teach the model your home").
  const pinned = own.data?.models.find((m) => m.ref === ref);
  const card = useModelCard(present.isPending ? null : ref);
  if (present.error)
    return <ErrorState error={present.error} onRetry={() => void present.refetch()} />;
  if (present.isPending) return <Loading />;
  if (!ref) return <Empty>{t('model.noActive')}</Empty>;
  if (card.error) return <ErrorState error={card.error} onRetry={() => void card.refetch()} />;
  if (card.isPending) return <Loading />;
  return (
    <>
      {pinned && (
        <p className="mb-2 text-sm text-slate-600 dark:text-slate-300">
          {t('learn.models.plainNote', { ref: pinned.ref, base: pinned.base })}
        </p>
      )}
      <PlainView
        card={card.data}
        present={present.data.is_default ? null : present.data.appliances}
      />
    </>
  );
}

/** "Teach the model your home" for the header's building; owners and admins act. */
function BuildingTeach({ buildingId }: { buildingId: string }) {
  const role = useBuilding(buildingId).data?.my_role;
  return (
    <FinetunePanel
      key={buildingId}
      buildingId={buildingId}
      canEdit={role === 'owner' || role === 'admin'}
    />
  );
}

/** Plain view with no building chosen: the active card, every appliance counted as present. */
function ActivePlain({ activeRef }: { activeRef: string | null }) {
  const { t } = useTranslation();
  const card = useModelCard(activeRef);
  if (!activeRef) return <Empty>{t('model.noActive')}</Empty>;
  if (card.error) return <ErrorState error={card.error} onRetry={() => void card.refetch()} />;
  if (card.isPending) return <Loading />;
  return <PlainView card={card.data} present={null} />;
}

export default function ModelPage() {
  const { t } = useTranslation();
  const { session } = useSession();
  const isAdmin = session?.user.role === 'admin';
  const models = useModels();
  const active = models.data?.active ?? null;
  const card = useModelCard(active);
  const activate = useActivateModel();
  const buildingId = useOutletContext<LayoutContext | undefined>()?.currentBuilding;
  const [technical, setTechnical] = useState(false);

  return (
    <div className="space-y-4">
      <Panel id="model-plain" title={t('model.title')}>
        {models.error ? (
          <ErrorState error={models.error} onRetry={() => void models.refetch()} />
        ) : models.isPending ? (
          <Loading />
        ) : buildingId ? (
          <BuildingPlain buildingId={buildingId} activeRef={active} />
        ) : (
          <ActivePlain activeRef={active} />
        )}
      </Panel>
      {buildingId && <BuildingTeach buildingId={buildingId} />}
      <button
        type="button"
        aria-expanded={technical}
        aria-controls="model-technical"
        onClick={() => setTechnical((shown) => !shown)}
        className="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800"
      >
        {technical ? t('model.hideTechnical') : t('model.showTechnical')}
      </button>
      <div id="model-technical" hidden={!technical} className="space-y-4">
        <Panel id="models" title={t('model.versions')}>
          {models.error ? (
            <ErrorState error={models.error} onRetry={() => void models.refetch()} />
          ) : models.isPending ? (
            <Loading />
          ) : models.data.models.length === 0 ? (
            <Empty>{t('model.noModels')}</Empty>
          ) : (
            <div {...scrollRegion(t('model.versions'))}>
              {activate.error && <ErrorState error={activate.error} />}
              <table className="w-full text-sm">
                <caption className="sr-only">{t('model.registered')}</caption>
                <TableHead
                  cellClass={th}
                  columns={[
                    t('layout.model'),
                    t('model.created'),
                    { label: t('model.meanF1'), align: 'right' },
                    { label: t('model.meanMae'), align: 'right' },
                    { label: t('model.status'), align: 'right' },
                  ]}
                />
                <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                  {models.data.models.map((m) => (
                    <tr key={m.ref}>
                      <th scope="row" className="px-3 py-2 text-left font-medium">
                        {m.ref}
                      </th>
                      <td className="px-3 py-2">{date(m.created)}</td>
                      <td className={td}>{num(m.test_mean_f1)}</td>
                      <td className={td}>{num(m.test_mean_mae_w, 1)}</td>
                      <td className="px-3 py-2 text-right">
                        {m.ref === active ? (
                          <span className="rounded bg-emerald-50 px-2 py-0.5 text-xs font-semibold text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200">
                            {t('model.active')}
                          </span>
                        ) : isAdmin ? (
                          <button
                            type="button"
                            disabled={activate.isPending}
                            onClick={() => activate.mutate(m.ref)}
                            aria-label={t('model.makeActiveLabel', { ref: m.ref })}
                            className="rounded-md border border-slate-300 px-2 py-0.5 text-xs font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800"
                          >
                            {t('model.makeActive')}
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Panel>
        {models.data && (
          <Panel
            id="model-card"
            title={active ? t('model.activeModelIs', { ref: active }) : t('model.activeModel')}
          >
            {!active ? (
              <Empty>{t('model.noActive')}</Empty>
            ) : card.error ? (
              <ErrorState error={card.error} onRetry={() => void card.refetch()} />
            ) : card.isPending ? (
              <Loading />
            ) : (
              <CardView card={card.data} />
            )}
          </Panel>
        )}
      </div>
    </div>
  );
}
