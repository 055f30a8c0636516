/**
 * A table on a desk, cards on a phone: below Tailwind's `sm` breakpoint (640 px) each row becomes
 * a card (the row's label as its heading, then each column's name and value), so nothing scrolls
 * sideways. Only one of the two is rendered, so a test (or a screen reader) meets the data once.
 */
import { useSyncExternalStore, type ReactNode } from 'react';
import { scrollRegion } from './table.head.js';

/** Screens narrower than Tailwind's `sm` (640 px): phones. */
export const NARROW_QUERY = '(max-width: 639.98px)';

function subscribe(onChange: () => void) {
  if (typeof matchMedia !== 'function') return () => undefined;
  const list = matchMedia(NARROW_QUERY);
  list.addEventListener('change', onChange);
  return () => list.removeEventListener('change', onChange);
}

/**
 * Whether the screen is phone-sized. Where `matchMedia` is missing (jsdom) it is a desk; a test
 * stubs `matchMedia` to see the phone layout.
 */
export function useNarrow(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => typeof matchMedia === 'function' && matchMedia(NARROW_QUERY).matches,
    () => false,
  );
}

/** A column's heading: `label` shows in the table, `name` (plain text) labels the card's value. */
export interface ResponsiveColumn {
  key: string;
  label: ReactNode;
  name: string;
}

/** One row: its heading cell (`label`) and one value per column after the first. */
export interface ResponsiveRow {
  key: string;
  label: ReactNode;
  cells: readonly ReactNode[];
  /** Classes for the whole row (e.g. a bold total). */
  className?: string;
  /** Classes for the value cell at this index (e.g. a muted "no data"). */
  cellClass?: (index: number) => string;
}

export function ResponsiveTable({
  label,
  caption,
  captionClass = 'sr-only',
  columns,
  rows,
  tableClass = 'w-full text-sm',
  headCellClass = 'px-3 py-2 font-medium whitespace-nowrap',
  rowHeadClass = 'px-3 py-2 text-left font-medium',
  cellClass = 'px-3 py-2 text-right tabular-nums',
  head,
  after,
}: {
  /** The region's accessible name, the same on desk and phone. */
  label: string;
  caption: string;
  captionClass?: string;
  /** Every column, the row headings' first. */
  columns: readonly ResponsiveColumn[];
  rows: readonly ResponsiveRow[];
  tableClass?: string;
  headCellClass?: string;
  rowHeadClass?: string;
  cellClass?: string;
  /** A table head of its own (e.g. two rows of headings), instead of one row of `columns`. */
  head?: ReactNode;
  /** Shown under the table or the cards (notes). */
  after?: ReactNode;
}) {
  const narrow = useNarrow();
  if (narrow)
    return (
      <div role="region" aria-label={label} className="text-sm">
        <p className={captionClass === 'sr-only' ? 'sr-only' : 'mb-1 font-semibold'}>{caption}</p>
        <ul className="grid gap-2">
          {rows.map((r) => (
            <li
              key={r.key}
              className={`rounded-lg border border-slate-200 p-3 dark:border-slate-800 ${r.className ?? ''}`}
            >
              <h3 className="mb-1 font-semibold">{r.label}</h3>
              <dl className="grid grid-cols-[minmax(0,1fr)_auto] gap-x-3 gap-y-0.5">
                {r.cells.map((c, i) => (
                  <div key={columns[i + 1]?.key ?? i} className="contents">
                    <dt className="text-slate-600 dark:text-slate-300">{columns[i + 1]?.name}</dt>
                    <dd className={`text-right tabular-nums ${r.cellClass?.(i) ?? ''}`}>{c}</dd>
                  </div>
                ))}
              </dl>
            </li>
          ))}
        </ul>
        {after}
      </div>
    );
  return (
    <div {...scrollRegion(label)}>
      <table className={tableClass}>
        <caption className={captionClass}>{caption}</caption>
        {head ?? (
          <thead>
            <tr className="border-b border-slate-200 dark:border-slate-800">
              {columns.map((c, i) => (
                <th
                  key={c.key}
                  scope="col"
                  className={`${headCellClass} ${i === 0 ? 'text-left' : 'text-right'}`}
                >
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
        )}
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((r) => (
            <tr key={r.key} className={r.className}>
              <th scope="row" className={rowHeadClass}>
                {r.label}
              </th>
              {r.cells.map((c, i) => (
                <td
                  key={columns[i + 1]?.key ?? i}
                  className={`${cellClass} ${r.cellClass?.(i) ?? ''}`}
                >
                  {c}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {after}
    </div>
  );
}
