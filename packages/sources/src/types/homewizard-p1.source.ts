/**
 * `homewizard-p1`: a HomeWizard Wi-Fi P1 Meter (HWE-P1), or a HomeWizard kWh meter, polled on
 * its local API. `api: 'v1'` (the default): `GET /api/v1/data` over http (enable "Local API" in
 * the HomeWizard Energy app); `active_power_w` is the net power in watts, negative when
 * exporting, and `active_power_l1_w`..`active_power_l3_w` the phases. `api: 'v2'` (P1 firmware
 * 6.00 and later): `GET /api/measurement` over https with `Authorization: Bearer <token>` and
 * `X-Api-Version: 2`, the token made by `POST /api/user` after pressing the device's button;
 * `power_w` and `power_l1_w`..`power_l3_w`, signed the same way. The device's certificate is
 * signed by HomeWizard's own CA: give its PEM as `ca` to verify it (the host name is the
 * device's serial, not its address, so it is not checked); without `ca` the certificate is not
 * verified, as HomeWizard's own `curl --insecure` examples do. Data points the meter does not
 * provide are absent or null. See https://api-documentation.homewizard.com/docs/v1/measurement
 * and https://api-documentation.homewizard.com/docs/v2/measurement (HWE-P1).
 */
import { type Payload, payloadObject } from '../payload.rules.js';
import {
  type Phase,
  type PowerPart,
  type SourceReading,
  numberFrom,
  toReading,
} from '../reading.rules.js';
import { type Outcome, unparseable } from '../source.errors.js';
import type { PolledSourceType } from '../source.types.js';
import { invalid, type PolledSettings, readPolled, readSettings } from '../settings.rules.js';

export interface HomewizardP1Settings extends PolledSettings {
  /** Which local API: 'v1' (http, no token) or 'v2' (https, bearer token). */
  api: 'v1' | 'v2';
  /** v2: the device's bearer token (the server keeps it encrypted). */
  token?: string;
  /** v2: PEM of the CA that signed the device's certificate (HomeWizard's), to verify it. */
  ca?: string;
}

/** The measurement fields of each API version. */
const FIELDS = {
  v1: { total: 'active_power_w', phase: (n: number) => `active_power_l${n}_w` },
  v2: { total: 'power_w', phase: (n: number) => `power_l${n}_w` },
} as const;

export const homewizardP1: PolledSourceType<HomewizardP1Settings> = {
  type: 'homewizard-p1',
  transport: 'http',

  validate(raw) {
    return readSettings(raw, (r) => {
      const base = readPolled(r);
      const api = r.oneOf('api', ['v1', 'v2'] as const, 'v1');
      if (api === 'v1') return { ...base, api };
      if (!base.url.startsWith('https:'))
        throw invalid('url', "API v2 answers on https only, e.g. 'https://192.168.1.50'");
      const s: HomewizardP1Settings = {
        ...base,
        api,
        token: r.string('token', { maxLength: 4096 }),
      };
      const ca = r.optionalString('ca', { maxLength: 65_535 });
      if (ca !== undefined) {
        if (!ca.includes('-----BEGIN CERTIFICATE-----'))
          throw invalid('ca', 'must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)');
        s.ca = ca;
      }
      return s;
    });
  },

  requestPath(settings) {
    return settings.api === 'v2' ? '/api/measurement' : '/api/v1/data';
  },

  requestOptions(settings, token) {
    if (settings.api !== 'v2') return {};
    return {
      headers: { authorization: `Bearer ${token ?? ''}`, 'x-api-version': '2' },
      tls: { ca: settings.ca },
    };
  },

  parseResponse(settings, body: Payload): Outcome<SourceReading> {
    const obj = payloadObject(body);
    if (!obj.ok) return obj;
    const fields = FIELDS[settings.api];
    const total = numberFrom(obj.value[fields.total]);
    if (total === undefined) return unparseable(`the answer has no numeric ${fields.total}`);
    const parts: PowerPart[] = [{ quantity: 'net', watts: total }];
    // Phases from L1 up to the last one given; a 1-phase meter gives L1 only.
    const phases = [1, 2, 3].map((n) => numberFrom(obj.value[fields.phase(n)]));
    const count = phases.findIndex((w) => w === undefined);
    const known = count < 0 ? phases : phases.slice(0, count);
    known.forEach((w, i) => parts.push({ quantity: 'net', phase: (i + 1) as Phase, watts: w! }));
    return toReading({ parts });
  },
};
