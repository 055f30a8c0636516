// Proves POST /api/v1/buildings without a timezone gives the building the configured default
// zone (DEFAULT_TIMEZONE, else the server's), not UTC, and that a given timezone wins.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../app.fixture.js';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp({ DEFAULT_TIMEZONE: 'America/Denver' });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

it('creates a building without a timezone in the configured zone', async () => {
  const headers = await t.auth('admin');
  const made = await t.app.inject({
    method: 'POST',
    url: '/api/v1/buildings',
    headers,
    payload: { id: 'cabin', name: 'Cabin' },
  });
  expect(made.statusCode).toBe(201);
  expect(made.json<{ timezone: string }>().timezone).toBe('America/Denver');
  const read = await t.app.inject({ method: 'GET', url: '/api/v1/buildings/cabin', headers });
  expect(read.json<{ timezone: string }>().timezone).toBe('America/Denver');
  const told = await t.app.inject({
    method: 'POST',
    url: '/api/v1/buildings',
    headers,
    payload: { id: 'flat', name: 'Flat', timezone: 'Europe/Paris' },
  });
  expect(told.json<{ timezone: string }>().timezone).toBe('Europe/Paris');
});
