// Proves the labels panel lists the building's labels in words with their spans, lets an owner
// delete one and add one with the keyboard (start, end, appliance, and "This was it" / "Nothing
// of it here", sent as ISO times with the kind), shows the API's refusal as it says it, says what
// is missing before sending, hides the owner's tools from a member, and speaks German; the dialog
// a drag on the chart opens starts from the dragged span.
import type { Label } from '@nilm/contracts';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import { apiError, renderWithApi, type Answer, type Routes } from '../test/api.fixture.js';
import { LabelDialog, LabelsPanel, fromLocalInput, toLocalInput } from './labels.panel.js';

afterEach(async () => {
  vi.unstubAllGlobals();
  await showLanguage('en');
});

const label: Label = {
  id: 'l1',
  building_id: 'home',
  appliance: 'electric_shower',
  kind: 'off',
  start: '2026-01-01T00:00:00.000Z',
  end: '2026-01-03T00:00:00.000Z',
  note: null,
  created_by: 'me',
  created_at: '2026-01-04T00:00:00.000Z',
};

const routes = (post: Answer<Label> = { status: 201, body: label }) =>
  ({
    'GET /api/v1/buildings/home/labels': { body: { labels: [label] } },
    'DELETE /api/v1/buildings/home/labels/l1': { status: 204 },
    'POST /api/v1/buildings/home/labels': post,
  }) satisfies Routes;

it('lists labels in words, and lets an owner delete one', async () => {
  const sent = renderWithApi('/', '/', <LabelsPanel buildingId="home" canEdit />, routes());
  const list = await screen.findByRole('list', { name: 'Labels' });
  expect(within(list).getByText('Nothing of Electric shower here')).toBeInTheDocument();
  fireEvent.click(
    screen.getByRole('button', { name: /^Delete label: Nothing of Electric shower/ }),
  );
  fireEvent.click(
    within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete' }),
  );
  await waitFor(() => expect(sent.some((r) => r.method === 'DELETE')).toBe(true));
});

it('adds a label from the keyboard form with ISO times and the kind of the button pressed', async () => {
  const sent = renderWithApi('/', '/', <LabelsPanel buildingId="home" canEdit />, routes());
  const form = await screen.findByRole('form', { name: 'Add a label' });
  fireEvent.click(within(form).getByRole('button', { name: 'Nothing of it here' }));
  expect(within(form).getByRole('alert')).toHaveTextContent('Give a start and an end.');
  fireEvent.change(within(form).getByLabelText('From'), { target: { value: '2026-01-05T08:00' } });
  fireEvent.change(within(form).getByLabelText('To'), { target: { value: '2026-01-05T09:30' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Nothing of it here' }));
  expect(within(form).getByRole('alert')).toHaveTextContent('Choose the appliance.');
  fireEvent.change(within(form).getByLabelText('Appliance'), { target: { value: 'kettle' } });
  fireEvent.click(within(form).getByRole('button', { name: 'This was it' }));
  await waitFor(() =>
    expect(sent.find((r) => r.method === 'POST')?.body).toEqual({
      appliance: 'kettle',
      kind: 'on',
      start: new Date('2026-01-05T08:00').toISOString(),
      end: new Date('2026-01-05T09:30').toISOString(),
    }),
  );
});

it("shows the API's refusal as it says it", async () => {
  renderWithApi(
    '/',
    '/',
    <LabelsPanel buildingId="home" canEdit />,
    routes(apiError(409, 'CONFLICT', 'it contradicts a label already there')),
  );
  const form = await screen.findByRole('form', { name: 'Add a label' });
  fireEvent.change(within(form).getByLabelText('From'), { target: { value: '2026-01-01T08:00' } });
  fireEvent.change(within(form).getByLabelText('To'), { target: { value: '2026-01-01T09:00' } });
  fireEvent.change(within(form).getByLabelText('Appliance'), {
    target: { value: 'electric_shower' },
  });
  fireEvent.click(within(form).getByRole('button', { name: 'This was it' }));
  expect(await within(form).findByRole('alert')).toHaveTextContent(
    'it contradicts a label already there',
  );
});

it('shows a member the labels only', async () => {
  renderWithApi('/', '/', <LabelsPanel buildingId="home" canEdit={false} />, routes());
  await screen.findByRole('list', { name: 'Labels' });
  expect(screen.queryByRole('button', { name: /^Delete label/ })).toBeNull();
  expect(screen.queryByRole('form', { name: 'Add a label' })).toBeNull();
  expect(screen.getByText('Owners add and delete labels.')).toBeInTheDocument();
});

it('opens the dialog of a dragged span with its times filled in', async () => {
  const from = Date.parse('2026-01-05T10:00:00Z');
  renderWithApi(
    '/',
    '/',
    <LabelDialog buildingId="home" span={{ from, to: from + 3_600_000 }} onClose={() => {}} />,
    routes(),
  );
  const dialog = await screen.findByRole('dialog', { name: 'Label this span' });
  expect(within(dialog).getByLabelText('From')).toHaveValue(toLocalInput(from));
  expect(fromLocalInput(toLocalInput(from))).toBe('2026-01-05T10:00:00.000Z');
});

it('speaks German', async () => {
  await showLanguage('de');
  renderWithApi('/', '/', <LabelsPanel buildingId="home" canEdit />, routes());
  expect(await screen.findByText('Nichts von Durchlauferhitzer (Dusche) hier')).toBeInTheDocument();
  expect(
    screen.getByRole('button', { name: 'Markierungen exportieren (CSV)' }),
  ).toBeInTheDocument();
});
