// Proves the API client sends the token and a request id, turns every failure (error body, bare status, no network, 401) into an ApiError with a readable message, and renews a renewable session once on 401.
import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from './api.client.js';

function jsonResponse(status: number, body: unknown, statusText = ''): Response {
  return new Response(JSON.stringify(body), {
    status,
    statusText,
    headers: { 'content-type': 'application/json' },
  });
}

function setup(res: Response | Error, token: string | null = 'tok') {
  const fetchFake = vi.fn((_url: string | URL | Request, _init?: RequestInit) =>
    res instanceof Error ? Promise.reject(res) : Promise.resolve(res),
  );
  const onUnauthorized = vi.fn();
  const client = createApiClient({
    getToken: () => token,
    onUnauthorized,
    fetch: fetchFake as unknown as typeof fetch,
    newRequestId: () => 'req-1',
  });
  return { client, fetchFake, onUnauthorized };
}

describe('createApiClient', () => {
  it('sends Bearer token, request id and query, and returns the JSON body', async () => {
    const { client, fetchFake } = setup(jsonResponse(200, { buildings: [] }));
    await expect(client.energy('demo-home', { start: '-24h', period: 'day' })).resolves.toEqual({
      buildings: [],
    });
    const [url, init] = fetchFake.mock.calls[0]!;
    expect(url).toBe('/api/v1/buildings/demo-home/energy?start=-24h&period=day');
    expect(init?.headers).toMatchObject({ authorization: 'Bearer tok', 'x-request-id': 'req-1' });
  });

  it("asks for an appliance's runs under its escaped name", async () => {
    const { client, fetchFake } = setup(jsonResponse(200, { runs: [] }));
    await client.applianceRuns('home', 'tumble dryer', { start: '-7d' });
    expect(fetchFake.mock.calls[0]![0]).toBe(
      '/api/v1/buildings/home/appliances/tumble%20dryer/runs?start=-7d',
    );
  });

  it("throws the server's error message and code", async () => {
    const { client } = setup(
      jsonResponse(404, {
        error: { code: 'BUILDING_NOT_FOUND', message: 'building "x" not found' },
        request_id: 'r',
      }),
    );
    const err = await client.buildings().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 404,
      code: 'BUILDING_NOT_FOUND',
      message: 'building "x" not found',
    });
  });

  it('describes a failure without an error body by its status', async () => {
    const { client } = setup(
      new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    await expect(client.buildings()).rejects.toThrow('The server answered 502 Bad Gateway');
  });

  it('turns a network failure into a NETWORK error', async () => {
    const { client } = setup(new TypeError('fetch failed'));
    await expect(client.buildings()).rejects.toMatchObject({ status: 0, code: 'NETWORK' });
  });

  it('ends the session on 401 when a token was sent', async () => {
    const body = { error: { code: 'AUTH_INVALID', message: 'token expired' }, request_id: 'r' };
    const { client, onUnauthorized } = setup(jsonResponse(401, body));
    await expect(client.buildings()).rejects.toThrow('token expired');
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('does not end a session on a failed sign-in (no token yet)', async () => {
    const body = {
      error: { code: 'AUTH_BAD_CREDENTIALS', message: 'wrong e-mail or password' },
      request_id: 'r',
    };
    const { client, onUnauthorized } = setup(jsonResponse(401, body), null);
    await expect(client.login({ email: 'a@b.c', password: 'x' })).rejects.toThrow(
      'wrong e-mail or password',
    );
    expect(onUnauthorized).not.toHaveBeenCalled();
  });
});

describe('createApiClient with a renewable session', () => {
  const expired = { error: { code: 'AUTH_INVALID', message: 'token expired' }, request_id: 'r' };

  /** Answers each request with the next of `answers`; `refresh` gives `fresh` (or null). */
  function renewable(answers: Array<() => Response>, fresh: string | null) {
    const fetchFake = vi.fn((_url: string | URL | Request, _init?: RequestInit) =>
      Promise.resolve(answers.shift()!()),
    );
    const refresh = vi.fn((_failed: string) => Promise.resolve(fresh));
    const onUnauthorized = vi.fn();
    const client = createApiClient({
      getToken: () => 'old',
      onUnauthorized,
      refresh,
      fetch: fetchFake as unknown as typeof fetch,
      newRequestId: () => 'req-1',
    });
    return { client, fetchFake, refresh, onUnauthorized };
  }

  it('renews the token once on 401 and sends the request again with it', async () => {
    const { client, fetchFake, refresh, onUnauthorized } = renewable(
      [() => jsonResponse(401, expired), () => jsonResponse(200, { buildings: [] })],
      'new',
    );
    await expect(client.buildings()).resolves.toEqual({ buildings: [] });
    expect(refresh).toHaveBeenCalledExactlyOnceWith('old');
    expect(fetchFake.mock.calls.map(([, init]) => init?.headers)).toMatchObject([
      { authorization: 'Bearer old' },
      { authorization: 'Bearer new' },
    ]);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('ends the session when renewal fails, or when the new token is refused too', async () => {
    const none = renewable([() => jsonResponse(401, expired)], null);
    await expect(none.client.buildings()).rejects.toThrow('token expired');
    expect(none.fetchFake).toHaveBeenCalledOnce();
    expect(none.onUnauthorized).toHaveBeenCalledOnce();

    const twice = renewable(
      [() => jsonResponse(401, expired), () => jsonResponse(401, expired)],
      'new',
    );
    await expect(twice.client.buildings()).rejects.toThrow('token expired');
    expect(twice.refresh).toHaveBeenCalledOnce();
    expect(twice.fetchFake).toHaveBeenCalledTimes(2);
    expect(twice.onUnauthorized).toHaveBeenCalledOnce();
  });
});

describe('error codes from the catalogue', () => {
  it('says the words for the code in German, then the server message; English as sent', async () => {
    const { showLanguage } = await import('../i18n/i18n.setup.js');
    const { errorFromBody } = await import('./api.client.js');
    const body = JSON.stringify({
      error: { code: 'AUTHZ_FORBIDDEN', message: 'your role does not allow admin on building "b"' },
    });
    expect(errorFromBody(403, 'Forbidden', body).message).toBe(
      'your role does not allow admin on building "b"',
    );
    await showLanguage('de');
    try {
      expect(errorFromBody(403, 'Forbidden', body).message).toBe(
        'Ihre Rolle erlaubt das nicht (your role does not allow admin on building "b")',
      );
    } finally {
      await showLanguage('en');
    }
  });

  it('retries by the catalogue retry meaning', async () => {
    const { mayRetry } = await import('./api.client.js');
    expect(mayRetry(new ApiError(503, 'STORE_UNAVAILABLE', 'x'))).toBe(true);
    expect(mayRetry(new ApiError(429, 'RATE_LIMITED', 'x'))).toBe(true);
    expect(mayRetry(new ApiError(422, 'VALIDATION_FAILED', 'x'))).toBe(false);
    expect(mayRetry(new ApiError(500, 'INTERNAL', 'x'))).toBe(false);
    expect(mayRetry(new ApiError(0, 'NETWORK', 'x'))).toBe(true);
    expect(mayRetry(new ApiError(502, 'HTTP_ERROR', 'x'))).toBe(true);
    expect(mayRetry(new ApiError(404, 'HTTP_ERROR', 'x'))).toBe(false);
  });
});
