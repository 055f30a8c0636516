/** Loading, error and empty states shared by every page and panel, so none is ever blank. */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { isPartial } from '../lib/coverage.js';
import { formatPercent } from '../lib/format.js';

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div
      role="status"
      aria-live="polite"
      className="flex items-center gap-2 p-4 text-sm text-slate-500 dark:text-slate-400"
    >
      <span className="size-3 animate-pulse rounded-full bg-emerald-500" aria-hidden="true" />
      {label ?? t('states.loading')}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div
      role="alert"
      className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
    >
      <p>{message}</p>
      {onRetry && (
        <button
          type="button"
          onClick={onRetry}
          className="mt-2 rounded border border-current px-2 py-1 text-xs font-medium focus-visible:outline-2 focus-visible:outline-offset-2"
        >
          {t('states.tryAgain')}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="p-4 text-sm text-slate-500 dark:text-slate-400">{children}</p>;
}

/** A titled card; `aria-labelledby` makes each panel a named region for screen readers. */
export function Panel({
  id,
  title,
  children,
  actions,
}: {
  id: string;
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section
      aria-labelledby={id}
      className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
        <h2 id={id} className="text-sm font-semibold text-slate-600 dark:text-slate-300">
          {title}
        </h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/**
 * Says that per-appliance estimates are still being computed for part of what is shown
 * (history just imported), so that missing appliance colours are not read as "other".
 * Renders nothing once everything with readings is estimated.
 */
export function EstimatingNotice({ coverage }: { coverage: number | null | undefined }) {
  const { t } = useTranslation();
  if (coverage === null || coverage === undefined || coverage >= 0.995) return null;
  return (
    <p role="status" className="mb-2 text-sm text-amber-800 dark:text-amber-300">
      {t('states.estimating', { percent: formatPercent(coverage) })}
    </p>
  );
}

/**
 * Says that energy and cost count only part of a period, when readings are missing for some of
 * it (`coverage` from lib/coverage.ts). Renders nothing when the period is complete or unknown.
 */
export function CoverageNote({
  coverage,
  of,
}: {
  coverage: number | null | undefined;
  /** What the share is of, in words: "today so far", "this range". */
  of: string;
}) {
  const { t } = useTranslation();
  if (!isPartial(coverage)) return null;
  return (
    <p className="mt-2 text-xs text-amber-800 dark:text-amber-300">
      {t('states.coverage', { percent: formatPercent(coverage), of })}
    </p>
  );
}
