/**
 * Turning raw payload bytes into text, JSON or a plain number, with a coded error instead of an
 * exception for anything malformed. Pure; no I/O.
 */
import { numberFrom } from './reading.rules.js';
import { type Outcome, ok, unparseable } from './source.errors.js';

/** What an MQTT client hands over (a Buffer is a Uint8Array) or an HTTP body as text. */
export type Payload = string | Uint8Array;

const MAX_PAYLOAD_BYTES = 256 * 1024;

/** The payload as UTF-8 text; invalid UTF-8 and oversized payloads are refused. */
export function payloadText(payload: Payload): Outcome<string> {
  if (typeof payload === 'string') {
    if (payload.length > MAX_PAYLOAD_BYTES)
      return unparseable('the payload is larger than 256 KiB');
    return ok(payload.replace(/^\uFEFF/, ''));
  }
  if (payload.byteLength > MAX_PAYLOAD_BYTES)
    return unparseable('the payload is larger than 256 KiB');
  try {
    return ok(new TextDecoder('utf-8', { fatal: true }).decode(payload).replace(/^\uFEFF/, ''));
  } catch {
    return unparseable('the payload is not valid UTF-8 text');
  }
}

/** The payload parsed as JSON (any value). */
export function payloadJson(payload: Payload): Outcome<unknown> {
  const text = payloadText(payload);
  if (!text.ok) return text;
  try {
    return ok(JSON.parse(text.value) as unknown);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return unparseable(`the payload is not valid JSON (${why})`);
  }
}

/** The payload parsed as a JSON object (not an array or a scalar). */
export function payloadObject(payload: Payload): Outcome<Record<string, unknown>> {
  const json = payloadJson(payload);
  if (!json.ok) return json;
  if (!isObject(json.value)) return unparseable('the payload is JSON but not an object');
  return ok(json.value);
}

/** The payload as one plain number ('313', '-8.40', '0.143\n'). */
export function payloadNumber(payload: Payload): Outcome<number> {
  const text = payloadText(payload);
  if (!text.ok) return text;
  const n = numberFrom(text.value);
  if (n === undefined) {
    const shown = text.value.length > 40 ? `${text.value.slice(0, 40)}…` : text.value;
    return unparseable(`the payload '${shown}' is not a plain number`);
  }
  return ok(n);
}

/** Whether a JSON value is a plain object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
