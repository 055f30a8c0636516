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
  return etagOfText(JSON.stringify(body));
}

/**
 * The weak ETag of an answer already serialised: of the bytes that go out, so an answer sent
 * from the readings cache and one computed afresh carry the same tag in every process.
 */
export function etagOfText(text: string | Buffer): string {
  return `W/"${createHash('sha1').update(text).digest('base64url')}"`;
}

/** Whether an If-None-Match header names `etag` (weak comparison; `*` matches anything). */
export function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (t: string): string => t.trim().replace(/^W\//, '');
  const want = strip(etag);
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === want);
}
