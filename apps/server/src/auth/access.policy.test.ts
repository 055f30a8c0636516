// Proves the building access policy against the full table of callers, membership roles and actions, including 403 versus 404 denials.
import { describe, expect, it } from 'vitest';

import {
  decideAccess,
  type AccessDecision,
  type BuildingAction,
  type BuildingMemberRole,
  type Caller,
} from './access.policy.js';

const user: Caller = { kind: 'user', userId: 'u1', role: 'user' };
const admin: Caller = { kind: 'user', userId: 'a1', role: 'admin' };
const device: Caller = { kind: 'device', buildingId: 'b1' };

const Y: AccessDecision = { allow: true };
const F: AccessDecision = { allow: false, reason: 'AUTHZ_FORBIDDEN' };
const N: AccessDecision = { allow: false, reason: 'BUILDING_NOT_FOUND' };

type Row = [string, Caller, string, BuildingMemberRole, BuildingAction, AccessDecision];

// Written out by hand, not derived from the implementation's table.
const TABLE: Row[] = [
  ['owner', user, 'b1', 'owner', 'read', Y],
  ['owner', user, 'b1', 'owner', 'write', Y],
  ['owner', user, 'b1', 'owner', 'admin', Y],
  ['member', user, 'b1', 'member', 'read', Y],
  ['member', user, 'b1', 'member', 'write', Y],
  ['member', user, 'b1', 'member', 'admin', F],
  ['viewer', user, 'b1', 'viewer', 'read', Y],
  ['viewer', user, 'b1', 'viewer', 'write', F],
  ['viewer', user, 'b1', 'viewer', 'admin', F],
  ['non-member', user, 'b1', null, 'read', N],
  ['non-member', user, 'b1', null, 'write', N],
  ['non-member', user, 'b1', null, 'admin', N],
  ['platform admin, non-member', admin, 'b1', null, 'read', Y],
  ['platform admin, non-member', admin, 'b1', null, 'write', Y],
  ['platform admin, non-member', admin, 'b1', null, 'admin', Y],
  ['platform admin, viewer', admin, 'b1', 'viewer', 'admin', Y],
  ['device, own building', device, 'b1', null, 'write', Y],
  ['device, own building', device, 'b1', null, 'read', F],
  ['device, own building', device, 'b1', null, 'admin', F],
  ['device, own building, role ignored', device, 'b1', 'owner', 'admin', F],
  ['device, other building', device, 'b2', null, 'write', N],
  ['device, other building', device, 'b2', null, 'read', N],
  ['device, other building', device, 'b2', 'owner', 'admin', N],
];

describe('decideAccess', () => {
  it.each(TABLE)(
    '%s: %o on %s as %s, %s',
    (_label, caller, buildingId, memberRole, action, expected) => {
      expect(decideAccess({ caller, action, buildingId, memberRole })).toEqual(expected);
    },
  );

  it('denies an unknown membership role or action rather than guessing', () => {
    const memberRole = 'superuser' as unknown as BuildingMemberRole;
    expect(decideAccess({ caller: user, action: 'read', buildingId: 'b1', memberRole })).toEqual(N);
    const action = 'delete' as unknown as BuildingAction;
    expect(decideAccess({ caller: user, action, buildingId: 'b1', memberRole: 'owner' })).toEqual(
      F,
    );
    expect(
      decideAccess({
        caller: user,
        action: 'read',
        buildingId: 'b1',
        memberRole: 'toString' as unknown as BuildingMemberRole,
      }),
    ).toEqual(N);
  });
});
