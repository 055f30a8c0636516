/**
 * The HTTP API's request and response schemas (JSON Schema via TypeBox). The server validates
 * and serialises with them and publishes them as OpenAPI; the web app takes its types from
 * them. Field names are snake_case on the wire.
 */
import { Type, type Static } from 'typebox';

/** Building, user and token ids. */
export const Id = Type.String({
  pattern: '^[a-zA-Z0-9_-]{1,64}$',
  description: 'letters, digits, _ and -, 1 to 64 characters',
});

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
  request_id: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** A time: epoch milliseconds, or ISO-8601 with a zone (number first: the validator coerces in union order). */
export const TimeValue = Type.Union([Type.Number(), Type.String({ minLength: 1, maxLength: 40 })]);

export const IngestReading = Type.Object(
  {
    ts: TimeValue,
    power_w: Type.Number({
      description:
        'mains active power in W: what the home draws, or the signed net power at the grid connection (export negative) when production_w is given',
    }),
    production_w: Type.Optional(
      Type.Number({
        description:
          'power produced on site (solar) in W, >= 0; with it, consumption = power_w + production_w and power_w may be negative (export)',
      }),
    ),
    phases_w: Type.Optional(
      Type.Array(Type.Number(), {
        minItems: 1,
        maxItems: 3,
        description:
          'signed net power per phase in W (import positive), L1 first, each in -100000..100000; they must add up to power_w (within 15 W or 2 %)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const IngestBody = Type.Object(
  {
    building_id: Id,
    /**
     * Readings of a sub-meter instead of the mains: the appliance (name or alias) of one of the
     * building's sources with role `submeter`; each reading is then `ts` and `power_w` only.
     */
    appliance: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description:
          "a sub-meter's readings: the appliance one of the building's submeter sources is bound to; readings give ts and power_w (>= 0) only",
      }),
    ),
    readings: Type.Array(IngestReading, { minItems: 1, maxItems: 10_000 }),
  },
  { additionalProperties: false },
);
export type IngestBody = Static<typeof IngestBody>;

export const IngestResponse = Type.Object({ accepted: Type.Integer() });
export type IngestResponse = Static<typeof IngestResponse>;

export const MemberRole = Type.Union([
  Type.Literal('owner'),
  Type.Literal('member'),
  Type.Literal('viewer'),
]);

export const Building = Type.Object({
  id: Id,
  name: Type.String(),
  timezone: Type.String(),
  is_demo: Type.Boolean(),
  model_ref: Type.Union([Type.String(), Type.Null()]),
  /** The caller's role in the building (admins see 'owner' semantics through their role). */
  my_role: Type.Union([MemberRole, Type.Literal('admin')]),
  created_at: Type.String(),
});
export type Building = Static<typeof Building>;

export const BuildingList = Type.Object({ buildings: Type.Array(Building) });
export type BuildingList = Static<typeof BuildingList>;

export const CreateBuildingBody = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    owner_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CreateBuildingBody = Static<typeof CreateBuildingBody>;

export const UpdateBuildingBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    model_ref: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type UpdateBuildingBody = Static<typeof UpdateBuildingBody>;

/** Add or change a member: exactly one of `user_id` or `email` names the account. */
export const MemberBody = Type.Object(
  {
    user_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'the account id (JWT `sub`)' }),
    ),
    email: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 200,
        description: 'the e-mail of an existing account (case-insensitive)',
      }),
    ),
    role: MemberRole,
  },
  { additionalProperties: false },
);
export type MemberBody = Static<typeof MemberBody>;

export const Member = Type.Object({
  user_id: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  role: MemberRole,
});
export const MemberList = Type.Object({ members: Type.Array(Member) });
export type MemberList = Static<typeof MemberList>;

export const DeviceTokenBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export const DeviceToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
});
export const DeviceTokenCreated = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  /** The secret, shown once; send it as X-Ingest-Token (HTTP) or as the MQTT password. */
  token: Type.String(),
});
export type DeviceTokenCreated = Static<typeof DeviceTokenCreated>;
export const DeviceTokenList = Type.Object({ tokens: Type.Array(DeviceToken) });
export type DeviceTokenList = Static<typeof DeviceTokenList>;

/**
 * What a source measures: the building's grid connection, its own production (solar), or one
 * appliance (`submeter`, with `appliance`: a smart plug whose readings are that appliance's
 * ground truth, stored apart from the mains).
 */
export const SourceRole = Type.Union([
  Type.Literal('mains'),
  Type.Literal('production'),
  Type.Literal('submeter'),
]);
/** The appliance a sub-meter measures: a name of the appliance vocabulary (kettle, fridge, ...). */
const SourceAppliance = Type.String({ minLength: 1, maxLength: 128 });

/**
 * A meter configured for a building (`/api/v1/buildings/{id}/sources`): its type (one of
 * @nilm/sources' types: shelly-gen2, tasmota, p1-esp, homewizard-p1, line-protocol, ...), the
 * type's settings, and its status.
 */
export const SourceBody = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 40 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Optional(SourceRole),
    /** Required with role `submeter`, refused with any other role. */
    appliance: Type.Optional(SourceAppliance),
    settings: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type SourceBody = Static<typeof SourceBody>;

export const SourcePatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Optional(SourceRole),
    /** A sub-meter's appliance (with role `submeter`, or on a source that is one). */
    appliance: Type.Optional(SourceAppliance),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type SourcePatch = Static<typeof SourcePatch>;

export const Source = Type.Object({
  id: Type.String(),
  building_id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  role: SourceRole,
  /**
   * The appliance a sub-meter measures; null for the other roles. Always sent; optional in the
   * schema so that clients written before sub-meters still match it.
   */
  appliance: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** How its readings reach the server. */
  transport: Type.Union([
    Type.Literal('mqtt'),
    Type.Literal('http'),
    Type.Literal('line-protocol'),
    Type.Literal('websocket'),
  ]),
  settings: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String(),
  status: Type.Object({
    /** Last power it delivered, W (signed: export negative). */
    last_value_w: Type.Union([Type.Number(), Type.Null()]),
    /** Signed power per phase (L1 first) with the last value, when the meter measures phases. */
    last_phases_w: Type.Optional(Type.Array(Type.Number())),
    last_seen: Type.Union([Type.String(), Type.Null()]),
    /** Why its last refused input was refused (unparseable payload, out of range, phases). */
    last_error: Type.Union([Type.String(), Type.Null()]),
    last_error_code: Type.Union([Type.String(), Type.Null()]),
    last_error_at: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type Source = Static<typeof Source>;
export const SourceList = Type.Object({ sources: Type.Array(Source) });
export type SourceList = Static<typeof SourceList>;

/**
 * What a meter needs to send readings here (`GET /api/v1/ingest/info`); never a secret. Over
 * HTTP: POST `path` with the device token in `token_header`. Over MQTT: publish to
 * `topic_pattern` with `+` replaced by the building id; `auth` says where the device token
 * goes: `broker_login` (username = building id, password = device token; the embedded broker)
 * or `payload` (a `"token"` field in every JSON reading; an external broker).
 */
export const IngestInfo = Type.Object({
  http: Type.Object({
    method: Type.Literal('POST'),
    path: Type.String(),
    token_header: Type.String(),
    max_readings: Type.Integer(),
  }),
  mqtt: Type.Object({
    enabled: Type.Boolean(),
    broker: Type.Union([Type.Literal('embedded'), Type.Literal('external'), Type.Null()]),
    /** The broker URL a device connects to, without credentials. */
    url: Type.Union([Type.String(), Type.Null()]),
    host: Type.Union([Type.String(), Type.Null()]),
    port: Type.Union([Type.Integer(), Type.Null()]),
    tls: Type.Boolean(),
    /** MQTT over WebSocket (ws:// or wss://) rather than TCP. */
    websocket: Type.Boolean(),
    topic_pattern: Type.String(),
    auth: Type.Union([Type.Literal('broker_login'), Type.Literal('payload'), Type.Null()]),
    /**
     * The embedded broker listens on a loopback address: only this machine can reach it. Always
     * false when the server is configured with a public address (MQTT_PUBLIC_URL).
     */
    loopback_only: Type.Boolean(),
    max_readings_per_message: Type.Integer(),
  }),
});
export type IngestInfo = Static<typeof IngestInfo>;

export const Resolution = Type.Union(
  [
    Type.Literal('1m'),
    Type.Literal('5m'),
    Type.Literal('15m'),
    Type.Literal('1h'),
    Type.Literal('1d'),
    Type.Literal('auto'),
  ],
  { description: "bucket size; 'auto' picks one that gives at most `points` points" },
);

export const RangeQuery = Type.Object(
  {
    start: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'ISO-8601, epoch ms, or relative like -24h / -7d / now',
    }),
    end: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    resolution: Type.Optional(Resolution),
    points: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 20_000,
        description: "target number of points for resolution 'auto'",
      }),
    ),
  },
  { additionalProperties: false },
);
export type RangeQuery = Static<typeof RangeQuery>;

export const ApplianceValue = Type.Object({ power_w: Type.Number(), on_prob: Type.Number() });

/** What the meter measured at the grid connection and on site (null: not measured). */
export const GridValue = Type.Object({
  import_w: Type.Union([Type.Number(), Type.Null()]),
  export_w: Type.Union([Type.Number(), Type.Null()]),
  production_w: Type.Union([Type.Number(), Type.Null()]),
  /**
   * Mean signed net power per phase (W, import positive), L1 first, over the readings that
   * carried phases; left out where none did.
   */
  phases_w: Type.Optional(Type.Array(Type.Number(), { minItems: 1, maxItems: 3 })),
});
export type GridValue = Static<typeof GridValue>;

export const ReadingPoint = Type.Object({
  time: Type.String(),
  /** The home's consumption (import - export + production when the meter measures them). */
  power_w: Type.Union([Type.Number(), Type.Null()]),
  appliances: Type.Record(Type.String(), ApplianceValue),
  /** Present where the meter reports import, export, production or phases. */
  grid: Type.Optional(GridValue),
});

export const ReadingsResponse = Type.Object({
  building_id: Id,
  start: Type.String(),
  end: Type.String(),
  resolution_s: Type.Integer(),
  appliances: Type.Array(Type.String()),
  points: Type.Array(ReadingPoint),
  /**
   * Share of the points with mains readings that also carry estimates, 0..1 (null when no
   * point has readings). Below 1 while history is still being estimated.
   */
  estimate_coverage: Type.Union([Type.Number(), Type.Null()]),
});
export type ReadingsResponse = Static<typeof ReadingsResponse>;

export const EnergyQuery = Type.Object(
  {
    start: Type.String({ minLength: 1, maxLength: 40 }),
    end: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    /**
     * Calendar periods in the building's zone (whole periods covering start..end), or `span`:
     * one period that is exactly start..end (a week so far, the same hours of last week).
     */
    period: Type.Optional(
      Type.Union([
        Type.Literal('day'),
        Type.Literal('week'),
        Type.Literal('month'),
        Type.Literal('span'),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type EnergyQuery = Static<typeof EnergyQuery>;

/** The likely range of an appliance's kWh in a period; null where it is unknown. */
export const ApplianceKwhRange = Type.Object({
  kwh_low: Type.Union([Type.Number(), Type.Null()]),
  kwh_high: Type.Union([Type.Number(), Type.Null()]),
});
export type ApplianceKwhRange = Static<typeof ApplianceKwhRange>;

export const EnergyPeriod = Type.Object({
  start: Type.String(),
  end: Type.String(),
  total_kwh: Type.Number(),
  appliances: Type.Record(Type.String(), Type.Number()),
  /**
   * Per appliance of `appliances`, the kWh it likely used: the model's power band summed over
   * its on-minutes (a conservative range, see docs/api.md); both null where the band is unknown.
   */
  appliance_ranges: Type.Optional(Type.Record(Type.String(), ApplianceKwhRange)),
  /** Mains energy of estimated minutes that the tracked appliances do not explain (never negative). */
  other_kwh: Type.Number(),
  /** Mains energy of minutes that have readings but no estimates yet (still being estimated). */
  pending_kwh: Type.Number(),
  /** Always-on load: the period's low (5th percentile) mains power held for its duration. */
  baseload_kwh: Type.Number(),
  /** Share of the period with data, 0..1. */
  coverage: Type.Number(),
  /** Share of the minutes with readings that have estimates, 0..1; null without readings. */
  estimate_coverage: Type.Union([Type.Number(), Type.Null()]),
  /**
   * Energy drawn from and fed into the grid, made on site, and made and used on site
   * (production - export), where the meter measures them; null otherwise.
   */
  import_kwh: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  export_kwh: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  production_kwh: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  self_consumption_kwh: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
export const EnergyResponse = Type.Object({
  building_id: Id,
  period: Type.String(),
  timezone: Type.String(),
  periods: Type.Array(EnergyPeriod),
});
export type EnergyResponse = Static<typeof EnergyResponse>;

export const ApplianceInfo = Type.Object({
  name: Type.String(),
  label: Type.String(),
  enabled: Type.Boolean(),
  on_threshold_w: Type.Number(),
  /** The model counts the appliance as on where its on-probability is at least this. */
  on_prob_threshold: Type.Number(),
});
export const ApplianceList = Type.Object({
  building_id: Id,
  model: Type.Union([Type.String(), Type.Null()]),
  appliances: Type.Array(ApplianceInfo),
});
export type ApplianceList = Static<typeof ApplianceList>;

/** One head of the building's model, and whether the building says it has the appliance. */
export const AppliancePresence = Type.Object({
  name: Type.String(),
  /** A plain name for people, e.g. "Electric shower". */
  label: Type.String(),
  present: Type.Boolean(),
});
export const AppliancesPresentResponse = Type.Object({
  building_id: Id,
  model: Type.Union([Type.String(), Type.Null()]),
  /** True while nobody said which appliances the building has: then every head is present. */
  is_default: Type.Boolean(),
  appliances: Type.Array(AppliancePresence),
});
export type AppliancesPresentResponse = Static<typeof AppliancesPresentResponse>;
export const AppliancesPresentBody = Type.Object(
  {
    /** Names of the model's heads the building has (from GET); every other head is absent. */
    appliances: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 256 }),
  },
  { additionalProperties: false },
);
export type AppliancesPresentBody = Static<typeof AppliancesPresentBody>;

export const ApplianceParams = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 128, description: 'appliance name, e.g. kettle' }),
});

export const RunsQuery = Type.Object(
  {
    start: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'ISO-8601, epoch ms, or relative like -24h / -7d / now',
    }),
    end: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  { additionalProperties: false },
);
export type RunsQuery = Static<typeof RunsQuery>;

export const ApplianceRun = Type.Object({
  /** First minute of the run. */
  start: Type.String(),
  /** End of the run's last minute (exclusive). */
  end: Type.String(),
  minutes: Type.Number(),
  /** Estimated energy over the run's minutes. */
  energy_kwh: Type.Number(),
  peak_w: Type.Number(),
});
export type ApplianceRun = Static<typeof ApplianceRun>;

export const RunsResponse = Type.Object({
  building_id: Id,
  appliance: Type.String(),
  start: Type.String(),
  end: Type.String(),
  /** The on-probability from which a minute counts as on (the model's calibrated threshold). */
  threshold: Type.Number(),
  /** The runs in the range, oldest first; only the newest `limit` when `truncated`. */
  runs: Type.Array(ApplianceRun),
  /** Every run in the range, listed or not. */
  count: Type.Integer(),
  /** Median run length in minutes over every run; null when there is none. */
  typical_minutes: Type.Union([Type.Number(), Type.Null()]),
  /** Mean energy per run over every run; null when there is none. */
  mean_energy_kwh: Type.Union([Type.Number(), Type.Null()]),
  /** The most runs a response lists. */
  limit: Type.Integer(),
  truncated: Type.Boolean(),
});
export type RunsResponse = Static<typeof RunsResponse>;

export const InferBody = Type.Object(
  {
    window: Type.Array(Type.Number(), {
      minItems: 1,
      maxItems: 10_000,
      description: 'mains power in W, one value per model period',
    }),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    building_id: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type InferBody = Static<typeof InferBody>;

export const InferResponse = Type.Object({
  model: Type.String(),
  period_s: Type.Number(),
  appliances: Type.Record(
    Type.String(),
    Type.Object({
      power_w: Type.Array(Type.Number()),
      on_prob: Type.Array(Type.Number()),
      on_threshold: Type.Number(),
    }),
  ),
});
export type InferResponse = Static<typeof InferResponse>;

export const ModelSummary = Type.Object({
  ref: Type.String(),
  id: Type.String(),
  version: Type.String(),
  active: Type.Boolean(),
  loaded: Type.Boolean(),
  appliances: Type.Array(Type.String()),
  window: Type.Integer(),
  period_s: Type.Number(),
  created: Type.String(),
  test_mean_f1: Type.Union([Type.Number(), Type.Null()]),
  test_mean_mae_w: Type.Union([Type.Number(), Type.Null()]),
});
export const ModelList = Type.Object({
  active: Type.Union([Type.String(), Type.Null()]),
  models: Type.Array(ModelSummary),
});
export type ModelList = Static<typeof ModelList>;

/** Scores of a model for one appliance, or averaged (null: undefined, e.g. F1 of a head never on). */
const CardScores = Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]));

/**
 * A model's card as `GET /models/{ref}/card` serves it: `card.json` of the model directory
 * (packages/ml model.card.ts, which checks it on load). The fields clients read are named here;
 * the card's other fields (architecture, normalisation, training config, ...) pass through as
 * they are.
 */
export const ModelCard = Type.Object(
  {
    id: Type.String(),
    version: Type.String(),
    created: Type.String(),
    description: Type.Optional(Type.String()),
    period_s: Type.Number(),
    window: Type.Integer(),
    appliances: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          label: Type.String(),
          members: Type.Optional(Type.Array(Type.String())),
          on_threshold_w: Type.Number(),
          on_prob_threshold: Type.Number(),
        },
        { additionalProperties: true },
      ),
    ),
    training: Type.Object(
      { data: Type.Array(Type.String()), licence: Type.String() },
      { additionalProperties: true },
    ),
    finetune: Type.Optional(
      Type.Object(
        { base: Type.String(), heads: Type.Array(Type.String()) },
        { additionalProperties: true },
      ),
    ),
    /** Scores on data the model never saw (held-out houses), as `nilm eval` reports them. */
    test: Type.Optional(
      Type.Object(
        {
          data: Type.Array(Type.String()),
          samples: Type.Number(),
          appliances: Type.Record(Type.String(), CardScores),
          mean: CardScores,
          baselines: Type.Optional(Type.Record(Type.String(), CardScores)),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);
export type ModelCard = Static<typeof ModelCard>;

/** Params of the routes under `/models/{ref}`: a registry ref `<id>@<version>` (URL-encoded). */
export const ModelRefParams = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 300 }) });

/** A CSV export's body (sent as text/csv). */
export const CsvText = Type.String({ description: 'CSV text (text/csv; charset=utf-8)' });

export const ActivateModelBody = Type.Object(
  { ref: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const ReloadResponse = Type.Object({
  models: Type.Integer(),
  dropped: Type.Array(Type.String()),
  active: Type.Union([Type.String(), Type.Null()]),
});

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;
export const UserInfo = Type.Object({
  id: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('admin'), Type.Literal('user')]),
});
export type UserInfo = Static<typeof UserInfo>;
export const LoginResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  user: UserInfo,
});
export type LoginResponse = Static<typeof LoginResponse>;

const PlatformRole = Type.Union([Type.Literal('admin'), Type.Literal('user')]);

/** A local account as the admin pages list it (never its password hash). */
export const AdminUser = Type.Object({
  id: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  role: PlatformRole,
  created_at: Type.String(),
});
export type AdminUser = Static<typeof AdminUser>;
export const UserList = Type.Object({ users: Type.Array(AdminUser) });
export type UserList = Static<typeof UserList>;

export const CreateUserBody = Type.Object(
  {
    email: Type.String({ format: 'email', minLength: 3, maxLength: 200 }),
    role: Type.Optional(PlatformRole),
    password: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 200,
        description: 'at least 8 characters; left out, one is generated and returned once',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;
export const UserCreated = Type.Object({
  user: AdminUser,
  /** Present only when the server generated the password: shown this once, never again. */
  generated_password: Type.Optional(Type.String()),
});
export type UserCreated = Static<typeof UserCreated>;

/**
 * How the web app signs in (`GET /api/v1/auth/config`, public): `local` accounts of this server
 * (`POST /api/v1/auth/login`); `supabase`, against Supabase Auth with the project URL and its
 * public anon key; `external`, tokens come from another identity provider and there is no
 * sign-in form.
 */
export const AuthConfig = Type.Union([
  Type.Object({ mode: Type.Literal('local') }, { additionalProperties: false }),
  Type.Object(
    {
      mode: Type.Literal('supabase'),
      supabase_url: Type.String({ description: 'project URL, no trailing slash' }),
      supabase_anon_key: Type.String({ description: 'public anon (or publishable) key' }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ mode: Type.Literal('external') }, { additionalProperties: false }),
]);
export type AuthConfig = Static<typeof AuthConfig>;

export const LiveResponse = Type.Object({ status: Type.Literal('ok') });
export const ReadyResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Record(
    Type.String(),
    Type.Object({ ok: Type.Boolean(), kind: Type.String(), error: Type.Optional(Type.String()) }),
  ),
});
export type ReadyResponse = Static<typeof ReadyResponse>;

/** Server-sent event payload on /api/v1/buildings/{id}/live. */
export const LiveEvent = Type.Object({
  type: Type.Union([Type.Literal('reading'), Type.Literal('estimate')]),
  building_id: Id,
  time: Type.String(),
  power_w: Type.Optional(Type.Number()),
  appliances: Type.Optional(Type.Record(Type.String(), ApplianceValue)),
});
export type LiveEvent = Static<typeof LiveEvent>;

/** 'HH:MM', 24-hour, 00:00-23:59. */
export const ClockTime = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: "'HH:MM', 24-hour local time of the building, 00:00-23:59",
});
/** A price per kWh in the tariff's currency. */
export const PricePerKwh = Type.Number({ minimum: 0, maximum: 100 });

/**
 * A time-of-use band: [start, end) in the building's local time; it may cross midnight
 * (22:00-07:00), and end equal to start covers the whole day. Bands of one tariff must not
 * overlap.
 */
export const TariffBand = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 40 }),
    start: ClockTime,
    end: ClockTime,
    price_per_kwh: PricePerKwh,
  },
  { additionalProperties: false },
);
export type TariffBand = Static<typeof TariffBand>;

/** A product or tariff code of Octopus Energy's public products API, e.g. AGILE-24-10-01. */
const OctopusCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{2,63}$' });

/**
 * Where a tariff's dynamic prices (one per half hour or hour, Octopus Agile style) come from:
 * uploaded as CSV (`PUT /buildings/{id}/prices`), or fetched on a schedule from Octopus
 * Energy's public products API (`product` e.g. AGILE-24-10-01, `tariff` e.g.
 * E-1R-AGILE-24-10-01-C for region C).
 */
export const TariffDynamic = Type.Union([
  Type.Object({ source: Type.Literal('csv') }, { additionalProperties: false }),
  Type.Object(
    { source: Type.Literal('octopus'), product: OctopusCode, tariff: OctopusCode },
    { additionalProperties: false },
  ),
]);
export type TariffDynamic = Static<typeof TariffDynamic>;

/**
 * A building's tariff: a flat price per kWh, overridden inside its bands, overridden by a
 * dynamic price where one is stored for that minute; a standing charge per local day; and a
 * price per exported kWh.
 */
export const TariffBody = Type.Object(
  {
    currency: Type.String({
      pattern: '^[A-Z]{3}$',
      description: 'ISO 4217 code in capitals, e.g. GBP',
    }),
    price_per_kwh: PricePerKwh,
    bands: Type.Array(TariffBand, { maxItems: 24 }),
    standing_charge_per_day: Type.Optional(
      Type.Number({ minimum: 0, maximum: 100, description: 'charged per local day (default 0)' }),
    ),
    export_price_per_kwh: Type.Optional(PricePerKwh),
    dynamic: Type.Optional(Type.Union([TariffDynamic, Type.Null()])),
  },
  { additionalProperties: false },
);
export type TariffBody = Static<typeof TariffBody>;

export const TariffResponse = Type.Object({
  building_id: Id,
  currency: Type.String(),
  price_per_kwh: Type.Number(),
  bands: Type.Array(TariffBand),
  standing_charge_per_day: Type.Number(),
  export_price_per_kwh: Type.Number(),
  dynamic: Type.Union([TariffDynamic, Type.Null()]),
  /** True when the building has no tariff of its own yet and this is the default. */
  is_default: Type.Boolean(),
});
export type TariffResponse = Static<typeof TariffResponse>;

/** One stored dynamic price: [start, end) in UTC ISO 8601. */
export const PriceSlotBody = Type.Object({
  start: Type.String(),
  end: Type.String(),
  price_per_kwh: Type.Number(),
});
export type PriceSlotBody = Static<typeof PriceSlotBody>;

/** What the last scheduled (or asked-for) fetch from the price API did. */
export const PriceFetchStatus = Type.Object({
  provider: Type.String(),
  attempted_at: Type.String(),
  succeeded_at: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  /** Slots stored by the last successful fetch. */
  slots: Type.Integer(),
  /** Half hours (or hours) missing inside what the last fetch asked for. */
  gaps: Type.Integer(),
});
export type PriceFetchStatus = Static<typeof PriceFetchStatus>;

export const PricesQuery = Type.Object(
  {
    start: Type.String({ minLength: 1, maxLength: 40 }),
    end: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  { additionalProperties: false },
);
export type PricesQuery = Static<typeof PricesQuery>;

/** `GET /buildings/{id}/prices`: the dynamic prices stored over a window, oldest first. */
export const PricesResponse = Type.Object({
  building_id: Id,
  currency: Type.String(),
  slots: Type.Array(PriceSlotBody),
  fetch: Type.Union([PriceFetchStatus, Type.Null()]),
});
export type PricesResponse = Static<typeof PricesResponse>;

/** `PUT /buildings/{id}/prices` (a CSV body): what was stored. */
export const PricesImportResponse = Type.Object({
  building_id: Id,
  imported: Type.Integer(),
  start: Type.String(),
  end: Type.String(),
  slot_minutes: Type.Integer(),
});
export type PricesImportResponse = Static<typeof PricesImportResponse>;

export const CheapestQuery = Type.Object(
  {
    /** Length of the block to find, in hours (default 3). */
    hours: Type.Optional(Type.Number({ minimum: 0.5, maximum: 12, multipleOf: 0.5 })),
    /** 'YYYY-MM-DD' local day; default the building's next day. */
    date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  },
  { additionalProperties: false },
);
export type CheapestQuery = Static<typeof CheapestQuery>;

/** A stretch of time and its mean price. */
export const PricedSpan = Type.Object({
  start: Type.String(),
  end: Type.String(),
  price_per_kwh: Type.Number(),
});
export type PricedSpan = Static<typeof PricedSpan>;

/** `GET /buildings/{id}/prices/cheapest`: the cheapest block and hours of a local day. */
export const CheapestResponse = Type.Object({
  building_id: Id,
  currency: Type.String(),
  date: Type.String(),
  timezone: Type.String(),
  /** The cheapest run of `hours` hours inside the day (null when the day is shorter). */
  block: Type.Union([PricedSpan, Type.Null()]),
  /** Every hour of the day, cheapest first. */
  hours: Type.Array(PricedSpan),
  /** Minutes of the day priced by a dynamic price; the rest fell back to band or flat prices. */
  dynamic_minutes: Type.Integer(),
  minutes: Type.Integer(),
});
export type CheapestResponse = Static<typeof CheapestResponse>;

/**
 * `POST /buildings/{id}/import`: the body is the CSV text (`Content-Type: text/csv` or
 * `text/plain`); the query says its layout and the unit of its power column.
 */
export const ImportQuery = Type.Object(
  {
    format: Type.Union([Type.Literal('dataset'), Type.Literal('time-power')], {
      description:
        'dataset: Time,Aggregate,<Appliance>... (naive times are UTC; Aggregate 0 is missing data); time-power: a header line, then time,power rows',
    }),
    unit: Type.Optional(
      Type.Union([Type.Literal('W'), Type.Literal('kW')], {
        description: 'unit of the power column (default W)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ImportQuery = Static<typeof ImportQuery>;

/** An import stored whole: how many readings, their span, and the dataset rows left out. */
export const ImportResponse = Type.Object({
  imported: Type.Integer(),
  /** The first and last reading's time, ISO-8601 UTC. */
  start: Type.String(),
  end: Type.String(),
  /** Dataset rows with Aggregate 0 (missing data), not stored. */
  skipped_missing: Type.Integer(),
});
export type ImportResponse = Static<typeof ImportResponse>;
