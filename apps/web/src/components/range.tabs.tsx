/** A segmented control (Radix Tabs) to pick a time range or period; keyboard-navigable. */
import * as Tabs from '@radix-ui/react-tabs';

export function Segmented<T extends string>({
  label,
  value,
  options,
  optionLabel = (o) => o,
  onChange,
}: {
  label: string;
  value: T;
  options: readonly T[];
  /** What each option reads as (in the language shown); the value itself by default. */
  optionLabel?: (o: T) => string;
  onChange: (v: T) => void;
}) {
  return (
    <Tabs.Root value={value} onValueChange={(v) => onChange(v as T)}>
      <Tabs.List
        aria-label={label}
        className="inline-flex rounded-lg bg-slate-100 p-0.5 dark:bg-slate-800"
      >
        {options.map((o) => (
          <Tabs.Trigger
            key={o}
            value={o}
            // The control changes the view below; there is no tab panel for it to point at.
            aria-controls={undefined}
            className="rounded-md px-3 py-1 text-sm font-medium text-slate-600 focus-visible:outline-2 focus-visible:outline-emerald-500 data-[state=active]:bg-white data-[state=active]:text-slate-900 data-[state=active]:shadow dark:text-slate-300 dark:data-[state=active]:bg-slate-950 dark:data-[state=active]:text-white"
          >
            {optionLabel(o)}
          </Tabs.Trigger>
        ))}
      </Tabs.List>
    </Tabs.Root>
  );
}
