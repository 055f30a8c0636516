// Test support for uploads, which the API client sends with XMLHttpRequest (for progress
// events): a stand-in the test drives. Stub it with `vi.stubGlobal('XMLHttpRequest', FakeXhr)`;
// every request sent lands in `FakeXhr.sent` (clear it after each test) with its method, URL,
// headers and body, and the test answers it with `respond`, reports progress or aborts.
import { act } from 'react';

/** A stand-in for XMLHttpRequest that the test drives: progress, answer, abort. */
export class FakeXhr {
  static sent: FakeXhr[] = [];
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  statusText = '';
  responseText = '';
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k.toLowerCase()] = v;
  }
  send(body: unknown) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  abort() {
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ loaded, total, lengthComputable: true } as ProgressEvent));
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    act(() => this.onload?.());
  }
}
