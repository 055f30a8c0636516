// Proves the Meters panel: it lists a building's sources with type, role, signed last value (export in words) and its phases, "12 s ago" and the last error with its code, and reads them again every few seconds; the add form sends the type, name, role and the settings typed into its fields (or written as JSON for the other types), tells an MQTT meter's owner what to set on the device, and shows the server's 422 beside the setting it names (a field, the JSON editor, or the type); a source is deleted only after confirming; a sub-meter (a smart plug) is added with the appliance it measures and listed as such; in German the panel and the meter catalogue's words read German.
import type { IngestInfo, Source, SourceList } from '@nilm/contracts';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import { renderWithApi, type Answer, type Routes } from '../test/api.fixture.js';
import { MetersPanel } from './meters.panel.js';

const NOW = Date.UTC(2026, 0, 2, 12, 0, 0);
beforeEach(() => {
  // Only the clock is fixed: timers stay real, so the panel's refresh still runs.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const ago = (ms: number) => new Date(NOW - ms).toISOString();
const source = (over: Partial<Source> & Pick<Source, 'id' | 'name' | 'type'>): Source => ({
  building_id: 'home',
  role: 'mains',
  transport: 'mqtt',
  settings: {},
  created_at: '2026-01-01T00:00:00.000Z',
  status: {
    last_value_w: null,
    last_seen: null,
    last_error: null,
    last_error_code: null,
    last_error_at: null,
  },
  ...over,
});

const shelly = source({
  id: 'src_1',
  name: 'Pro 3EM',
  type: 'shelly-gen2',
  settings: { topic: 'shellypro3em-abc/status/em:0' },
  status: {
    last_value_w: -543.2,
    last_phases_w: [-676.2, 133, 0],
    last_seen: ago(12_000),
    last_error: 'the home exports and its production is unknown: add a production source',
    last_error_code: 'SOURCE_CONSUMPTION_UNKNOWN',
    last_error_at: ago(5 * 60_000),
  },
});
const p1 = source({
  id: 'src_2',
  name: 'HomeWizard',
  type: 'homewizard-p1',
  transport: 'http',
  settings: { url: 'http://p1.lan', interval_s: 10 },
  status: {
    last_value_w: 1830,
    last_seen: ago(3_000),
    last_error: null,
    last_error_code: null,
    last_error_at: null,
  },
});

const info: IngestInfo = {
  http: {
    method: 'POST',
    path: '/api/v1/ingest',
    token_header: 'X-Ingest-Token',
    max_readings: 10_000,
  },
  mqtt: {
    enabled: true,
    broker: 'embedded',
    url: 'mqtt://energy.lan:1884',
    host: 'energy.lan',
    port: 1884,
    tls: false,
    websocket: false,
    topic_pattern: 'nilm/+/power',
    auth: 'broker_login',
    loopback_only: false,
    max_readings_per_message: 10_000,
  },
};

/** A 422 as the sources route sends it: the type's message, and the setting it names. */
function refused(message: string, setting: string): Answer {
  return {
    status: 422,
    body: {
      error: {
        code: 'VALIDATION_FAILED',
        message,
        details: { code: 'SOURCE_SETTING_INVALID', setting },
      },
      request_id: 'req_test',
    },
  };
}

function show(extra: Routes = {}, list: SourceList = { sources: [shelly, p1] }) {
  return renderWithApi(
    '/b/home/settings',
    '/b/:buildingId/settings',
    <MetersPanel buildingId="home" />,
    {
      'GET /api/v1/buildings/home/sources': { body: list },
      'GET /api/v1/ingest/info': { body: info },
      ...extra,
    },
  );
}

const form = () => screen.findByRole('form', { name: 'Add a meter' });
const posted = (sent: ReturnType<typeof show>) =>
  sent.filter((r) => r.method === 'POST').map((r) => r.body);

it('lists each meter with its type, role, signed last value, last seen and last error', async () => {
  show();
  const row = (await screen.findByRole('rowheader', { name: 'Pro 3EM' })).closest('tr')!;
  const cells = within(row).getAllByRole('cell');
  expect(cells[0]).toHaveTextContent('Shelly Pro 3EM, 3EM Gen3, Pro EM, EM Gen3shelly-gen2');
  expect(cells[1]).toHaveTextContent('Mains');
  // A three-phase meter shows each phase, signed (export negative), beside the total.
  expect(cells[2]).toHaveTextContent('543 W exportL1 -676 W, L2 133 W, L3 0 W');
  expect(cells[3]).toHaveTextContent('12 s ago');
  expect(cells[4]).toHaveTextContent(
    'SOURCE_CONSUMPTION_UNKNOWNthe home exports and its production is unknown: add a production source5 min ago',
  );
  const other = screen.getByRole('rowheader', { name: 'HomeWizard' }).closest('tr')!;
  expect(within(other).getByText('1.83 kW import')).toBeInTheDocument();
  expect(within(other).getByText('3 s ago')).toBeInTheDocument();
  expect(within(other).getByText('None')).toBeInTheDocument();
});

it('reads the status again every few seconds', async () => {
  let calls = 0;
  show({
    'GET /api/v1/buildings/home/sources': () => {
      calls += 1;
      const later = { ...p1, status: { ...p1.status, last_value_w: calls > 1 ? -250 : 1830 } };
      return { body: { sources: [later] } };
    },
  });
  expect(await screen.findByText('1.83 kW import')).toBeInTheDocument();
  expect(await screen.findByText('250 W export', {}, { timeout: 5000 })).toBeInTheDocument();
});

it('says so when there are no meters yet', async () => {
  show({}, { sources: [] });
  expect(await screen.findByText(/No meters yet/)).toBeInTheDocument();
});

it('adds a Shelly with the settings typed into its fields and says what to set on the device', async () => {
  const sent = show({
    'POST /api/v1/buildings/home/sources': (body) => ({
      status: 201,
      body: source({ id: 'src_3', name: 'Hall', type: 'shelly-gen2', ...(body as object) }),
    }),
  });
  const f = await form();
  const type = within(f).getByLabelText('Meter type');
  expect(type).toHaveValue('shelly-gen2');
  // Grouped by how readings arrive.
  expect([...type.querySelectorAll('optgroup')].map((g) => g.getAttribute('label'))).toEqual([
    'MQTT devices',
    'Polled on the local network',
    'Line protocol',
    'Home Assistant',
  ]);
  fireEvent.change(within(f).getByLabelText('Meter name'), { target: { value: ' Hall ' } });
  fireEvent.change(within(f).getByLabelText('What it measures'), {
    target: { value: 'production' },
  });
  fireEvent.change(within(f).getByLabelText('Topic'), {
    target: { value: 'shellypro3em-e2e/status/em:0' },
  });
  const line = await within(f).findByText(/On the device, set MQTT server/);
  expect(line).toHaveTextContent(
    'On the device, set MQTT server energy.lan, port 1884, user name home (this building’s id), password a device token of this building (create one under Device tokens); it publishes on shellypro3em-e2e/status/em:0.',
  );
  expect(within(f).getByText(/Generic status update over MQTT/)).toBeInTheDocument();

  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  await waitFor(() =>
    expect(posted(sent)).toEqual([
      {
        type: 'shelly-gen2',
        name: 'Hall',
        role: 'production',
        settings: { topic: 'shellypro3em-e2e/status/em:0' },
      },
    ]),
  );
  expect(await within(f).findByText('Added “Hall”.')).toBeInTheDocument();
  // The list is read again after the change.
  await waitFor(() =>
    expect(sent.filter((r) => r.path === '/api/v1/buildings/home/sources')).toHaveLength(3),
  );
  expect(within(f).getByLabelText('Topic')).toHaveValue('');
});

it("shows the server's 422 beside the setting it names", async () => {
  const message = "topic: is not a valid MQTT topic filter: it has '#' before the last level";
  const sent = show({ 'POST /api/v1/buildings/home/sources': refused(message, 'topic') });
  const f = await form();
  const topic = within(f).getByLabelText('Topic');
  fireEvent.change(topic, { target: { value: 'shelly/#/em:0' } });
  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  await waitFor(() => expect(topic).toHaveAttribute('aria-invalid', 'true'));
  expect(topic).toHaveAccessibleDescription(expect.stringContaining(message) as string);
  expect(within(f).getByRole('alert')).toHaveTextContent(message);
  expect(posted(sent)).toEqual([
    { type: 'shelly-gen2', role: 'mains', settings: { topic: 'shelly/#/em:0' } },
  ]);
});

it('shows a 422 on a nested line-protocol setting at the field that holds it', async () => {
  const message =
    "power: is required (or import and export, or phases), e.g. { measurement: 'Mains' }";
  const sent = show({ 'POST /api/v1/buildings/home/sources': refused(message, 'power') });
  const f = await form();
  fireEvent.change(within(f).getByLabelText('Meter type'), {
    target: { value: 'line-protocol' },
  });
  expect(within(f).getByLabelText('Field')).toHaveValue('value');
  fireEvent.change(within(f).getByLabelText('Timestamp precision'), { target: { value: 's' } });
  expect(within(f).getByTestId('meter-connection')).toHaveTextContent(
    `${window.location.origin}/api/v1/write`,
  );
  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  const measurement = within(f).getByLabelText('Measurement');
  await waitFor(() => expect(measurement).toHaveAttribute('aria-invalid', 'true'));
  expect(measurement).toHaveAccessibleDescription(expect.stringContaining(message) as string);
  expect(posted(sent)[0]).toEqual({
    type: 'line-protocol',
    role: 'mains',
    settings: { power: { field: 'value' }, precision: 's' },
  });
});

it('edits the other types as JSON, starting from an example, and shows their 422 beside the editor', async () => {
  const message = "unit: must be one of 'W', 'kW'";
  const sent = show({ 'POST /api/v1/buildings/home/sources': refused(message, 'unit') });
  const f = await form();
  fireEvent.change(within(f).getByLabelText('Meter type'), { target: { value: 'esphome' } });
  const editor = within(f).getByLabelText('Settings (JSON)');
  expect(JSON.parse((editor as HTMLTextAreaElement).value)).toEqual({
    topic: 'vue2/sensor/total_power/state',
    unit: 'W',
  });
  fireEvent.change(editor, {
    target: { value: '{"topic": "vue/sensor/total_power/state", "unit": "watts"}' },
  });
  expect(within(f).getByTestId('meter-connection')).toHaveTextContent(
    'it publishes on vue/sensor/total_power/state',
  );
  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  await waitFor(() => expect(editor).toHaveAttribute('aria-invalid', 'true'));
  expect(editor).toHaveAccessibleDescription(message);
  expect(posted(sent)).toEqual([
    {
      type: 'esphome',
      role: 'mains',
      settings: { topic: 'vue/sensor/total_power/state', unit: 'watts' },
    },
  ]);
});

it('refuses settings that are not a JSON object without asking the server', async () => {
  const sent = show();
  const f = await form();
  fireEvent.change(within(f).getByLabelText('Meter type'), { target: { value: 'glow' } });
  const editor = within(f).getByLabelText('Settings (JSON)');
  fireEvent.change(editor, { target: { value: '{"topic": ' } });
  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  expect(await within(f).findByRole('alert')).toHaveTextContent(
    /^The settings are not valid JSON: /,
  );
  fireEvent.change(editor, { target: { value: '["glow/#"]' } });
  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  expect(await within(f).findByRole('alert')).toHaveTextContent(
    'The settings must be a JSON object',
  );
  expect(posted(sent)).toEqual([]);
});

it('can send a form type as JSON, with what the fields held', async () => {
  const sent = show({
    'POST /api/v1/buildings/home/sources': { status: 201, body: p1 },
  });
  const f = await form();
  fireEvent.change(within(f).getByLabelText('Meter type'), {
    target: { value: 'homewizard-p1' },
  });
  fireEvent.change(within(f).getByLabelText('Address on your network'), {
    target: { value: 'http://p1.lan' },
  });
  expect(within(f).getByTestId('meter-connection')).toHaveTextContent(
    'must be reachable from the computer the server runs on',
  );
  fireEvent.click(within(f).getByLabelText(/Edit all settings as JSON/));
  const editor = within(f).getByLabelText('Settings (JSON)');
  expect(JSON.parse((editor as HTMLTextAreaElement).value)).toEqual({
    url: 'http://p1.lan',
    interval_s: 10,
  });
  fireEvent.change(editor, { target: { value: '{"url": "http://p1.lan", "interval_s": 2}' } });
  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  await waitFor(() =>
    expect(posted(sent)).toEqual([
      {
        type: 'homewizard-p1',
        role: 'mains',
        settings: { url: 'http://p1.lan', interval_s: 2 },
      },
    ]),
  );
});

it('deletes a meter only after confirming', async () => {
  const sent = show({ 'DELETE /api/v1/buildings/home/sources/src_1': { status: 204 } });
  fireEvent.click(await screen.findByRole('button', { name: 'Delete meter Pro 3EM' }));
  const dialog = await screen.findByRole('dialog', { name: 'Delete “Pro 3EM”?' });
  expect(sent.some((r) => r.method === 'DELETE')).toBe(false);
  fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
  await waitFor(() =>
    expect(sent.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      '/api/v1/buildings/home/sources/src_1',
    ]),
  );
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
});

const plug = source({
  id: 'src_9',
  name: 'Fridge plug',
  type: 'json',
  role: 'submeter',
  appliance: 'fridge',
  status: {
    last_value_w: 92.4,
    last_seen: ago(2_000),
    last_error: null,
    last_error_code: null,
    last_error_at: null,
  },
});

it('adds a sub-meter with the appliance it measures, and lists it as that appliance’s', async () => {
  const sent = show(
    {
      'POST /api/v1/buildings/home/sources': (body) => ({
        status: 201,
        body: source({ id: 'src_3', name: 'Plug', type: 'json', ...(body as object) }),
      }),
    },
    { sources: [shelly, plug] },
  );
  const row = (await screen.findByRole('rowheader', { name: 'Fridge plug' })).closest('tr')!;
  expect(within(row).getAllByRole('cell')[1]).toHaveTextContent('Sub-meter: Fridge');
  expect(within(row).getAllByRole('cell')[2]).toHaveTextContent('92 W');
  const f = await form();
  fireEvent.change(within(f).getByLabelText('What it measures'), {
    target: { value: 'submeter' },
  });
  fireEvent.change(within(f).getByLabelText('The appliance it measures'), {
    target: { value: 'washing_machine' },
  });
  fireEvent.change(within(f).getByLabelText('Meter name'), { target: { value: 'Plug' } });
  fireEvent.click(within(f).getByRole('button', { name: 'Add meter' }));
  await waitFor(() =>
    expect(posted(sent)).toEqual([
      expect.objectContaining({
        name: 'Plug',
        role: 'submeter',
        appliance: 'washing_machine',
      }),
    ]),
  );
});

it('speaks German', async () => {
  await showLanguage('de');
  try {
    show({}, { sources: [plug] });
    const row = (await screen.findByRole('rowheader', { name: 'Fridge plug' })).closest('tr')!;
    expect(within(row).getAllByRole('cell')[1]).toHaveTextContent('Zwischenzähler: Kühlschrank');
    const f = await screen.findByRole('form', { name: 'Zähler hinzufügen' });
    expect(
      within(f).getByRole('option', { name: 'Zwischenzähler (ein Gerät)' }),
    ).toBeInTheDocument();
    // The meter catalogue's words too: groups, field labels and hints, what to set on the device.
    expect(within(f).getByRole('group', { name: 'MQTT-Geräte' })).toBeInTheDocument();
    expect(within(f).getByLabelText('Topic')).toBeInTheDocument();
    expect(within(f).getByText(/^Die Geräte-ID \(MQTT-Präfix\)/)).toBeInTheDocument();
    expect(
      within(f).getByText(/^Auf der Webseite des Shelly unter Einstellungen/),
    ).toBeInTheDocument();
  } finally {
    await showLanguage('en');
  }
});
