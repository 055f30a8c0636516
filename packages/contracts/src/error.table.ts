/**
 * docs/api.md's error tables, rendered from the catalogue (error.catalogue.ts) between two marker
 * comments, so the documentation cannot drift from the codes: error.table.test.ts fails when the
 * file differs, and `npx tsx scripts/error-table.ts` writes it.
 */
import { ERROR_CATALOGUE, type ErrorEntry } from './error.catalogue.js';

/** The markers around the generated part of docs/api.md. */
export const ERROR_TABLE_START =
  '<!-- error-table:start (generated from packages/contracts/src/error.catalogue.ts) -->';
export const ERROR_TABLE_END = '<!-- error-table:end -->';

const RETRY_WORDS = {
  fix: 'change the request first',
  later: 'retry later',
  no: 'operator must act',
} as const;

const cell = (s: string): string =>
  s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function answerRow(e: ErrorEntry): string {
  return `| ${e.status} | \`${e.code}\` | ${RETRY_WORDS[e.retry]} | ${cell(e.message)} |`;
}

function causeRow(e: ErrorEntry): string {
  return `| \`${e.code}\` | \`${e.detail}\` | ${e.status} \`${e.answer}\` | ${RETRY_WORDS[e.retry]} | ${cell(e.message)} |`;
}

/** The Markdown between the markers: answers by status, then causes by the layer that throws them. */
export function renderErrorTables(): string {
  const answers = ERROR_CATALOGUE.filter((e) => e.detail === undefined).sort(
    (a, b) => a.status - b.status,
  );
  const causes = ERROR_CATALOGUE.filter((e) => e.detail !== undefined);
  return [
    '| status | code | retry | meaning |',
    '|---|---|---|---|',
    ...answers.map(answerRow),
    '',
    'A layer below the API throws a more precise code; the answer carries the code above and',
    'names the cause in `error.details`:',
    '',
    '| cause | in details | answered as | retry | meaning |',
    '|---|---|---|---|---|',
    ...causes.map(causeRow),
  ].join('\n');
}

/** `doc` with the part between the markers replaced by the rendered tables. */
export function withErrorTables(doc: string): string {
  const start = doc.indexOf(ERROR_TABLE_START);
  const end = doc.indexOf(ERROR_TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`the document has no "${ERROR_TABLE_START}" ... "${ERROR_TABLE_END}" markers`);
  return `${doc.slice(0, start + ERROR_TABLE_START.length)}\n${renderErrorTables()}\n${doc.slice(end)}`;
}
