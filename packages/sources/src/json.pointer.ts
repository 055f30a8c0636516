/**
 * JSON Pointer (RFC 6901): '' is the whole document, '/a/b' walks object members and array
 * indices, '~1' stands for '/' and '~0' for '~' inside a token. Pure; no I/O.
 */

/** Why a pointer is not valid RFC 6901, or undefined when it is. */
export function jsonPointerProblem(pointer: string): string | undefined {
  if (pointer === '') return undefined;
  if (!pointer.startsWith('/')) return "must be empty or start with '/' (as in '/ENERGY/Power')";
  if (/~[^01]|~$/.test(pointer)) return "may use '~' only as '~0' (for ~) or '~1' (for /)";
  return undefined;
}

/** The reference tokens of a valid pointer, unescaped. */
export function jsonPointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The value a valid pointer refers to, or undefined when the document has no such member.
 * Array indices are decimal without leading zeros ('-' names no element when reading).
 */
export function resolveJsonPointer(document: unknown, pointer: string): unknown {
  let node: unknown = document;
  for (const token of jsonPointerTokens(pointer)) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (node !== null && typeof node === 'object') {
      if (!Object.prototype.hasOwnProperty.call(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return node;
}
