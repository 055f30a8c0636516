/** A table's header row, so every table names its columns the same way. */
import { th } from './form.helpers.js';

/** A column: its name, and whether the name is for screen readers only (e.g. "Actions"). */
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
