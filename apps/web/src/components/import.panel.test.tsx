// Proves the history import: the chosen CSV goes as the body (text/csv, with the session's token) to POST /buildings/{id}/import with the chosen layout and unit, upload progress shows as a progress line and then "importing", the answer shows the count, the span and skipped rows; a 422 shows the server's message naming the line; a cancelled upload says so.
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { renderWithApi } from '../test/api.fixture.js';
import { FakeXhr } from '../test/xhr.fixture.js';
import { ImportPanel, formatBytes } from './import.panel.js';

afterEach(() => {
  FakeXhr.sent = [];
  vi.unstubAllGlobals();
});

const CSV = 'time,power\n2024-03-01T00:00:00Z,412.5\n2024-03-01T00:01:00Z,\n';

async function chooseAndUpload(format: string, unit: string) {
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  renderWithApi(
    '/b/home/settings',
    '/b/:buildingId/settings',
    <ImportPanel buildingId="home" />,
    {},
  );
  const form = await screen.findByRole('form', { name: 'Import a CSV recording' });
  const file = new File([CSV], 'meter.csv', { type: 'text/csv' });
  fireEvent.change(within(form).getByLabelText('CSV file'), { target: { files: [file] } });
  fireEvent.change(within(form).getByLabelText('Layout'), { target: { value: format } });
  fireEvent.change(within(form).getByLabelText('Power unit in the file'), {
    target: { value: unit },
  });
  fireEvent.click(within(form).getByRole('button', { name: 'Upload and import' }));
  await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
  return { xhr: FakeXhr.sent[0]!, file };
}

it('uploads the file with its layout and unit, shows progress, then what was imported', async () => {
  const { xhr, file } = await chooseAndUpload('time-power', 'kW');
  expect(xhr.method).toBe('POST');
  expect(xhr.url).toBe('/api/v1/buildings/home/import?format=time-power&unit=kW');
  expect(xhr.headers['content-type']).toBe('text/csv');
  expect(xhr.headers.authorization).toBe('Bearer t');
  expect(xhr.body).toBe(file);

  xhr.progress(2048, 8192);
  expect(screen.getByTestId('import-progress')).toHaveTextContent(
    'Uploading 25% (2.0 KB of 8.0 KB)',
  );
  expect(screen.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute(
    'value',
    '2048',
  );
  xhr.progress(8192, 8192);
  expect(screen.getByTestId('import-progress')).toHaveTextContent(
    'Uploaded; the server is importing the readings…',
  );
  expect(screen.getByRole('button', { name: 'Importing…' })).toBeDisabled();

  xhr.respond(200, {
    imported: 20160,
    start: '2024-03-01T00:00:00.000Z',
    end: '2024-03-14T23:59:00.000Z',
    skipped_missing: 3,
  });
  const status = await screen.findByRole('status');
  expect(status).toHaveTextContent(/^Imported 20,160 readings, from .+2024.+ to .+2024.+\./);
  expect(status).toHaveTextContent('3 rows without a power value were skipped.');
  expect(screen.queryByTestId('import-progress')).not.toBeInTheDocument();
});

it("shows the server's refusal, naming the line and the reason", async () => {
  const { xhr } = await chooseAndUpload('dataset', 'W');
  expect(xhr.url).toBe('/api/v1/buildings/home/import?format=dataset&unit=W');
  const message = 'line 3: power "abc" is not a number; fix the file and upload it again';
  xhr.respond(422, {
    error: { code: 'IMPORT_INVALID', message, details: { line: 3 } },
    request_id: 'req_1',
  });
  expect(await screen.findByRole('alert')).toHaveTextContent(message);
  expect(screen.getByRole('button', { name: 'Upload and import' })).toBeEnabled();
});

it('cancels an upload on request', async () => {
  const { xhr } = await chooseAndUpload('time-power', 'W');
  xhr.progress(100, 8192);
  fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
  expect(await screen.findByRole('status')).toHaveTextContent('Upload cancelled.');
});

it('writes sizes for people', () => {
  expect(formatBytes(812)).toBe('812 B');
  expect(formatBytes(1434)).toBe('1.4 KB');
  expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
});
