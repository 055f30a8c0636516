/**
 * HTTP caching for history: a weak ETag from the answer's content, and 304 Not Modified when the
 * client's If-None-Match holds it. Derived from the content, it changes exactly when the answer
 * would (a re-estimated or re-imported span gives other numbers), in every process, with no
 * cache to invalidate. Only ranges that ended before now get one: an open range changes with
 * every reading.
 */
import { createHash } from 'node:crypto';

/** The weak ETag of a JSON answer. */
export function etagOf(body: unknown): string {
  const digest = createHash('sha1').update(JSON.stringify(body)).digest('base64url');
  return `W/"${digest}"`;
}

/** Whether an If-None-Match header names `etag` (weak comparison; `*` matches anything). */
export function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (t: string): string => t.trim().replace(/^W\//, '');
  const want = strip(etag);
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === want);
}
