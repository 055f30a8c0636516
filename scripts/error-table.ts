// Writes docs/api.md's error tables from the error catalogue (packages/contracts
// error.catalogue.ts): run `npx tsx scripts/error-table.ts` after changing a code.
// error.table.test.ts fails while the file and the catalogue differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withErrorTables } from '../packages/contracts/src/error.table.js';

const file = join(import.meta.dirname, '..', 'docs', 'api.md');
const before = readFileSync(file, 'utf8');
const after = withErrorTables(before);
if (after === before) console.log('docs/api.md: error tables already match the catalogue');
else {
  writeFileSync(file, after);
  console.log('docs/api.md: error tables written from the catalogue');
}
