// Proves the SSE parser yields the server's events whole, however the stream is chunked.
import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.parser.js';

const stream =
  'event: reading\ndata: {"type":"reading","power_w":412}\n\n' +
  ': keep-alive\n\n' +
  'event: estimate\ndata: {"a":1}\n\n';

describe('SseParser', () => {
  it('parses named events and skips comments', () => {
    const p = new SseParser();
    expect(p.push(stream)).toEqual([
      { event: 'reading', data: '{"type":"reading","power_w":412}' },
      { event: 'estimate', data: '{"a":1}' },
    ]);
  });

  it('gives the same events when fed one character at a time', () => {
    const p = new SseParser();
    const got = [...stream].flatMap((c) => p.push(c));
    expect(got.map((e) => e.event)).toEqual(['reading', 'estimate']);
    expect(got[0]?.data).toBe('{"type":"reading","power_w":412}');
  });

  it('joins multi-line data, handles CRLF split across chunks, defaults the name', () => {
    const p = new SseParser();
    expect(p.push('data: one\r')).toEqual([]);
    expect(p.push('\ndata:two\r\n\r\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('does not dispatch an event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: reading\ndata: {}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'reading', data: '{}' }]);
  });

  it('keeps the last id and ignores events with no data', () => {
    const p = new SseParser();
    expect(p.push('event: ping\n\nid: 7\ndata: x\n\n')).toEqual([
      { event: 'message', data: 'x', id: '7' },
    ]);
  });
});
