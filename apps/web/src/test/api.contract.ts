// What each API route answers, by method and path pattern, in the types of @nilm/contracts (the
// server's response schemas, TypeBox Static). The page tests' fake server (api.fixture.tsx)
// checks its answers against this, so a changed contract breaks the page test that fakes it.
import type {
  AlertList,
  AlertSettingsResponse,
  ApplianceList,
  AppliancesPresentResponse,
  AuthConfig,
  Building,
  BuildingList,
  CheapestResponse,
  DeviceTokenCreated,
  DeviceTokenList,
  DiscoverResponse,
  EnergyResponse,
  FinetuneJob,
  FinetuneJobList,
  FoundDevice,
  FoundDeviceList,
  ImportResponse,
  IngestInfo,
  Label,
  LabelList,
  LoginResponse,
  MemberList,
  ModelCard,
  ModelList,
  PinnedModel,
  PinnedModelList,
  PriceFetchStatus,
  PricesImportResponse,
  PricesResponse,
  ReadingsColumns,
  RunsResponse,
  Source,
  SourceList,
  SubmeterReadings,
  SubmeterScorecard,
  TariffResponse,
  UserCreated,
  UserInfo,
  UserList,
  VapidKeyResponse,
} from '@nilm/contracts';

/** The success body of each route (`:x` is one path segment; null: 204 No Content). */
export interface ApiContract {
  'GET /api/v1/auth/config': AuthConfig;
  'POST /api/v1/auth/login': LoginResponse;
  'GET /api/v1/auth/me': UserInfo;
  'GET /api/v1/admin/users': UserList;
  'POST /api/v1/admin/users': UserCreated;
  'GET /api/v1/buildings': BuildingList;
  'POST /api/v1/buildings': Building;
  'GET /api/v1/buildings/:id': Building;
  'PATCH /api/v1/buildings/:id': Building;
  'DELETE /api/v1/buildings/:id': null;
  'GET /api/v1/buildings/:id/members': MemberList;
  'POST /api/v1/buildings/:id/members': MemberList;
  'DELETE /api/v1/buildings/:id/members/:userId': null;
  'GET /api/v1/buildings/:id/tokens': DeviceTokenList;
  'POST /api/v1/buildings/:id/tokens': DeviceTokenCreated;
  'DELETE /api/v1/buildings/:id/tokens/:tokenId': null;
  'GET /api/v1/buildings/:id/appliances-present': AppliancesPresentResponse;
  'PUT /api/v1/buildings/:id/appliances-present': AppliancesPresentResponse;
  'GET /api/v1/buildings/:id/alerts/settings': AlertSettingsResponse;
  'PUT /api/v1/buildings/:id/alerts/settings': AlertSettingsResponse;
  'GET /api/v1/buildings/:id/alerts': AlertList;
  'POST /api/v1/buildings/:id/alerts/deliveries/:deliveryId/retry': null;
  'GET /api/v1/push/vapid-public-key': VapidKeyResponse;
  'POST /api/v1/push/subscriptions': null;
  'DELETE /api/v1/push/subscriptions': null;
  'GET /api/v1/buildings/:id/devices': FoundDeviceList;
  'POST /api/v1/buildings/:id/devices/discover': DiscoverResponse;
  'PATCH /api/v1/buildings/:id/devices/:deviceId': FoundDevice;
  'POST /api/v1/buildings/:id/devices/:deviceId/merge': FoundDevice;
  'POST /api/v1/buildings/:id/devices/:deviceId/dismiss': FoundDevice;
  'POST /api/v1/buildings/:id/finetune': FinetuneJob;
  'GET /api/v1/buildings/:id/finetune': FinetuneJobList;
  'GET /api/v1/buildings/:id/finetune/:jobId': FinetuneJob;
  'POST /api/v1/buildings/:id/finetune/:jobId/cancel': FinetuneJob;
  'GET /api/v1/buildings/:id/models': PinnedModelList;
  'POST /api/v1/buildings/:id/models/:ref/activate': PinnedModel;
  'POST /api/v1/buildings/:id/models/:ref/discard': PinnedModel;
  'POST /api/v1/buildings/:id/import': ImportResponse;
  'GET /api/v1/ingest/info': IngestInfo;
  'GET /api/v1/buildings/:id/labels': LabelList;
  'POST /api/v1/buildings/:id/labels': Label;
  'DELETE /api/v1/buildings/:id/labels/:labelId': null;
  'GET /api/v1/models': ModelList;
  'GET /api/v1/models/:ref/card': ModelCard;
  'GET /api/v1/buildings/:id/readings': ReadingsColumns;
  'GET /api/v1/buildings/:id/energy': EnergyResponse;
  'GET /api/v1/buildings/:id/appliances': ApplianceList;
  'GET /api/v1/buildings/:id/appliances/:name/runs': RunsResponse;
  'GET /api/v1/buildings/:id/sources': SourceList;
  'POST /api/v1/buildings/:id/sources': Source;
  'PATCH /api/v1/buildings/:id/sources/:sourceId': Source;
  'DELETE /api/v1/buildings/:id/sources/:sourceId': null;
  'GET /api/v1/buildings/:id/submeters/:appliance/readings': SubmeterReadings;
  'GET /api/v1/buildings/:id/submeters/scorecard': SubmeterScorecard;
  'GET /api/v1/buildings/:id/tariff': TariffResponse;
  'PUT /api/v1/buildings/:id/tariff': TariffResponse;
  'GET /api/v1/buildings/:id/prices': PricesResponse;
  'DELETE /api/v1/buildings/:id/prices': null;
  'PUT /api/v1/buildings/:id/prices': PricesImportResponse;
  'POST /api/v1/buildings/:id/prices/refresh': PriceFetchStatus;
  'GET /api/v1/buildings/:id/prices/cheapest': CheapestResponse;
}

type Split<S extends string> = S extends `${infer H}/${infer T}` ? [H, ...Split<T>] : [S];

/** Whether the path segments `C` fit the pattern's `P` (a `:name` segment fits any non-empty one). */
type Fits<P extends string[], C extends string[]> = P extends [
  infer PH extends string,
  ...infer PT extends string[],
]
  ? C extends [infer CH extends string, ...infer CT extends string[]]
    ? PH extends `:${string}`
      ? CH extends ''
        ? false
        : Fits<PT, CT>
      : [PH, CH] extends [CH, PH]
        ? Fits<PT, CT>
        : false
    : false
  : C extends []
    ? true
    : false;

type MethodPath<K extends string> = K extends `${infer M} ${infer P}` ? [M, Split<P>] : never;

/** The contract's success body for a concrete `"METHOD /path"` (never: no such route). */
export type ResponseOf<K extends string> = {
  [P in keyof ApiContract]: MethodPath<P> extends [infer PM, infer PS extends string[]]
    ? MethodPath<K> extends [infer KM, infer KS extends string[]]
      ? [PM, KM] extends [KM, PM]
        ? Fits<PS, KS> extends true
          ? ApiContract[P]
          : never
        : never
      : never
    : never;
}[keyof ApiContract];
