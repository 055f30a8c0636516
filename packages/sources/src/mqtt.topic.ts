/**
 * MQTT topic filters as MQTT 3.1.1 / 5 define them (section 4.7): levels split on '/', '+'
 * matches exactly one level, '#' (last, alone in its level) matches the parent level and any
 * number of levels below it, and wildcards at the first level never match topics starting with
 * '$' (broker-internal topics such as $SYS). Pure; no I/O.
 */

/** Why a topic filter is not valid, or undefined when it is. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'must not be empty';
  if (filter.includes('\u0000')) return 'must not contain the NUL character';
  if (new TextEncoder().encode(filter).length > 65_535) return 'is longer than 65535 bytes';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "may use '#' only as the whole last level (as in 'shellies/#')";
    }
    if (level.includes('+') && level !== '+') {
      return "may use '+' only as a whole level (as in 'shellies/+/emeter/0/power')";
    }
  }
  return undefined;
}

/** Why a topic name (what a client publishes to) is not valid, or undefined when it is. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'must not be empty';
  if (topic.includes('\u0000')) return 'must not contain the NUL character';
  if (topic.includes('+') || topic.includes('#')) return 'must not contain wildcards';
  return undefined;
}

/** Whether a published topic matches a (valid) filter. Invalid topic names never match. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topicNameProblem(topic) !== undefined) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true; // matches the parent and everything below
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The last level of a topic ('power' for 'shellies/x/emeter/0/power'). */
export function lastLevel(topic: string): string {
  const i = topic.lastIndexOf('/');
  return i < 0 ? topic : topic.slice(i + 1);
}
