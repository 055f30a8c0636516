/** A table's header row, so every table names its columns the same way. */
import { th } from './form.helpers.js';

/** A column: its name, and whether the name is for screen readers only (e.g. "Actions"). */
/**
 * Props for a wide table's horizontal scroller: it takes keyboard focus (arrow keys scroll it)
 * and is a named region, so keyboard and screen-reader users reach the columns off screen.
 */
export function scrollRegion(label: string, extraClass = '') {
  return {
    className: `overflow-x-auto focus-visible:outline-2 focus-visible:outline-emerald-500 ${extraClass}`,
    tabIndex: 0,
    role: 'region',
    'aria-label': label,
  } as const;
}

export type Column = string | { label: string; srOnly?: boolean; align?: 'left' | 'right' };

export function TableHead({
  columns,
  cellClass = th,
}: {
  columns: readonly Column[];
  /** Classes for every header cell (padding, weight); alignment comes from the column. */
  cellClass?: string;
}) {
  return (
    <thead>
      <tr className="border-b border-slate-200 dark:border-slate-800">
        {columns.map((c) => {
          const col = typeof c === 'string' ? { label: c } : c;
          const align = 'align' in col && col.align === 'right' ? ' text-right' : ' text-left';
          return (
            <th key={col.label} scope="col" className={cellClass + align}>
              {'srOnly' in col && col.srOnly ? (
                <span className="sr-only">{col.label}</span>
              ) : (
                col.label
              )}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
