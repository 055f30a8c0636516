/**
 * The typed HTTP client for the NILM API. Every request carries the session's Bearer token and
 * a fresh X-Request-ID; every error body (`{error:{code,message}}`) becomes a thrown ApiError
 * whose message is the server's own, so the UI can show it as is. A 401 renews a renewable
 * session once and sends the request again; otherwise it ends the session.
 */
import type {
  ApplianceList,
  AppliancesPresentBody,
  AppliancesPresentResponse,
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
  Source,
  SourceBody,
  SourceList,
  RangeQuery,
  RunsQuery,
  RunsResponse,
  TariffBody,
  TariffResponse,
  CheapestResponse,
  PriceFetchStatus,
  PricesImportResponse,
  PricesResponse,
  UpdateBuildingBody,
  UserCreated,
  UserInfo,
  UserList,
  AlertList,
  AlertSettingsBody,
  AlertSettingsResponse,
  PushSubscriptionBody,
  VapidKeyResponse,
  DevicePatchBody,
  DiscoverResponse,
  FinetuneBody,
  FinetuneJob,
  FinetuneJobList,
  FoundDevice,
  FoundDeviceList,
  Label,
  LabelBody,
  LabelList,
  LabelQuery,
  PinnedModel,
  PinnedModelList,
} from '@nilm/contracts';
import { errorEntry, isAnswerCode } from '@nilm/contracts';
import { i18n } from '../i18n/i18n.setup.js';
import { decodeReadings } from './readings.columns.js';
import { mergeReadings, splitReadingsQuery } from './readings.split.js';

/**
 * An API failure: HTTP status (0 when the server could not be reached), code and message, and
 * the error body's `details` when it sent any (a 422 on a source names its `setting` there).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * What `POST /api/v1/buildings/{id}/import` answers: readings stored, the span they cover (the
 * recording's own timestamps) and rows skipped because their power was missing.
 */
export interface ImportResult {
  imported: number;
  start: string | null;
  end: string | null;
  skipped_missing: number;
}

/** How an uploaded CSV is laid out: our dataset's `Time,Aggregate,...` or a generic `time,power`. */
export type ImportFormat = 'dataset' | 'time-power';

/** Bytes of the request body sent so far, of `total`. */
export interface UploadProgress {
  loaded: number;
  total: number;
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

function isErrorBody(
  v: unknown,
): v is { error: { code: string; message: string; details?: unknown } } {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { message?: unknown }).message === 'string' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

/** An ApiError from a non-2xx status and its body text, with the server's message when it sent one. */
export function errorFromBody(
  status: number,
  statusText: string,
  text: string,
  requestId?: string,
): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isErrorBody(body))
    return new ApiError(
      status,
      body.error.code,
      messageOf(body.error.code, body.error.message),
      requestId,
      body.error.details,
    );
  const reason = statusText ? ` ${statusText}` : '';
  return new ApiError(status, 'HTTP_ERROR', `The server answered ${status}${reason}`, requestId);
}

/**
 * The message to show for an error the server sent: its own (English, and says exactly what was
 * wrong) in English; in another language, the words for its catalogue code first, then its own.
 */
function messageOf(code: string, serverMessage: string): string {
  if (!isAnswerCode(code) || i18n.language === 'en') return serverMessage;
  return `${i18n.t(`api.errors.${code}`)} (${serverMessage})`;
}

/**
 * Whether sending the request again may succeed, by the error catalogue's retry meaning of the
 * code the server sent (`later`: yes; `fix` and `no`: not until something changes); a failure
 * to reach the server, or an answer without a catalogue code, counts as transient unless 4xx.
 */
export function mayRetry(e: unknown): boolean {
  if (!(e instanceof ApiError)) return true;
  if (isAnswerCode(e.code)) return errorEntry(e.code).retry === 'later';
  return e.status === 0 || e.status >= 500;
}

/** Turns a non-2xx response into an ApiError, using the server's message when it sent one. */
export async function errorFromResponse(res: Response, requestId?: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  return errorFromBody(res.status, res.statusText, text, requestId);
}

/** The `setting` an error names in its details (a 422 on a source's settings), if any. */
export function settingOf(e: unknown): string | undefined {
  if (!(e instanceof ApiError) || typeof e.details !== 'object' || e.details === null)
    return undefined;
  const s = (e.details as { setting?: unknown }).setting;
  return typeof s === 'string' ? s : undefined;
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
        throw new ApiError(0, 'NETWORK', i18n.t('api.unreachable'), requestId);
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

  /**
   * Sends a file as the request body with XMLHttpRequest, whose upload events (unlike fetch's)
   * report progress. The same session rules as `raw`: one renewal on a 401, then sign-out.
   */
  async function upload<T>(
    path: string,
    init: {
      query?: Query;
      body: Blob;
      contentType: string;
      /** POST unless said (a price CSV replaces prices with PUT). */
      method?: string;
      onProgress?: (p: UploadProgress) => void;
      signal?: AbortSignal;
    },
  ): Promise<T> {
    const requestId = newId();
    let token = opts.getToken();
    let renewed = false;
    for (;;) {
      const res = await new Promise<{ status: number; statusText: string; text: string }>(
        (resolve, reject) => {
          const xhr = new XMLHttpRequest();
          xhr.open(init.method ?? 'POST', `${base}${path}${queryString(init.query)}`);
          xhr.setRequestHeader('accept', 'application/json');
          xhr.setRequestHeader('content-type', init.contentType);
          xhr.setRequestHeader('x-request-id', requestId);
          if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
          xhr.upload.onprogress = (e) =>
            init.onProgress?.({
              loaded: e.loaded,
              total: e.lengthComputable ? e.total : init.body.size,
            });
          xhr.onload = () =>
            resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText });
          xhr.onerror = () =>
            reject(new ApiError(0, 'NETWORK', i18n.t('api.unreachable'), requestId));
          xhr.onabort = () => reject(new DOMException('The upload was cancelled', 'AbortError'));
          init.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
          xhr.send(init.body);
        },
      );
      if (res.status >= 200 && res.status < 300) return JSON.parse(res.text) as T;
      if (res.status === 401 && token && opts.refresh && !renewed) {
        renewed = true;
        const fresh = await opts.refresh(token);
        if (fresh) {
          token = fresh;
          continue;
        }
      }
      const err = errorFromBody(res.status, res.statusText, res.text, requestId);
      if (res.status === 401 && token) opts.onUnauthorized();
      throw err;
    }
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
    /** Every head of the building's model and whether the building has the appliance. */
    appliancesPresent: (id: string, signal?: AbortSignal) =>
      json<AppliancesPresentResponse>('GET', `${b(id)}/appliances-present`, { signal }),
    /** Owner or admin: say which appliances the building has; unknown names answer 422. */
    setAppliancesPresent: (id: string, body: AppliancesPresentBody) =>
      json<AppliancesPresentResponse>('PUT', `${b(id)}/appliances-present`, { body }),
    /**
     * Readings in the columnar shape (one array per series: fewer bytes, no object per point),
     * checked by lib/readings.columns.ts. Finished history carries an ETag, so the browser's
     * cache revalidates it (If-None-Match, 304) instead of fetching it again. A long range that
     * ends now (the dashboard's -24h, -30d) is read as finished history, whose URL stays the same
     * for an hour, plus the live tail, in parallel, and merged (lib/readings.split.ts).
     */
    readings: async (id: string, query: RangeQuery, signal?: AbortSignal) => {
      const one = async (q: RangeQuery) =>
        decodeReadings(
          await json<unknown>('GET', `${b(id)}/readings`, {
            query: { ...q, shape: 'columns' },
            signal,
          }),
        );
      const split = splitReadingsQuery(query, Date.now());
      if (!split) return one(query);
      const [history, tail] = await Promise.all([one(split.history), one(split.tail)]);
      // A server whose 'auto' picked other steps than the split expects: one request after all.
      if (history.resolution_s !== tail.resolution_s) return one(query);
      return mergeReadings(history, tail, split.seamMs);
    },
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
    /** Stored dynamic prices over [start, end) and what the last price API fetch did. */
    prices: (id: string, query: { start: string; end?: string }, signal?: AbortSignal) =>
      json<PricesResponse>('GET', `${b(id)}/prices`, { query, signal }),
    /** Owner or admin: upload dynamic prices (start,price_per_kwh[,end]); 422 names a bad line. */
    uploadPrices: (id: string, file: Blob) =>
      upload<PricesImportResponse>(`${b(id)}/prices`, {
        body: file,
        contentType: 'text/csv',
        method: 'PUT',
      }),
    /** Owner or admin: fetch dynamic prices from the price API now. */
    refreshPrices: (id: string) => json<PriceFetchStatus>('POST', `${b(id)}/prices/refresh`),
    /** The cheapest block of `hours` and the hours of the building's next day. */
    cheapest: (id: string, hours: number, signal?: AbortSignal) =>
      json<CheapestResponse>('GET', `${b(id)}/prices/cheapest`, { query: { hours }, signal }),
    deleteBuilding: async (id: string) => void (await raw('DELETE', b(id))),
    alertSettings: (id: string, signal?: AbortSignal) =>
      json<AlertSettingsResponse>('GET', `${b(id)}/alerts/settings`, { signal }),
    /** Owner or admin: replace the alert rules and channels; bad thresholds answer 422 by name. */
    setAlertSettings: (id: string, body: AlertSettingsBody) =>
      json<AlertSettingsResponse>('PUT', `${b(id)}/alerts/settings`, { body }),
    alerts: (id: string, signal?: AbortSignal) =>
      json<AlertList>('GET', `${b(id)}/alerts`, { signal }),
    retryAlertDelivery: async (id: string, deliveryId: string) =>
      void (await raw(
        'POST',
        `${b(id)}/alerts/deliveries/${encodeURIComponent(deliveryId)}/retry`,
      )),
    /** The application server key this server signs its Web Push messages with. */
    vapidPublicKey: () => json<VapidKeyResponse>('GET', '/api/v1/push/vapid-public-key'),
    /** Send this browser's alerts to `subscription` (`PushSubscription.toJSON()`). */
    subscribePush: async (subscription: PushSubscriptionBody) =>
      void (await raw('POST', '/api/v1/push/subscriptions', { body: subscription })),
    /** Stop sending alerts to the subscription at `endpoint`; 404 when there is none. */
    unsubscribePush: async (endpoint: string) =>
      void (await raw('DELETE', '/api/v1/push/subscriptions', { body: { endpoint } })),
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
    /** Owner or admin: the building's meters with their status (last value, seen, error). */
    sources: (id: string, signal?: AbortSignal) =>
      json<SourceList>('GET', `${b(id)}/sources`, { signal }),
    /** Owner or admin: add a meter; a bad setting answers 422 naming it (`details.setting`). */
    createSource: (id: string, body: SourceBody) =>
      json<Source>('POST', `${b(id)}/sources`, { body }),
    deleteSource: async (id: string, sourceId: string) =>
      void (await raw('DELETE', `${b(id)}/sources/${encodeURIComponent(sourceId)}`)),
    /**
     * Owner or admin: import a recording's history (a CSV file) with its own timestamps; all or
     * nothing, a bad file answers 422 naming the line and the reason.
     */
    importCsv: (
      id: string,
      file: Blob,
      query: { format: ImportFormat; unit: 'W' | 'kW' },
      onProgress?: (p: UploadProgress) => void,
      signal?: AbortSignal,
    ) =>
      upload<ImportResult>(`${b(id)}/import`, {
        query,
        body: file,
        contentType: 'text/csv',
        onProgress,
        signal,
      }),
    ingestInfo: (signal?: AbortSignal) =>
      json<IngestInfo>('GET', '/api/v1/ingest/info', { signal }),
    /** Devices that discovery found in the building's mains (issue 13.1). */
    devices: (id: string, signal?: AbortSignal) =>
      json<FoundDeviceList>('GET', `${b(id)}/devices`, { signal }),
    /** Owner or admin: look for devices over the last 30 days now. */
    discoverDevices: (id: string) =>
      json<DiscoverResponse>('POST', `${b(id)}/devices/discover`, { body: {} }),
    /** Owner or admin: name a device or give it an appliance type (null clears). */
    updateDevice: (id: string, deviceId: string, body: DevicePatchBody) =>
      json<FoundDevice>('PATCH', `${b(id)}/devices/${encodeURIComponent(deviceId)}`, { body }),
    mergeDevice: (id: string, deviceId: string, into: string) =>
      json<FoundDevice>('POST', `${b(id)}/devices/${encodeURIComponent(deviceId)}/merge`, {
        body: { into },
      }),
    dismissDevice: (id: string, deviceId: string) =>
      json<FoundDevice>('POST', `${b(id)}/devices/${encodeURIComponent(deviceId)}/dismiss`),
    /** Labels overlapping from..to (either may be left out), by start. */
    labels: (id: string, query: LabelQuery, signal?: AbortSignal) =>
      json<LabelList>('GET', `${b(id)}/labels`, { query, signal }),
    /** Owner or admin: "this was it" / "nothing of it here"; a contradiction answers 409. */
    createLabel: (id: string, body: LabelBody) => json<Label>('POST', `${b(id)}/labels`, { body }),
    /** The labels' export as CSV text (the API needs the session's token, so no plain link). */
    labelsCsv: async (id: string) =>
      (await raw('GET', `${b(id)}/labels.csv`, { accept: 'text/csv' })).text(),
    deleteLabel: async (id: string, labelId: string) =>
      void (await raw('DELETE', `${b(id)}/labels/${encodeURIComponent(labelId)}`)),
    /** The building's fine-tune jobs, newest first. */
    finetuneJobs: (id: string, signal?: AbortSignal) =>
      json<FinetuneJobList>('GET', `${b(id)}/finetune`, { signal }),
    /** Owner or admin: queue a fine-tune; too little data answers 422 saying what to do. */
    startFinetune: (id: string, body: FinetuneBody) =>
      json<FinetuneJob>('POST', `${b(id)}/finetune`, { body }),
    cancelFinetune: (id: string, jobId: string) =>
      json<FinetuneJob>('POST', `${b(id)}/finetune/${encodeURIComponent(jobId)}/cancel`),
    /** The models fine-tuned for this building, newest first, each with its scorecard. */
    buildingModels: (id: string, signal?: AbortSignal) =>
      json<PinnedModelList>('GET', `${b(id)}/models`, { signal }),
    activateBuildingModel: (id: string, ref: string) =>
      json<PinnedModel>('POST', `${b(id)}/models/${encodeURIComponent(ref)}/activate`),
    discardBuildingModel: (id: string, ref: string) =>
      json<PinnedModel>('POST', `${b(id)}/models/${encodeURIComponent(ref)}/discard`),
    users: (signal?: AbortSignal) => json<UserList>('GET', '/api/v1/admin/users', { signal }),
    createUser: (body: CreateUserBody) =>
      json<UserCreated>('POST', '/api/v1/admin/users', { body }),
  };
}
