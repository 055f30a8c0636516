/** The shape every translation has: the English catalogue's keys, each with a string. */
import type { en } from './en.catalogue.js';

type Strings<T> = { [K in keyof T]: T[K] extends string ? string : Strings<T[K]> };

/** A translation of the English catalogue: exactly its keys (tsc rejects a missing or extra one). */
export type Catalogue = Strings<typeof en>;
