// Proves the English, German and Dutch catalogues have exactly the same keys, none empty, each
// with the same {{placeholders}} (a singular may spell out its count); that every key is used by the dashboard's source (none left
// over); and that the start-up language follows the stored choice, then the browser's preference.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { de } from './de.catalogue.js';
import { en } from './en.catalogue.js';
import { initialLanguage, localeFor } from './i18n.setup.js';
import { nl } from './nl.catalogue.js';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

const english = flatten(en);

describe.each([
  ['de', de],
  ['nl', nl],
])('the %s catalogue', (_code, catalogue) => {
  const translated = flatten(catalogue);

  it('has every English key and no other', () => {
    expect([...translated.keys()].filter((k) => !english.has(k))).toEqual([]);
    expect([...english.keys()].filter((k) => !translated.has(k))).toEqual([]);
  });

  it('fills in the same placeholders as English, and leaves no text empty', () => {
    for (const [key, text] of translated) {
      expect(text.trim(), key).not.toBe('');
      // A singular may say "one day" or "the last day" in words instead of {{count}}.
      const drop = (names: string[]) =>
        key.endsWith('_one') ? names.filter((n) => n !== 'count') : names;
      expect(drop(placeholders(text)), key).toEqual(drop(placeholders(english.get(key) ?? '')));
    }
  });
});

/** Every source file of the dashboard except tests and the language catalogues (en, de, nl) themselves. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    if (
      !/\.tsx?$/.test(name) ||
      /\.test\.tsx?$/.test(name) ||
      /^[a-z]{2}\.catalogue\.ts$/.test(name)
    )
      return [];
    return [readFileSync(path, 'utf8')];
  });
}

describe('the English catalogue', () => {
  const code = sources(join(import.meta.dirname, '..')).join('\n');
  // Keys built at run time (`appliance.${name}`) count as used by their written prefix.
  const dynamicPrefixes = [...code.matchAll(/`([a-zA-Z]+(?:\.[a-zA-Z]+)*\.)\$\{/g)].map(
    (m) => m[1]!,
  );

  it('has no key that the source never uses', () => {
    const unused = [...english.keys()]
      .map((k) => k.replace(/_(one|other)$/, ''))
      .filter((k) => !new RegExp(`['"\`]${k.replace(/\./g, '\\.')}['"\`]`).test(code))
      .filter((k) => !dynamicPrefixes.some((p) => k.startsWith(p)));
    expect(unused).toEqual([]);
  });

  it('has a text for every key built at run time (each prefix names a group of keys)', () => {
    for (const p of dynamicPrefixes)
      expect(
        [...english.keys()].some((k) => k.startsWith(p)),
        p,
      ).toBe(true);
  });
});

describe('the start-up language', () => {
  it('is the one chosen before, whatever the browser prefers', () => {
    expect(initialLanguage('nl', ['de-DE', 'en'])).toBe('nl');
  });

  it("is else the browser's first preferred language the dashboard speaks", () => {
    expect(initialLanguage(null, ['fr-FR', 'de-AT', 'nl'])).toBe('de');
    expect(initialLanguage('klingon', ['NL-be'])).toBe('nl');
  });

  it('is English when the browser prefers none of them', () => {
    expect(initialLanguage(null, ['fr-FR', 'es'])).toBe('en');
    expect(initialLanguage(null, [])).toBe('en');
  });

  it("writes numbers and dates in the browser's variant of the language, if it has one", () => {
    expect(localeFor('en', ['en-GB', 'de'])).toBe('en-GB');
    expect(localeFor('de', ['en-GB', 'de-AT'])).toBe('de-AT');
    expect(localeFor('nl', ['en-GB'])).toBe('nl');
  });
});
