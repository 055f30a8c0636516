// Proves the page tests' fake server is typed by the API's contracts: an answer that fits its
// route's response type compiles, one that does not (or a route the API lacks) is a type error
// (`tsc -p apps/web/tsconfig.json` fails on an unused @ts-expect-error), and each concrete path
// finds its route by pattern.
import type { Building, MemberList, ModelCard, PinnedModel } from '@nilm/contracts';
import { expect, expectTypeOf, it } from 'vitest';
import type { ResponseOf } from './api.contract.js';
import { apiError, type Checked, type Routes } from './api.fixture.js';

const checked = <R extends Routes>(routes: R & Checked<R>): R => routes;

it('finds the contract of a concrete path by its pattern', () => {
  expectTypeOf<ResponseOf<'GET /api/v1/buildings/home'>>().toEqualTypeOf<Building>();
  expectTypeOf<ResponseOf<'GET /api/v1/buildings/home/members'>>().toEqualTypeOf<MemberList>();
  expectTypeOf<ResponseOf<'GET /api/v1/models/m%401/card'>>().toEqualTypeOf<ModelCard>();
  expectTypeOf<
    ResponseOf<'POST /api/v1/buildings/home/models/default%2Bhome%402/activate'>
  >().toEqualTypeOf<PinnedModel>();
  expectTypeOf<ResponseOf<'DELETE /api/v1/buildings/home/labels/l1'>>().toEqualTypeOf<null>();
  expectTypeOf<ResponseOf<'GET /api/v1/buildings/home/nowhere'>>().toBeNever();
  expectTypeOf<ResponseOf<'PUT /api/v1/buildings'>>().toBeNever();
});

it('accepts answers that fit their route and refuses those that do not', () => {
  const fits = checked({
    'GET /api/v1/buildings/home/members': { body: { members: [] } },
    'DELETE /api/v1/buildings/home/tokens/tok_1': { status: 204 },
    'POST /api/v1/buildings/home/members': apiError(409, 'CONFLICT', 'already a member'),
    'GET /api/v1/buildings/home/labels': () => ({ body: { labels: [] } }),
  });
  expect(Object.keys(fits)).toHaveLength(4);
  // @ts-expect-error a members list is not what GET /buildings answers
  checked({ 'GET /api/v1/buildings': { body: { members: [] } } });
  // @ts-expect-error a success body must be the contract's, not missing
  checked({ 'GET /api/v1/buildings/home': { status: 200 } });
  // @ts-expect-error the API has no such route
  checked({ 'GET /api/v1/buildings/home/nowhere': { body: {} } });
});
