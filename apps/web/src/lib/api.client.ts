/**
 * The typed HTTP client for the NILM API. Every request carries the session's Bearer token and
 * a fresh X-Request-ID; every error body (`{error:{code,message}}`) becomes a thrown ApiError
 * whose message is the server's own, so the UI can show it as is. A 401 renews a renewable
 * session once and sends the request again; otherwise it ends the session.
 */
import type {
  ApplianceList,
  AuthConfig,
  Building,
  BuildingList,
  CreateBuildingBody,
  CreateUserBody,
  DeviceTokenCreated,
  DeviceTokenList,
  EnergyQuery,
  EnergyResponse,
  IngestInfo,
  LoginBody,
  LoginResponse,
  MemberBody,
  MemberList,
  ModelList,
  RangeQuery,
  ReadingsResponse,
  RunsQuery,
  RunsResponse,
  TariffBody,
  TariffResponse,
  UpdateBuildingBody,
  UserCreated,
  UserInfo,
  UserList,
} from '@nilm/contracts';

/** An API failure: HTTP status (0 when the server could not be reached), code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** The current access token, or null when signed out. */
  getToken: () => string | null;
  /** Called once per 401 answer (expired or revoked session): clear it and go to sign-in. */
  onUnauthorized: () => void;
  /**
   * For sessions that can be renewed (Supabase): called on a 401 to the token `failed`; resolves
   * with a new token to send the request once more with, or null (then `onUnauthorized`).
   */
  refresh?: (failed: string) => Promise<string | null>;
  fetch?: typeof fetch;
  /** Origin prefix; '' for the same origin (the server serves the app). */
  baseUrl?: string;
  newRequestId?: () => string;
}

type Query = Record<string, string | number | undefined>;

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function isErrorBody(v: unknown): v is { error: { code: string; message: string } } {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { message?: unknown }).message === 'string' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

/** Turns a non-2xx response into an ApiError, using the server's message when it sent one. */
export async function errorFromResponse(res: Response, requestId?: string): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (isErrorBody(body))
    return new ApiError(res.status, body.error.code, body.error.message, requestId);
  const text = res.statusText ? ` ${res.statusText}` : '';
  return new ApiError(
    res.status,
    'HTTP_ERROR',
    `The server answered ${res.status}${text}`,
    requestId,
  );
}

/** Held-out test scores of a model for one appliance (the parts the UI shows). */
export interface ApplianceScores {
  f1?: number;
  precision?: number;
  recall?: number;
  mae_w?: number;
  band_coverage?: number;
}

/**
 * The model card as served by `GET /api/v1/models/{ref}/card` (packages/ml model.card.ts); only
 * the fields the UI reads are typed, all optional where older cards may lack them.
 */
export interface ModelCard {
  id: string;
  version: string;
  created: string;
  training?: { data?: string[]; licence?: string };
  test?: {
    data?: string[];
    samples?: number;
    appliances?: Record<string, ApplianceScores>;
    baselines?: Record<string, { f1?: number; mae_w?: number }>;
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** Builds the client; the options inject the session, fetch and ids (tests pass fakes). */
export function createApiClient(opts: ApiClientOptions) {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const base = opts.baseUrl ?? '';
  const newId = opts.newRequestId ?? (() => crypto.randomUUID());

  /** Sends one request; resolves with the raw Response when it is 2xx, else throws ApiError. */
  async function raw(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; signal?: AbortSignal; accept?: string } = {},
  ): Promise<Response> {
    const requestId = newId();
    let token = opts.getToken();
    let renewed = false;
    for (;;) {
      const headers: Record<string, string> = {
        accept: init.accept ?? 'application/json',
        'x-request-id': requestId,
      };
      if (token) headers.authorization = `Bearer ${token}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await doFetch(`${base}${path}${queryString(init.query)}`, {
          method,
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: init.signal,
        });
      } catch (e) {
        if (e instanceof Error && e.name === 'AbortError') throw e;
        throw new ApiError(
          0,
          'NETWORK',
          'Cannot reach the server; check your connection and try again',
          requestId,
        );
      }
      if (res.ok) return res;
      // A renewable session (Supabase) gets one new token and one more try per request.
      if (res.status === 401 && token && opts.refresh && !renewed) {
        renewed = true;
        const fresh = await opts.refresh(token);
        if (fresh) {
          token = fresh;
          continue;
        }
      }
      const err = await errorFromResponse(res, requestId);
      if (res.status === 401 && token) opts.onUnauthorized();
      throw err;
    }
  }

  async function json<T>(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<T> {
    const res = await raw(method, path, init);
    return (await res.json()) as T;
  }

  const b = (id: string) => `/api/v1/buildings/${encodeURIComponent(id)}`;

  return {
    raw,
    login: (body: LoginBody) => json<LoginResponse>('POST', '/api/v1/auth/login', { body }),
    /** How to sign in here: local accounts, Supabase, or an external identity provider. */
    authConfig: (signal?: AbortSignal) =>
      json<AuthConfig>('GET', '/api/v1/auth/config', { signal }),
    me: (signal?: AbortSignal) => json<UserInfo>('GET', '/api/v1/auth/me', { signal }),
    buildings: (signal?: AbortSignal) => json<BuildingList>('GET', '/api/v1/buildings', { signal }),
    appliances: (id: string, signal?: AbortSignal) =>
      json<ApplianceList>('GET', `${b(id)}/appliances`, { signal }),
    readings: (id: string, query: RangeQuery, signal?: AbortSignal) =>
      json<ReadingsResponse>('GET', `${b(id)}/readings`, { query, signal }),
    /** An appliance's runs at the model's 1-minute resolution (at most 31 days). */
    applianceRuns: (id: string, name: string, query: RunsQuery, signal?: AbortSignal) =>
      json<RunsResponse>('GET', `${b(id)}/appliances/${encodeURIComponent(name)}/runs`, {
        query,
        signal,
      }),
    energy: (id: string, query: EnergyQuery, signal?: AbortSignal) =>
      json<EnergyResponse>('GET', `${b(id)}/energy`, { query, signal }),
    models: (signal?: AbortSignal) => json<ModelList>('GET', '/api/v1/models', { signal }),
    modelCard: (ref: string, signal?: AbortSignal) =>
      json<ModelCard>('GET', `/api/v1/models/${encodeURIComponent(ref)}/card`, { signal }),
    activateModel: (ref: string) =>
      json<unknown>('POST', '/api/v1/admin/models/activate', { body: { ref } }),
    /** Opens the live SSE stream; the caller reads `res.body`. */
    live: (id: string, signal: AbortSignal) =>
      raw('GET', `${b(id)}/live`, { signal, accept: 'text/event-stream' }),
    building: (id: string, signal?: AbortSignal) => json<Building>('GET', b(id), { signal }),
    createBuilding: (body: CreateBuildingBody) =>
      json<Building>('POST', '/api/v1/buildings', { body }),
    updateBuilding: (id: string, body: UpdateBuildingBody) =>
      json<Building>('PATCH', b(id), { body }),
    tariff: (id: string, signal?: AbortSignal) =>
      json<TariffResponse>('GET', `${b(id)}/tariff`, { signal }),
    /** Owner or admin: replace the building's tariff; the server refuses overlapping bands. */
    setTariff: (id: string, body: TariffBody) =>
      json<TariffResponse>('PUT', `${b(id)}/tariff`, { body }),
    deleteBuilding: async (id: string) => void (await raw('DELETE', b(id))),
    members: (id: string, signal?: AbortSignal) =>
      json<MemberList>('GET', `${b(id)}/members`, { signal }),
    /** Adds a member, or changes the role of one; name the account by `email` or `user_id`. */
    setMember: (id: string, body: MemberBody) =>
      json<MemberList>('POST', `${b(id)}/members`, { body }),
    removeMember: async (id: string, userId: string) =>
      void (await raw('DELETE', `${b(id)}/members/${encodeURIComponent(userId)}`)),
    deviceTokens: (id: string, signal?: AbortSignal) =>
      json<DeviceTokenList>('GET', `${b(id)}/tokens`, { signal }),
    /** The answer holds the token's secret, which the server never shows again. */
    createDeviceToken: (id: string, name: string) =>
      json<DeviceTokenCreated>('POST', `${b(id)}/tokens`, { body: { name } }),
    revokeDeviceToken: async (id: string, tokenId: string) =>
      void (await raw('DELETE', `${b(id)}/tokens/${encodeURIComponent(tokenId)}`)),
    ingestInfo: (signal?: AbortSignal) =>
      json<IngestInfo>('GET', '/api/v1/ingest/info', { signal }),
    users: (signal?: AbortSignal) => json<UserList>('GET', '/api/v1/admin/users', { signal }),
    createUser: (body: CreateUserBody) =>
      json<UserCreated>('POST', '/api/v1/admin/users', { body }),
  };
}
