/**
 * A select of the appliance vocabulary (every type the API knows), each in the language shown;
 * the found devices, labels, sub-meters and fine-tune forms all pick from it.
 */
import { en } from '../i18n/en.catalogue.js';
import { applianceName } from '../lib/format.js';

/** The vocabulary's names (the catalogue's appliance keys, but `other`, which is no appliance). */
export const VOCABULARY: readonly string[] = Object.keys(en.appliance).filter((n) => n !== 'other');

export function AppliancePicker({
  id,
  value,
  onChange,
  names = VOCABULARY,
  empty,
  className,
}: {
  id: string;
  value: string;
  onChange: (name: string) => void;
  /** The names offered; the whole vocabulary unless given. */
  names?: readonly string[];
  /** A first option with the value '' (e.g. "no type"), when given. */
  empty?: string;
  className?: string;
}) {
  const sorted = [...names].sort((a, b) => applianceName(a).localeCompare(applianceName(b)));
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={className}>
      {empty !== undefined && <option value="">{empty}</option>}
      {sorted.map((n) => (
        <option key={n} value={n}>
          {applianceName(n)}
        </option>
      ))}
    </select>
  );
}
