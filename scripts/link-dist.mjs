// Runs after `tsc -b tsconfig.build.json` (npm run build:ts): makes the compiled packages load
// one another without a loader or a flag. Each workspace package exports its TypeScript sources
// (what tests, tsx and the type checker read) and, under the `@nilm/dist` condition, its dist/.
// Plain Node sets no such condition, so each dist/ gets a package.json that exports its own
// JavaScript, and each built package that depends on another gets
// dist/node_modules/@nilm/<name> linked to that one's dist/: Node looks there first when a file
// in dist/ imports `@nilm/<name>`.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const { references } = read(join(root, 'tsconfig.build.json'));
const dirs = references.map((r) => dirname(r.path));
const byName = new Map(dirs.map((dir) => [read(join(root, dir, 'package.json')).name, dir]));

for (const dir of dirs) {
  const pkg = read(join(root, dir, 'package.json'));
  const dist = join(root, dir, 'dist');
  if (!existsSync(dist)) throw new Error(`${dir}/dist is missing: run tsc -b tsconfig.build.json`);
  const exports = {};
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    const js = target?.['@nilm/dist']?.default;
    if (typeof js !== 'string' || !js.startsWith('./dist/'))
      throw new Error(
        `${dir}/package.json: exports["${key}"] names no ./dist/ file under "@nilm/dist"`,
      );
    exports[key] = `./${js.slice('./dist/'.length)}`;
  }
  writeFileSync(
    join(dist, 'package.json'),
    `${JSON.stringify({ name: pkg.name, type: 'module', exports }, null, 2)}\n`,
  );
  const links = join(dist, 'node_modules');
  rmSync(links, { recursive: true, force: true });
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const target = byName.get(name);
    if (target === undefined) continue;
    const link = join(links, name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(root, target, 'dist')), link, 'dir');
  }
}
